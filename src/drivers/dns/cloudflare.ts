/**
 * Cloudflare DNS, written against the published API v4 documentation
 * (developers.cloudflare.com/api: Zones "List Zones", DNS Records "List DNS Records" and
 * "Batch DNS Records", "Rate limits"): `Authorization: Bearer <API token>` (a token with
 * Zone:Read and DNS:Edit on the zone); the zone id found by name (GET /zones?name=); records
 * listed page by page (result_info.total_pages); a batch sent as POST /zones/{id}/dns_records/batch
 * {deletes, patches, posts}, which Cloudflare runs in one database transaction, in that order
 * (deletes, patches, puts, posts), so a CNAME can replace an A in one batch. A batch holds at most
 * 200 operations on the Free plan: bigger ones are split (each part all or nothing). 429 answers
 * are waited out as Retry-After says.
 *
 * Cloudflare keeps single records, not RRsets: the driver turns each RRset change into deletes of
 * the values that go, TTL patches of those that stay, and posts of the new ones. Records are
 * never proxied (proxied: false): Freehold's edge terminates TLS itself. TTL 1 ("automatic") reads
 * as 300. SRV and CAA are not supported by this driver yet.
 */
import type { DnsProvider, DnsProviderKind } from './index.js';
import { httpJson, bodyText, checkUrl, text, type HttpAnswer } from './http.js';
import { DnsError, checkChanges, fqdn, groupRecords, isRecordType, quoteTxt, relativeName, unquoteTxt, zoneName, type Problems, type RecordChange, type RecordSet, type RecordType } from './records.js';

export interface CloudflareConfig {
  /** API base, default https://api.cloudflare.com/client/v4 */
  url: string;
  token: string;
  /** Operations per batch request (200 on the Free plan, 3,500 on others) */
  batchSize: number;
}

const KIND = 'cloudflare';
export const CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4';
const SUPPORTED = new Set<RecordType>(['A', 'AAAA', 'CNAME', 'TXT', 'MX']);

interface CfRecord {
  id: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  priority?: number;
}

type CfErrors = { code: number; message: string; error_chain?: { code: number; message: string }[] }[];

const errorsOf = (body: any): CfErrors => (body && typeof body === 'object' && Array.isArray(body.errors) ? body.errors : []);
const describe = (errs: CfErrors, body: unknown) =>
  errs.length ? errs.map((e) => `${e.code}: ${e.message}${e.error_chain?.length ? ` (${e.error_chain.map((c) => `${c.code}: ${c.message}`).join('; ')})` : ''}`).join('; ') : bodyText(body);

/** A Cloudflare record's value in canonical form */
function valueOf(r: CfRecord): string | undefined {
  switch (r.type) {
    case 'CNAME':
      return `${r.content.toLowerCase().replace(/\.$/, '')}.`;
    case 'TXT':
      return r.content.startsWith('"') ? unquoteTxt(r.content) : r.content;
    case 'MX':
      return `${r.priority ?? 0} ${r.content.toLowerCase().replace(/\.$/, '')}.`;
    case 'AAAA':
      return new URL(`http://[${r.content}]`).hostname.slice(1, -1);
    case 'A':
      return r.content;
    default:
      return undefined;
  }
}

/** The body of a new record for one canonical value */
function bodyOf(zone: string, rs: RecordSet, value: string) {
  const name = fqdn(rs.name, zone).replace(/\.$/, '');
  const base = { name, type: rs.type, ttl: rs.ttl };
  switch (rs.type) {
    case 'CNAME':
      return { ...base, content: value.replace(/\.$/, ''), proxied: false };
    case 'A':
    case 'AAAA':
      return { ...base, content: value, proxied: false };
    case 'TXT':
      return { ...base, content: quoteTxt(value) };
    case 'MX': {
      const [pref, host] = value.split(' ');
      return { ...base, content: host.replace(/\.$/, ''), priority: Number(pref) };
    }
    default:
      throw new Error(`unsupported type ${rs.type}`);
  }
}

export class CloudflareProvider implements DnsProvider {
  readonly kind = KIND;
  private readonly zoneIds = new Map<string, string>();
  constructor(private readonly c: CloudflareConfig) {}

  private base() {
    return this.c.url.replace(/\/+$/, '');
  }

  private async call(zone: string, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    const z = zoneName(zone);
    const a = await httpJson({ provider: KIND, zone: z, method, url: `${this.base()}${path}`, headers: { Authorization: `Bearer ${this.c.token}` }, body });
    if (a.status < 300 && a.body?.success !== false) return a;
    const errs = errorsOf(a.body);
    const codes = new Set(errs.flatMap((e) => [e.code, ...(e.error_chain ?? []).map((c) => c.code)]));
    const detail = describe(errs, a.body);
    if (a.status === 401 || a.status === 403 || [10000, 10001, 9109, 6003, 6103, 6111].some((c) => codes.has(c))) {
      throw new DnsError(KIND, z, 'auth', `Cloudflare refused the API token (HTTP ${a.status}, ${detail}): use an API token (not the Global API Key) with Zone:Read and DNS:Edit permissions on ${z}`);
    }
    if (a.status === 404 || codes.has(7003) || codes.has(7000)) throw new DnsError(KIND, z, 'zone', `Cloudflare does not know zone ${z} or a record of it (HTTP ${a.status}, ${detail}): check the zone name`);
    if (a.status === 400 || a.status === 409 || a.status === 422) throw new DnsError(KIND, z, 'invalid', `Cloudflare refused the change, nothing of this batch was changed: ${detail}`);
    throw new DnsError(KIND, z, 'server', `Cloudflare answered HTTP ${a.status}: ${detail}`);
  }

