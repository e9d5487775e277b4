/**
 * deSEC (https://desec.io), written against its published API documentation
 * (desec.readthedocs.io: "Retrieving and Creating DNS Records", "Bulk Operations", "Pagination",
 * "Rate Limits"): `Authorization: Token <token>`; RRsets under /domains/{name}/rrsets/ listed 500
 * at a time with a cursor (Link header); one bulk PATCH per batch, which deSEC applies atomically
 * (an RRset with `records: []` is deleted); 429 answers are waited out as Retry-After says.
 * Record contents are in zone-file form (TXT quoted). deSEC's minimum TTL is the domain's
 * `minimum_ttl` (usually 3600): a lower TTL is refused with a 400 that this driver reports.
 */
import type { DnsProvider, DnsProviderKind } from './index.js';
import { httpJson, bodyText, checkUrl, text, type HttpAnswer } from './http.js';
import { DnsError, checkChanges, fromPresentation, groupRecords, isRecordType, toPresentation, zoneName, type Problems, type RecordChange, type RecordSet, type RecordType } from './records.js';

export interface DesecConfig {
  /** API base, default https://desec.io/api/v1 */
  url: string;
  token: string;
}

const KIND = 'desec';
export const DESEC_API = 'https://desec.io/api/v1';

/** The `next` URL of a Link header */
export const nextLink = (link: string | null) => (link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1] : undefined);

/** deSEC's error bodies: {"detail": ...}, {field: [messages]}, or one such object per part of a bulk request */
function describe(body: unknown, changes?: RecordChange[]): string {
  const obj = (o: unknown): string =>
    o && typeof o === 'object'
      ? Object.entries(o as Record<string, unknown>)
          .map(([k, v]) => (k === 'detail' || k === 'non_field_errors' ? [v].flat().join(' ') : `${k}: ${Array.isArray(v) ? v.map((x) => (typeof x === 'object' ? obj(x) : String(x))).join(' ') : typeof v === 'object' ? obj(v) : String(v)}`))
          .join('; ')
      : String(o);
  if (Array.isArray(body)) {
    return body
      .map((e, i) => (e && typeof e === 'object' && Object.keys(e).length ? `${changes?.[i] ? `${changes[i].record.type} ${changes[i].record.name || '@'}` : `part ${i}`}: ${obj(e)}` : ''))
      .filter(Boolean)
      .join('; ');
  }
  return typeof body === 'object' ? obj(body) : bodyText(body);
}

export class DesecProvider implements DnsProvider {
  readonly kind = KIND;
  constructor(private readonly c: DesecConfig) {}

  private base() {
    return this.c.url.replace(/\/+$/, '');
  }

  private async call(zone: string, method: string, url: string, body?: unknown, changes?: RecordChange[]): Promise<HttpAnswer> {
    const z = zoneName(zone);
    const a = await httpJson({ provider: KIND, zone: z, method, url, headers: { Authorization: `Token ${this.c.token}` }, body });
    if (a.status < 300) return a;
    const detail = describe(a.body, changes);
    if (a.status === 401) throw new DnsError(KIND, z, 'auth', `deSEC refused the token (HTTP 401: ${detail}): check it, or create a new one at desec.io (Token management)`);
    if (a.status === 403) throw new DnsError(KIND, z, 'auth', `deSEC forbids this token to change ${z} (HTTP 403: ${detail}): give the token a policy allowing writes to this domain`);
    if (a.status === 404) throw new DnsError(KIND, z, 'zone', `the deSEC account has no domain ${z} (HTTP 404): add it at desec.io, or check the domain name`);
    if (a.status === 400 || a.status === 422) throw new DnsError(KIND, z, 'invalid', `deSEC refused the change, nothing was changed: ${detail}`);
    throw new DnsError(KIND, z, 'server', `deSEC answered HTTP ${a.status}: ${detail}`);
  }

  async listRecords(zone: string): Promise<RecordSet[]> {
    const z = zoneName(zone);
    const items: { name: string; type: RecordType; ttl: number; value: string }[] = [];
    let url: string | undefined = `${this.base()}/domains/${encodeURIComponent(z)}/rrsets/?cursor=`;
    for (let pages = 0; url && pages < 10_000; pages++) {
      const a = await this.call(z, 'GET', url);
      for (const rr of (Array.isArray(a.body) ? a.body : []) as { subname: string; type: string; ttl: number; records: string[] }[]) {
        if (!isRecordType(rr.type)) continue;
        for (const content of rr.records) {
          const value = fromPresentation(rr.type, content);
          if (value !== undefined) items.push({ name: rr.subname.toLowerCase(), type: rr.type, ttl: rr.ttl, value });
        }
      }
      url = nextLink(a.headers.get('link'));
    }
    return groupRecords(items);
  }

  async applyChanges(zone: string, changes: RecordChange[]): Promise<void> {
    const z = zoneName(zone);
    const checked = checkChanges(changes, KIND, z);
    if (!checked.length) return;
    const body = checked.map((c) =>
      c.action === 'delete'
        ? { subname: c.record.name, type: c.record.type, records: [] }
        : { subname: c.record.name, type: c.record.type, ttl: c.record.ttl, records: c.record.values.map((v) => toPresentation(c.record.type, v)) },
    );
    await this.call(z, 'PATCH', `${this.base()}/domains/${encodeURIComponent(z)}/rrsets/`, body, checked);
  }

  async ping(zone: string): Promise<void> {
    const z = zoneName(zone);
    await this.call(z, 'GET', `${this.base()}/domains/${encodeURIComponent(z)}/`);
  }
}

export const desec: DnsProviderKind<DesecConfig> = {
  description: 'deSEC (desec.io) REST API, token authentication',
  parse(i, p: Problems) {
    checkUrl(i.url, 'url', p, false);
    if (!text(i.token)) p.push({ path: 'token', message: 'is required for desec (an API token from desec.io)' });
    return { url: String(i.url || DESEC_API).replace(/\/+$/, ''), token: String(i.token ?? '') };
  },
  view: (c) => ({ url: c.url }),
  create: (c) => new DesecProvider(c),
};
