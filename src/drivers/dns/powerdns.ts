/**
 * The PowerDNS Authoritative HTTP API (`webserver=yes`, `api=yes`, `api-key=...`):
 * GET /api/v1/servers/{server}/zones/{zone} lists the RRsets, one PATCH with changetype
 * DELETE/REPLACE applies a batch (PowerDNS applies a PATCH in one transaction: all or nothing).
 */
import type { DnsProvider, DnsProviderKind } from './index.js';
import { httpJson, bodyText, checkUrl, text, type HttpAnswer } from './http.js';
import { DnsError, checkChanges, fqdn, fromPresentation, groupRecords, isRecordType, relativeName, toPresentation, zoneName, type Problems, type RecordChange, type RecordSet, type RecordType } from './records.js';

export interface PowerDnsConfig {
  /** e.g. http://127.0.0.1:8081 */
  url: string;
  apiKey: string;
  serverId: string;
}

const KIND = 'powerdns';

export class PowerDnsProvider implements DnsProvider {
  readonly kind = KIND;
  constructor(private readonly c: PowerDnsConfig) {}

  private zoneUrl(zone: string) {
    return `${this.c.url.replace(/\/+$/, '')}/api/v1/servers/${encodeURIComponent(this.c.serverId)}/zones/${encodeURIComponent(`${zoneName(zone)}.`)}`;
  }

  private async call(zone: string, method: string, body?: unknown): Promise<HttpAnswer> {
    const z = zoneName(zone);
    const a = await httpJson({ provider: KIND, zone: z, method, url: this.zoneUrl(z), headers: { 'X-API-Key': this.c.apiKey }, body });
    if (a.status < 300) return a;
    const detail = typeof a.body === 'object' && a.body?.error ? String(a.body.error) : bodyText(a.body);
    if (a.status === 401 || a.status === 403) throw new DnsError(KIND, z, 'auth', `the PowerDNS API refused the API key (HTTP ${a.status}): check the key (api-key in pdns.conf)`);
    if (a.status === 404) {
      throw new DnsError(KIND, z, 'zone', `PowerDNS does not serve zone ${z} (HTTP 404 from server '${this.c.serverId}'): create it (pdnsutil create-zone ${z}) or check the zone name and the server id`);
    }
    if (a.status === 422 || a.status === 400) throw new DnsError(KIND, z, 'invalid', `PowerDNS refused the change, nothing was changed: ${detail}`);
    throw new DnsError(KIND, z, 'server', `the PowerDNS API answered HTTP ${a.status}: ${detail}`);
  }

  async listRecords(zone: string): Promise<RecordSet[]> {
    const z = zoneName(zone);
    const a = await this.call(z, 'GET');
    const items: { name: string; type: RecordType; ttl: number; value: string }[] = [];
    for (const rr of (a.body?.rrsets ?? []) as { name: string; type: string; ttl: number; records: { content: string; disabled?: boolean }[] }[]) {
      const name = relativeName(rr.name, z);
      if (name === undefined || !isRecordType(rr.type)) continue;
      for (const r of rr.records) {
        if (r.disabled) continue;
        const value = fromPresentation(rr.type, r.content);
        if (value !== undefined) items.push({ name, type: rr.type, ttl: rr.ttl, value });
      }
    }
    return groupRecords(items);
  }

  async applyChanges(zone: string, changes: RecordChange[]): Promise<void> {
    const z = zoneName(zone);
    const checked = checkChanges(changes, KIND, z);
    if (!checked.length) return;
    // Deletions first: PowerDNS checks each RRset against the zone as it goes (CNAME beside other data).
    const replaced = checked.filter((c) => c.action !== 'delete');
    const rrsets = [
      ...checked.filter((c) => c.action === 'delete').map((c) => ({ name: fqdn(c.record.name, z), type: c.record.type, changetype: 'DELETE' })),
      ...replaced.map((c) => ({
        name: fqdn(c.record.name, z),
        type: c.record.type,
        ttl: c.record.ttl,
        changetype: 'REPLACE',
        records: c.record.values.map((v) => ({ content: toPresentation(c.record.type, v), disabled: false })),
      })),
    ];
    await this.call(z, 'PATCH', { rrsets });
  }

  async ping(zone: string): Promise<void> {
    await this.call(zone, 'GET');
  }
}

export const powerdns: DnsProviderKind<PowerDnsConfig> = {
  description: 'PowerDNS Authoritative HTTP API (X-API-Key)',
  parse(i, p: Problems) {
    checkUrl(i.url, 'url', p, true);
    if (!text(i.apiKey)) p.push({ path: 'apiKey', message: 'is required for powerdns (api-key in pdns.conf)' });
    const serverId = i.serverId ?? 'localhost';
    if (!(typeof serverId === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(serverId))) p.push({ path: 'serverId', message: 'must be a server id (default localhost)' });
    return { url: String(i.url ?? '').replace(/\/+$/, ''), apiKey: String(i.apiKey ?? ''), serverId: String(serverId) };
  },
  view: (c) => ({ url: c.url, serverId: c.serverId }),
  create: (c) => new PowerDnsProvider(c),
};
