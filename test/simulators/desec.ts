/**
 * SIMULATOR of the deSEC DNS API (https://desec.io/api/v1), for tests: not deSEC, and not derived
 * from its code. Written from deSEC's published documentation (desec.readthedocs.io):
 * "Domain Management", "Retrieving and Creating DNS Records" (RRset objects, bulk operations,
 * atomicity, the two stages of input validation, pagination), "User Registration and Management"
 * (token authentication) and "Rate Limits". What it does, as documented:
 *
 * - `Authorization: Token <token>`; no or an unknown token: 401 {"detail": ...}.
 * - GET/POST /domains/, GET/DELETE /domains/{name}/; a domain not in the account: 404 {"detail": "Not found."}.
 * - /domains/{name}/rrsets/: GET lists RRsets (newest first), filters `type` and `subname`; up to
 *   500 items (option pageSize), more require the `cursor` parameter (400 without it), pages
 *   linked in a `Link:` header (first, prev, next). POST/PUT/PATCH take one RRset or an array
 *   (bulk): POST only creates, PUT creates or replaces (ttl and records required), PATCH creates
 *   or changes the given fields; `records: []` deletes. Bulk requests are atomic.
 * - Validation stage 1 (syntax, ttl within [minimum_ttl, 604800], uniqueness against the zone for
 *   POST and within the request): 400 with one error object per part, `{}` for good parts.
 *   Stage 2 (only when stage 1 passed: supported type, record contents, CNAME exclusivity): 400
 *   not associated with a part.
 * - /domains/{name}/rrsets/{subname}/{type}/ ('@' or '...' suffix for the apex): GET, PUT, PATCH, DELETE.
 * - SOA and DNSSEC types cannot be written. Rate limits (sliding windows per account):
 *   dns_api_cheap 10/s 50/min for reads, dns_api_per_domain_expensive 2/s 15/min 100/h 300/day
 *   for RRset writes per domain; throttled: 429, a `Retry-After` header and
 *   {"detail": "Request was throttled. Expected available in N seconds."}. Tests may change the
 *   limits (option `limits`), since the documented ones would make a test suite wait minutes.
 *
 * Simplifications: no users, tokens policies or dynDNS; `keys` of a domain are empty; record
 * contents are checked for A, AAAA, CNAME, MX, TXT, SRV and CAA only; canonicalisation only of
 * AAAA and names (lower case).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';

export interface DesecRRset {
  created: string;
  domain: string;
  subname: string;
  name: string;
  type: string;
  records: string[];
  ttl: number;
  touched: string;
}

interface Domain {
  name: string;
  minimum_ttl: number;
  created: string;
  published: string;
  touched: string;
  rrsets: Map<string, DesecRRset>;
  seq: Map<string, number>;
}

/** Windows (seconds) and counts of a rate limit */
export type Rate = [windowSeconds: number, count: number][];

export interface DesecSimulatorOptions {
  tokens: string[];
  domains?: { name: string; minimumTtl?: number }[];
  pageSize?: number;
  limits?: { read?: Rate; write?: Rate };
}

export interface DesecSimulator {
  url: string;
  /** Every request: method, path with query, status */
  requests: { method: string; path: string; status: number }[];
  rrsets(domain: string): DesecRRset[];
  setLimits(limits: { read?: Rate; write?: Rate }): void;
  stop(): Promise<void>;
}

const DOCUMENTED = { read: [[1, 10], [60, 50]] as Rate, write: [[1, 2], [60, 15], [3600, 100], [86400, 300]] as Rate };
const RESTRICTED = new Set(['SOA', 'DNSKEY', 'NSEC3PARAM', 'RRSIG', 'NSEC', 'NSEC3', 'CDS', 'CDNSKEY']);
const DISABLED = new Set(['ALIAS', 'DNAME']);
const SUBNAME = /^(\*\.)?([a-z0-9_-]+\.)*[a-z0-9_-]*$/;
const HOST = /^([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.)+$/i;

/** Stage 2: is each record's content valid for its type (zone-file form)? */
function contentProblem(type: string, content: string): string | undefined {
  const c = content.trim();
  switch (type) {
    case 'A':
      return isIPv4(c) ? undefined : `Cannot parse record contents: invalid IPv4 address '${c}'`;
    case 'AAAA':
      return isIPv6(c) ? undefined : `Cannot parse record contents: invalid IPv6 address '${c}'`;
    case 'CNAME':
    case 'NS':
      return HOST.test(c) ? undefined : `Cannot parse record contents: '${c}' is not a fully qualified name with a final dot`;
    case 'MX':
      return /^\d+ \S+\.$/.test(c) ? undefined : `Cannot parse record contents: '${c}'`;
    case 'SRV':
      return /^\d+ \d+ \d+ \S+\.$/.test(c) ? undefined : `Cannot parse record contents: '${c}'`;
    case 'CAA':
      return /^\d+ [a-z0-9]+ "[^"]*"$/i.test(c) ? undefined : `Cannot parse record contents: '${c}'`;
    case 'TXT':
      return /^("([^"\\]|\\.)*"\s*)+$/.test(c) ? undefined : `Cannot parse record contents: TXT records must be quoted, got '${c}'`;
    default:
      return /^[A-Z0-9]+$/.test(type) ? undefined : `The RR set type '${type}' is not supported.`;
  }
}

