/**
 * SIMULATOR of the Cloudflare API v4 for DNS (https://api.cloudflare.com/client/v4), for tests:
 * not Cloudflare, and not derived from its code. Written from Cloudflare's published API
 * documentation (developers.cloudflare.com/api: Zones "List Zones"; DNS Records "List", "Create",
 * "Patch", "Overwrite", "Delete" and "Batch DNS Records"; "Rate limits"; DNS docs "Batch record
 * changes") and from the error answers Cloudflare gives as reported in public issue trackers.
 * What it does:
 *
 * - Every answer is the v4 envelope {success, errors: [{code, message}], messages, result}
 *   (+ result_info {page, per_page, count, total_count, total_pages} on lists).
 * - `Authorization: Bearer <token>`: no header, 400 code 9106; a token not in the format of API
 *   tokens (40 characters of A-Z a-z 0-9 _ -), 400 code 6003 "Invalid request headers" with
 *   error_chain 6111 "Invalid format for Authorization header"; an unknown token, 403 code 10000
 *   "Authentication error".
 * - GET /zones (?name=, page, per_page); GET /zones/{id}; an unknown zone id: 404 code 7003.
 * - /zones/{id}/dns_records: GET lists (?type=, ?name=, page, per_page 5-5000000, default 100);
 *   POST creates; /dns_records/{rid}: GET, PATCH, PUT, DELETE.
 * - POST /zones/{id}/dns_records/batch {deletes, patches, puts, posts}: executed in that order in
 *   one transaction (any failure: nothing applied), at most 200 operations (the Free plan's limit;
 *   option batchLimit); result {deletes, patches, puts, posts}.
 * - Validation: A/AAAA content must be an address (9005); CNAME content a host name; TTL 1
 *   (automatic) or 30-86400 (9021); the name inside the zone (9007); a CNAME beside any other
 *   record of its name (81053), a record beside a CNAME (81054), an identical record (81058).
 * - Rate limit: 1200 requests per 5 minutes per token (option rateLimit); beyond it, 429 with a
 *   `Retry-After` header (seconds) and error code 971.
 *
 * Simplifications: no accounts, proxying behaviour, comments/tags, SRV/CAA `data` fields; the
 * wording and codes of batch errors (which operation failed) are the simulator's own.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export interface CfRecord {
  id: string;
  zone_id: string;
  zone_name: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied?: boolean;
  proxiable?: boolean;
  priority?: number;
  created_on: string;
  modified_on: string;
}

export interface CloudflareSimulatorOptions {
  tokens: string[];
  zones: string[];
  batchLimit?: number;
  /** [window seconds, requests] */
  rateLimit?: [number, number];
}

export interface CloudflareSimulator {
  url: string;
  requests: { method: string; path: string; status: number }[];
  records(zone: string): CfRecord[];
  zoneId(zone: string): string;
  setRateLimit(limit: [number, number]): void;
  stop(): Promise<void>;
}