  private async zoneId(zone: string): Promise<string> {
    const z = zoneName(zone);
    const known = this.zoneIds.get(z);
    if (known) return known;
    const a = await this.call(z, 'GET', `/zones?name=${encodeURIComponent(z)}&per_page=50`);
    const found = (a.body?.result ?? []).find((r: { name: string; id: string }) => zoneName(r.name) === z);
    if (!found) throw new DnsError(KIND, z, 'zone', `the Cloudflare account has no zone ${z}, or the API token may not read it: add the zone, or give the token Zone:Read on it`);
    this.zoneIds.set(z, found.id);
    return found.id;
  }

  private async raw(zone: string): Promise<{ id: string; records: CfRecord[] }> {
    const id = await this.zoneId(zone);
    const records: CfRecord[] = [];
    for (let page = 1; ; page++) {
      const a = await this.call(zone, 'GET', `/zones/${encodeURIComponent(id)}/dns_records?per_page=500&page=${page}`);
      records.push(...((a.body?.result ?? []) as CfRecord[]));
      const info = a.body?.result_info;
      if (!info || page >= (info.total_pages ?? 1) || !(a.body?.result ?? []).length) break;
    }
    return { id, records };
  }

  async listRecords(zone: string): Promise<RecordSet[]> {
    const z = zoneName(zone);
    const { records } = await this.raw(z);
    const items: { name: string; type: RecordType; ttl: number; value: string }[] = [];
    for (const r of records) {
      const name = relativeName(r.name, z);
      const value = valueOf(r);
      if (name === undefined || !isRecordType(r.type) || value === undefined) continue;
      items.push({ name, type: r.type, ttl: r.ttl === 1 ? 300 : r.ttl, value });
    }
    return groupRecords(items);
  }

  async applyChanges(zone: string, changes: RecordChange[]): Promise<void> {
    const z = zoneName(zone);
    const checked = checkChanges(changes, KIND, z);
    const unsupported = checked.filter((c) => !SUPPORTED.has(c.record.type));
    if (unsupported.length) throw new DnsError(KIND, z, 'invalid', `this driver does not support ${[...new Set(unsupported.map((c) => c.record.type))].join(', ')} records yet; nothing was changed`);
    if (!checked.length) return;
    const { id, records } = await this.raw(z);
    type Op = { deletes: { id: string }[]; patches: { id: string; ttl: number }[]; posts: object[] };
    const perName = new Map<string, Op>();
    for (const ch of checked) {
      const op = perName.get(ch.record.name) ?? { deletes: [], patches: [], posts: [] };
      perName.set(ch.record.name, op);
      const existing = records.filter((r) => r.type === ch.record.type && relativeName(r.name, z) === ch.record.name);
      const want = new Set(ch.action === 'delete' ? [] : ch.record.values);
      const kept = new Set<string>();
      for (const r of existing) {
        const v = valueOf(r);
        if (v === undefined || !want.has(v) || kept.has(v)) op.deletes.push({ id: r.id });
        else {
          kept.add(v);
          if ((r.ttl === 1 ? 300 : r.ttl) !== ch.record.ttl) op.patches.push({ id: r.id, ttl: ch.record.ttl });
        }
      }
      for (const v of want) if (!kept.has(v)) op.posts.push(bodyOf(z, ch.record, v));
    }
    // Batches of at most batchSize operations, the operations of one name together.
    const batches: Op[] = [];
    let cur: Op = { deletes: [], patches: [], posts: [] };
    const size = (o: Op) => o.deletes.length + o.patches.length + o.posts.length;
    for (const op of perName.values()) {
      if (!size(op)) continue;
      if (size(cur) && size(cur) + size(op) > this.c.batchSize) batches.push(cur), (cur = { deletes: [], patches: [], posts: [] });
      cur.deletes.push(...op.deletes), cur.patches.push(...op.patches), cur.posts.push(...op.posts);
    }
    if (size(cur)) batches.push(cur);
    for (const b of batches) {
      const body = Object.fromEntries(Object.entries(b).filter(([, v]) => v.length));
      await this.call(z, 'POST', `/zones/${encodeURIComponent(id)}/dns_records/batch`, body);
    }
  }

  async ping(zone: string): Promise<void> {
    const id = await this.zoneId(zone);
    await this.call(zone, 'GET', `/zones/${encodeURIComponent(id)}/dns_records?per_page=5&page=1`);
  }
}

export const cloudflare: DnsProviderKind<CloudflareConfig> = {
  description: 'Cloudflare DNS API v4, API token authentication',
  parse(i, p: Problems) {
    checkUrl(i.url, 'url', p, false);
    if (!text(i.token)) p.push({ path: 'token', message: 'is required for cloudflare (an API token with Zone:Read and DNS:Edit)' });
    const batchSize = i.batchSize ?? 200;
    if (!(Number.isInteger(batchSize) && (batchSize as number) >= 1 && (batchSize as number) <= 3500)) p.push({ path: 'batchSize', message: 'must be 1-3500 (200 on the Free plan)' });
    return { url: String(i.url || CLOUDFLARE_API).replace(/\/+$/, ''), token: String(i.token ?? ''), batchSize: batchSize as number };
  },
  view: (c) => ({ url: c.url, batchSize: c.batchSize }),
  create: (c) => new CloudflareProvider(c),
};