const canonical = (type: string, content: string) => {
  const c = content.trim().replace(/\s+/g, ' ');
  if (type === 'AAAA' && isIPv6(c)) return new URL(`http://[${c}]`).hostname.slice(1, -1);
  if (type === 'CNAME' || type === 'NS') return c.toLowerCase();
  return c;
};

export async function startDesecSimulator(opts: DesecSimulatorOptions): Promise<DesecSimulator> {
  const tokens = new Set(opts.tokens);
  const pageSize = opts.pageSize ?? 500;
  let limits = { ...DOCUMENTED, ...opts.limits };
  const domains = new Map<string, Domain>();
  const requests: DesecSimulator['requests'] = [];
  const hits = new Map<string, number[]>();
  const stamp = () => new Date().toISOString();
  const addDomain = (name: string, minimumTtl = 3600) => {
    const t = stamp();
    domains.set(name, { name, minimum_ttl: minimumTtl, created: t, published: t, touched: t, rrsets: new Map(), seq: new Map() });
    const d = domains.get(name)!;
    d.rrsets.set(' NS', { created: t, domain: name, subname: '', name: `${name}.`, type: 'NS', records: ['ns1.desec.io.', 'ns2.desec.org.'], ttl: 3600, touched: t });
    d.seq.set(' NS', 0);
  };
  for (const d of opts.domains ?? []) addDomain(d.name, d.minimumTtl);
  let counter = 1;

  /** Seconds until the request may go, or 0 (the request is counted) */
  const throttle = (key: string, rate: Rate): number => {
    const nowMs = Date.now();
    const list = (hits.get(key) ?? []).filter((t) => nowMs - t < Math.max(...rate.map(([w]) => w)) * 1000);
    for (const [w, n] of rate) {
      const inWindow = list.filter((t) => nowMs - t < w * 1000);
      if (inWindow.length >= n) return Math.max(1, Math.ceil((inWindow[inWindow.length - n] + w * 1000 - nowMs) / 1000));
    }
    list.push(nowMs);
    hits.set(key, list);
    return 0;
  };

  const domainView = (d: Domain, withKeys = true) => ({ created: d.created, ...(withKeys && { keys: [] }), minimum_ttl: d.minimum_ttl, name: d.name, published: d.published, touched: d.touched });
  const ordered = (d: Domain) => [...d.rrsets.entries()].sort((a, b) => (d.seq.get(b[0]) ?? 0) - (d.seq.get(a[0]) ?? 0)).map(([, r]) => r);

  type Part = { subname?: unknown; type?: unknown; ttl?: unknown; records?: unknown };

  /** Applies a write atomically; returns [status, body] */
  function write(d: Domain, method: string, body: unknown, bulk: boolean): [number, unknown] {
    const parts = (bulk ? body : [body]) as Part[];
    if (!Array.isArray(parts) || parts.some((p) => !p || typeof p !== 'object' || Array.isArray(p))) return [400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }];
    // Stage 1
    const errors = parts.map((p, i) => {
      const e: Record<string, string[]> = {};
      const subname = p.subname ?? '';
      if (typeof subname !== 'string' || !SUBNAME.test(subname) || subname.length > 178) e.subname = ['Subname can only use (lowercase) a-z, 0-9, ., -, and _, may start with a \'*.\', or just be \'*\'.'];
      if (typeof p.type !== 'string' || !p.type) e.type = ['This field is required.'];
      else if (p.type !== p.type.toUpperCase()) e.type = ['You must use uppercase letters for the RR set type.'];
      else if (RESTRICTED.has(p.type)) e.type = [`You cannot tinker with the ${p.type} RR set. It is managed automatically.`];
      else if (DISABLED.has(p.type)) e.type = [`The ${p.type} RR set type is currently unsupported.`];
      const key = `${String(subname)} ${String(p.type)}`;
      const exists = d.rrsets.has(key);
      const deleting = Array.isArray(p.records) && p.records.length === 0;
      const needsAll = method === 'POST' || method === 'PUT' || (method === 'PATCH' && !exists);
      if (p.ttl === undefined && needsAll && !deleting) e.ttl = ['This field is required.'];
      else if (p.ttl !== undefined && !(Number.isInteger(p.ttl))) e.ttl = ['A valid integer is required.'];
      else if (typeof p.ttl === 'number' && p.ttl < d.minimum_ttl) e.ttl = [`Ensure this value is greater than or equal to ${d.minimum_ttl}.`];
      else if (typeof p.ttl === 'number' && p.ttl > 604800) e.ttl = ['Ensure this value is less than or equal to 604800.'];
      if (p.records === undefined && needsAll) e.records = ['This field is required.'];
      else if (p.records !== undefined && !(Array.isArray(p.records) && p.records.every((r) => typeof r === 'string'))) e.records = ['Expected a list of items but got type "str".'];
      else if (Array.isArray(p.records) && p.records.length > 4091) e.records = ['Ensure this field has no more than 4091 elements.'];
      if (method === 'POST' && exists) e.non_field_errors = ['Another RRset with the same subdomain and type exists for this domain.'];
      const twin = parts.findIndex((q, j) => j !== i && `${String(q.subname ?? '')} ${String(q.type)}` === key);
      if (twin >= 0) e.non_field_errors = [...(e.non_field_errors ?? []), `Same subname and type as in position(s) ${parts.map((q, j) => (j !== i && `${String(q.subname ?? '')} ${String(q.type)}` === key ? j : -1)).filter((j) => j >= 0).join(', ')}, but must be unique.`];
      return e;
    });
    if (errors.some((e) => Object.keys(e).length)) return [400, bulk ? errors : errors[0]];
    // Stage 2, on a copy of the zone: applied only if everything holds.
    const next = new Map(d.rrsets);
    const seq = new Map(d.seq);
    const t = stamp();
    const touched: string[] = [];
    for (const p of parts) {
      const subname = String(p.subname ?? '');
      const type = String(p.type);
      const key = `${subname} ${type}`;
      const old = next.get(key);
      const records = p.records === undefined ? (old?.records ?? []) : (p.records as string[]);
      if (records.length === 0) {
        next.delete(key);
        continue;
      }
      for (const r of records) {
        const problem = contentProblem(type, r);
        if (problem) return [400, { non_field_errors: [`${subname ? `${subname}.` : ''}${d.name}./${type}: ${problem}`] }];
      }
      const ttl = p.ttl === undefined ? old!.ttl : (p.ttl as number);
      next.set(key, { created: old?.created ?? t, domain: d.name, subname, name: `${subname ? `${subname}.` : ''}${d.name}.`, type, records: [...new Set(records.map((r) => canonical(type, r)))], ttl, touched: t });
      if (!old) seq.set(key, counter++);
      touched.push(key);
    }
    const names = new Map<string, string[]>();
    for (const r of next.values()) names.set(r.subname, [...(names.get(r.subname) ?? []), r.type]);
    for (const [subname, types] of names) {
      if (types.includes('CNAME') && types.length > 1) return [400, { non_field_errors: [`RRset with conflicting type present: ${subname || '@'} (${types.filter((x) => x !== 'CNAME').join(', ')}). (No other RRsets are allowed alongside CNAME.)`] }];
      if (types.includes('CNAME') && subname === '') return [400, { non_field_errors: ['CNAME RRset cannot have empty subname.'] }];
    }
    d.rrsets = next;
    d.seq = seq;
    d.published = d.touched = t;
    const result = touched.map((k) => next.get(k)).filter(Boolean);
    if (!bulk) return result.length ? [method === 'POST' ? 201 : 200, result[0]] : [204, undefined];
    return [method === 'POST' ? 201 : 200, result];
  }

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      requests.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, status });
      res.writeHead(status, { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const auth = req.headers.authorization ?? '';
    if (!auth) return send(401, { detail: 'Authentication credentials were not provided.' });
    const m = /^Token (\S+)$/.exec(auth);
    if (!m || !tokens.has(m[1])) return send(401, { detail: 'Invalid token.' });
    const path = url.pathname.replace(/^\/api\/v1/, '');
    const write_ = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method ?? '');
    const rrsetPath = /^\/domains\/([^/]+)\/rrsets\//.exec(path);
    const wait = rrsetPath && write_ ? throttle(`w ${m[1]} ${rrsetPath[1]}`, limits.write) : !write_ ? throttle(`r ${m[1]}`, limits.read) : 0;
    if (wait) return send(429, { detail: `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.` }, { 'Retry-After': String(wait) });
    let body: unknown;
    if (chunks.length) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString());
      } catch {
        return send(400, { detail: 'JSON parse error - Expecting value: line 1 column 1 (char 0)' });
      }
    }
    const list = (items: unknown[]) => {
      const cursor = url.searchParams.get('cursor');
      if (items.length > pageSize && cursor === null) {
        return send(400, { detail: `Pagination required. You can query up to ${pageSize} items at a time ('cursor' parameter). Use the links in the 'Link' response header to retrieve the first page.` }, { Link: `<${url.origin}${url.pathname}?cursor=>; rel="first"` });
      }
      if (cursor === null) return send(200, items);
      const start = cursor === '' ? 0 : Number(Buffer.from(cursor, 'base64url').toString());
      const page = items.slice(start, start + pageSize);
      const link = (at: number) => {
        const q = new URLSearchParams(url.searchParams);
        q.set('cursor', at === 0 ? '' : Buffer.from(String(at)).toString('base64url'));
        return `${url.origin}${url.pathname}?${q}`;
      };
      const links = [`<${link(0)}>; rel="first"`];
      if (start > 0) links.push(`<${link(Math.max(0, start - pageSize))}>; rel="prev"`);
      if (start + pageSize < items.length) links.push(`<${link(start + pageSize)}>; rel="next"`);
      return send(200, page, { Link: links.join(', ') });
    };

    let r: RegExpExecArray | null;
    if (path === '/domains/' && req.method === 'GET') return list([...domains.values()].reverse().map((d) => domainView(d, false)));
    if (path === '/domains/' && req.method === 'POST') {
      const name = (body as { name?: unknown })?.name;
      if (typeof name !== 'string' || !/^([a-z0-9_-]+\.)+[a-z0-9-]+$/.test(name)) return send(400, { name: ['Invalid value (not a DNS name).'] });
      if (domains.has(name)) return send(400, { name: ['This domain name conflicts with an existing zone, or is disallowed by policy.'] });
      addDomain(name);
      return send(201, domainView(domains.get(name)!));
    }
    if ((r = /^\/domains\/([^/]+)\/$/.exec(path))) {
      const d = domains.get(r[1]);
      if (req.method === 'DELETE') return domains.delete(r[1]), send(204);
      if (!d) return send(404, { detail: 'Not found.' });
      if (req.method === 'GET') return send(200, domainView(d));
      return send(405, { detail: `Method "${req.method}" not allowed.` });
    }
    if ((r = /^\/domains\/([^/]+)\/rrsets\/$/.exec(path))) {
      const d = domains.get(r[1]);
      if (!d) return send(404, { detail: 'Not found.' });
      if (req.method === 'GET') {
        const type = url.searchParams.get('type');
        const subname = url.searchParams.get('subname');
        return list(ordered(d).filter((x) => (type === null || x.type === type) && (subname === null || x.subname === subname)));
      }
      if (['POST', 'PUT', 'PATCH'].includes(req.method ?? '')) {
        const [status, out] = write(d, req.method!, body, Array.isArray(body));
        return send(status, out);
      }
      return send(405, { detail: `Method "${req.method}" not allowed.` });
    }
    if ((r = /^\/domains\/([^/]+)\/rrsets\/([^/]*)\/([^/]+)\/$/.exec(path))) {
      const d = domains.get(r[1]);
      if (!d) return send(404, { detail: 'Not found.' });
      const subname = r[2] === '@' ? '' : r[2].endsWith('...') ? r[2].slice(0, -3) : r[2];
      const key = `${subname} ${r[3]}`;
      const rr = d.rrsets.get(key);
      if (req.method === 'GET') return rr ? send(200, rr) : send(404, { detail: 'Not found.' });
      if (req.method === 'DELETE') {
        const [status] = write(d, 'PATCH', { subname, type: r[3], records: [] }, false);
        return send(status === 400 ? 400 : 204);
      }
      if (req.method === 'PUT' || req.method === 'PATCH') {
        if (!rr) return send(404, { detail: 'Not found.' });
        const [status, out] = write(d, req.method, { ...(body as object), subname, type: r[3] }, false);
        return send(status, out);
      }
      return send(405, { detail: `Method "${req.method}" not allowed.` });
    }
    return send(404, { detail: 'Not found.' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/api/v1`,
    requests,
    rrsets: (domain) => ordered(domains.get(domain)!),
    setLimits(l) {
      limits = { ...limits, ...l };
      hits.clear();
    },
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