const id32 = () => randomBytes(16).toString('hex');
const TOKEN = /^[A-Za-z0-9_-]{40}$/;
const HOST = /^([a-z0-9_*]([a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/i;

class CfError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly chain?: { code: number; message: string }[],
  ) {
    super(message);
  }
}

export async function startCloudflareSimulator(opts: CloudflareSimulatorOptions): Promise<CloudflareSimulator> {
  const tokens = new Set(opts.tokens);
  const batchLimit = opts.batchLimit ?? 200;
  let rate = opts.rateLimit ?? [300, 1200];
  const zones = new Map<string, { id: string; name: string; records: CfRecord[]; created: string }>();
  for (const z of opts.zones) zones.set(z, { id: id32(), name: z, records: [], created: new Date().toISOString() });
  const byId = (id: string) => [...zones.values()].find((z) => z.id === id);
  const requests: CloudflareSimulator['requests'] = [];
  const hits = new Map<string, number[]>();

  const zoneView = (z: { id: string; name: string; created: string }) => ({ id: z.id, name: z.name, status: 'active', paused: false, type: 'full', name_servers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'], created_on: z.created, modified_on: z.created, plan: { name: 'Free Website' } });

  /** Checks one record as it would be after a write, against the other records (`others`) of the zone */
  function validate(zoneName: string, r: Partial<CfRecord>, others: CfRecord[]) {
    const type = String(r.type ?? '');
    const name = String(r.name ?? '').toLowerCase().replace(/\.$/, '');
    const content = String(r.content ?? '');
    if (!['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'NS', 'CAA', 'SRV', 'PTR', 'HTTPS', 'SVCB', 'TLSA', 'URI', 'DS', 'SSHFP', 'NAPTR', 'LOC', 'CERT', 'DNSKEY', 'SMIMEA'].includes(type)) throw new CfError(400, 9000, 'DNS record type is invalid.');
    if (!(name === zoneName || name.endsWith(`.${zoneName}`)) || !HOST.test(name)) throw new CfError(400, 9007, `DNS name is invalid: ${name} is not within the zone ${zoneName}.`);
    if (type === 'A' && !isIPv4(content)) throw new CfError(400, 9005, 'Content for A record must be a valid IPv4 address.');
    if (type === 'AAAA' && !isIPv6(content)) throw new CfError(400, 9005, 'Content for AAAA record must be a valid IPv6 address.');
    if ((type === 'CNAME' || type === 'MX' || type === 'NS') && !HOST.test(content.replace(/\.$/, ''))) throw new CfError(400, 9005, `Content for ${type} record is invalid.`);
    if (type === 'MX' && !(Number.isInteger(r.priority) && r.priority! >= 0 && r.priority! <= 65535)) throw new CfError(400, 9100, 'MX priority is invalid.');
    if (type === 'TXT' && content.length > 2048) throw new CfError(400, 9005, 'Content for TXT record is too long.');
    const ttl = r.ttl ?? 1;
    if (!(ttl === 1 || (Number.isInteger(ttl) && ttl >= 30 && ttl <= 86400))) throw new CfError(400, 9021, 'Invalid TTL. Must be between 30 and 86400 seconds, or 1 for Automatic.');
    const same = others.filter((o) => o.name === name && o.id !== r.id);
    if (type === 'CNAME' && same.length) throw new CfError(400, 81053, 'An A, AAAA, or CNAME record with that host already exists. For more details, refer to <https://developers.cloudflare.com/dns/manage-dns-records/troubleshooting/records-with-same-name/>.');
    if (type !== 'CNAME' && same.some((o) => o.type === 'CNAME')) throw new CfError(400, 81054, 'A CNAME record with that host already exists. For more details, refer to <https://developers.cloudflare.com/dns/manage-dns-records/troubleshooting/records-with-same-name/>.');
    if (same.some((o) => o.type === type && o.content === content && (o.priority ?? null) === (r.priority ?? null))) throw new CfError(400, 81058, 'An identical record already exists.');
  }

  function make(z: { id: string; name: string }, b: Record<string, unknown>, base?: CfRecord): CfRecord {
    const now = new Date().toISOString();
    const type = String(b.type ?? base?.type ?? '');
    const r: CfRecord = {
      id: base?.id ?? id32(),
      zone_id: z.id,
      zone_name: z.name,
      name: String(b.name ?? base?.name ?? '').toLowerCase().replace(/\.$/, ''),
      type,
      content: String(b.content ?? base?.content ?? ''),
      ttl: (b.ttl as number) ?? base?.ttl ?? 1,
      created_on: base?.created_on ?? now,
      modified_on: now,
      ...(['A', 'AAAA', 'CNAME'].includes(type) && { proxied: (b.proxied as boolean) ?? base?.proxied ?? false, proxiable: true }),
      ...(type === 'MX' && { priority: (b.priority as number) ?? base?.priority }),
    };
    if (type === 'CNAME') r.content = r.content.replace(/\.$/, '');
    return r;
  }

  /** Runs writes on a copy of the zone's records; replaces them only when all succeed */
  function transaction<T>(z: { id: string; name: string; records: CfRecord[] }, fn: (records: CfRecord[]) => T): T {
    const copy = z.records.map((r) => ({ ...r }));
    const out = fn(copy);
    z.records = copy;
    return out;
  }

  const ops = {
    post(z: { id: string; name: string }, records: CfRecord[], b: Record<string, unknown>) {
      const r = make(z, b);
      validate(z.name, r, records);
      records.push(r);
      return r;
    },
    update(z: { id: string; name: string }, records: CfRecord[], id: string, b: Record<string, unknown>, replace: boolean) {
      const i = records.findIndex((r) => r.id === id);
      if (i < 0) throw new CfError(404, 81044, 'Record does not exist.');
      const r = make(z, replace ? { ...b, type: b.type ?? records[i].type } : b, replace ? { ...records[i], content: '', ttl: 1 } as CfRecord : records[i]);
      validate(z.name, r, records);
      records[i] = r;
      return r;
    },
    delete(records: CfRecord[], id: string) {
      const i = records.findIndex((r) => r.id === id);
      if (i < 0) throw new CfError(404, 81044, 'Record does not exist.');
      return { id: records.splice(i, 1)[0].id };
    },
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const send = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      requests.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const ok = (result: unknown, info?: Record<string, number>, status = 200) => send(status, { success: true, errors: [], messages: [], result, ...(info && { result_info: info }) });
    const fail = (e: CfError, headers: Record<string, string> = {}) =>
      send(e.status, { success: false, errors: [{ code: e.code, message: e.message, ...(e.chain && { error_chain: e.chain }) }], messages: [], result: null }, headers);
    try {
      const auth = req.headers.authorization;
      if (!auth) throw new CfError(400, 9106, 'Missing X-Auth-Key, X-Auth-Email or Authorization headers');
      const m = /^Bearer (.*)$/.exec(auth);
      if (!m || !TOKEN.test(m[1])) throw new CfError(400, 6003, 'Invalid request headers', [{ code: 6111, message: 'Invalid format for Authorization header' }]);
      if (!tokens.has(m[1])) throw new CfError(403, 10000, 'Authentication error');
      const now = Date.now();
      const list = (hits.get(m[1]) ?? []).filter((t) => now - t < rate[0] * 1000);
      if (list.length >= rate[1]) {
        hits.set(m[1], list);
        const wait = Math.max(1, Math.ceil((list[0] + rate[0] * 1000 - now) / 1000));
        return fail(new CfError(429, 971, 'Please wait and consider throttling your request speed'), { 'Retry-After': String(wait) });
      }
      list.push(now);
      hits.set(m[1], list);
      let body: Record<string, unknown> = {};
      if (chunks.length) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString());
        } catch {
          throw new CfError(400, 9207, 'Request body is invalid.');
        }
      }
      const path = url.pathname.replace(/^\/client\/v4/, '');
      const paging = <T>(items: T[]) => {
        const perPage = Number(url.searchParams.get('per_page') ?? 100);
        const page = Number(url.searchParams.get('page') ?? 1);
        if (!(Number.isInteger(perPage) && perPage >= 5 && perPage <= 5_000_000)) throw new CfError(400, 1004, 'per_page must be between 5 and 5000000');
        if (!(Number.isInteger(page) && page >= 1)) throw new CfError(400, 1004, 'page must be 1 or more');
        const slice = items.slice((page - 1) * perPage, page * perPage);
        return ok(slice, { page, per_page: perPage, count: slice.length, total_count: items.length, total_pages: Math.max(1, Math.ceil(items.length / perPage)) });
      };
      let r: RegExpExecArray | null;
      if (path === '/zones' && req.method === 'GET') {
        const name = url.searchParams.get('name');
        return paging([...zones.values()].filter((z) => name === null || z.name === name).map(zoneView));
      }
      if ((r = /^\/zones\/([^/]+)$/.exec(path)) && req.method === 'GET') {
        const z = byId(r[1]);
        if (!z) throw new CfError(404, 7003, `Could not route to /zones/${r[1]}, perhaps your object identifier is invalid?`);
        return ok(zoneView(z));
      }
      if ((r = /^\/zones\/([^/]+)\/dns_records(?:\/(batch|[^/]+))?$/.exec(path))) {
        const z = byId(r[1]);
        if (!z) throw new CfError(404, 7003, `Could not route to /zones/${r[1]}/dns_records, perhaps your object identifier is invalid?`);
        const sub = r[2];
        if (!sub && req.method === 'GET') {
          const type = url.searchParams.get('type');
          const name = url.searchParams.get('name');
          return paging(z.records.filter((x) => (type === null || x.type === type) && (name === null || x.name === name)).sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name)));
        }
        if (!sub && req.method === 'POST') return ok(transaction(z, (recs) => ops.post(z, recs, body)));
        if (sub === 'batch' && req.method === 'POST') {
          const lists = { deletes: body.deletes ?? [], patches: body.patches ?? [], puts: body.puts ?? [], posts: body.posts ?? [] } as unknown as Record<string, Record<string, unknown>[]>;
          if (!Object.values(lists).every(Array.isArray)) throw new CfError(400, 1004, 'deletes, patches, puts and posts must be arrays');
          const total = Object.values(lists).reduce((n, l) => n + l.length, 0);
          if (total > batchLimit) throw new CfError(400, 81059, `The batch holds ${total} operations; this zone's plan allows at most ${batchLimit} per batch.`);
          const at = (list: string, i: number, fn: () => unknown) => {
            try {
              return fn();
            } catch (e) {
              if (e instanceof CfError) throw new CfError(e.status === 404 ? 404 : 400, e.code, `${list}[${i}]: ${e.message}`);
              throw e;
            }
          };
          const result = transaction(z, (recs) => ({
            deletes: lists.deletes.map((d, i) => at('deletes', i, () => ops.delete(recs, String(d.id)))),
            patches: lists.patches.map((p, i) => at('patches', i, () => ops.update(z, recs, String(p.id), p, false))),
            puts: lists.puts.map((p, i) => at('puts', i, () => ops.update(z, recs, String(p.id), p, true))),
            posts: lists.posts.map((p, i) => at('posts', i, () => ops.post(z, recs, p))),
          }));
          return ok(result);
        }
        if (sub && sub !== 'batch') {
          if (req.method === 'GET') {
            const rec = z.records.find((x) => x.id === sub);
            if (!rec) throw new CfError(404, 81044, 'Record does not exist.');
            return ok(rec);
          }
          if (req.method === 'PATCH' || req.method === 'PUT') return ok(transaction(z, (recs) => ops.update(z, recs, sub, body, req.method === 'PUT')));
          if (req.method === 'DELETE') return ok(transaction(z, (recs) => ops.delete(recs, sub)));
        }
      }
      throw new CfError(404, 7000, `No route for that URI`);
    } catch (e) {
      if (e instanceof CfError) return fail(e);
      return send(500, { success: false, errors: [{ code: 10002, message: `internal: ${(e as Error).message}` }], messages: [], result: null });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/client/v4`,
    requests,
    records: (zone) => zones.get(zone)!.records,
    zoneId: (zone) => zones.get(zone)!.id,
    setRateLimit(l) {
      rate = l;
      hits.clear();
    },
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
