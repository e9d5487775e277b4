/**
 * A NetBox REST API SIMULATOR (not NetBox) on loopback, for testing the `netbox` IPAM driver where
 * no NetBox can run. Written from NetBox's documentation and source: docs/integrations/rest-api.md
 * (pagination, tokens, trailing slashes, 204 on DELETE), netbox/ipam/api/views.py
 * (AvailableIPAddressesView), netbox/ipam/models/ip.py (Prefix.get_available_ips) and
 * netbox/netbox/api/authentication.py (TokenAuthentication).
 *
 * Endpoints:
 *   GET    /api/status/
 *   GET    /api/ipam/prefixes/{id}/
 *   GET    /api/ipam/prefixes/{id}/available-ips/?limit=   a plain list, not paginated
 *   POST   /api/ipam/prefixes/{id}/available-ips/          an object or a list of objects
 *   GET    /api/ipam/ip-addresses/?address=&parent=&description=&description__iew=&description__ic=&limit=&offset=
 *   POST   /api/ipam/ip-addresses/                         {address, description?, status?}
 *   GET    /api/ipam/ip-addresses/{id}/
 *   DELETE /api/ipam/ip-addresses/{id}/
 * Behaviours followed:
 *   - Authentication `Authorization: Token <40 hex>`: none -> 403 {"detail": "Authentication
 *     credentials were not provided."} (LOGIN_REQUIRED); unknown -> 403 {"detail": "Invalid
 *     token"}; a token without write access on POST/DELETE -> 403 {"detail": "You do not have
 *     permission to perform this action."}.
 *   - Pagination: {count, next, previous, results}; `limit` (default PAGINATE_COUNT 50, capped at
 *     MAX_PAGE_SIZE 1000, 0 = MAX_PAGE_SIZE) and `offset`; next/previous are absolute URLs.
 *   - Available IPs: the prefix minus its child addresses; for IPv4 prefixes shorter than /31
 *     the network and broadcast addresses, for IPv6 shorter than /127 the Subnet-Router anycast
 *     address, are left out, unless the prefix is a pool. POST takes the lowest available
 *     address(es) under one lock (NetBox's advisory lock) and answers 201 with the new IP
 *     address(es) (mask = the prefix's length), or 409 {"detail": "An insufficient number of IP
 *     addresses are available within <prefix> (<n> requested, <m> available)"}.
 *   - `fullStatus: 204` answers a full prefix as NetBox 2.x-3.x did: 204 (no body reaches the client).
 *   - Unknown ids: 404 {"detail": "Not found."}; a path without its trailing slash: 301 to it.
 *   - Field checks: status must be a known choice, description at most 200 characters (400 with
 *     {"field": ["message"]}).
 * Left out: VRFs (all addresses in the global table), tenants, tags, custom fields, roles,
 * assigned objects, IP ranges, the brief format, every other endpoint and filter, bulk
 * update/delete, sessions and the browsable API, API versioning headers.
 * Test hooks (not HTTP): tokens, prefixes and addresses can be added and removed, requests are
 * counted, and `stop()` closes it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { formatAddress, parseAddress, parsePrefix, type Prefix } from '../../src/drivers/ipam/addr.js';

export interface SimPrefix {
  id: number;
  prefix: Prefix;
  isPool: boolean;
  description: string;
  /** Lowest address that may be free (an optimisation; NetBox computes the set each time) */
  hint: bigint;
}

export interface SimIp {
  id: number;
  family: 4 | 6;
  host: bigint;
  length: number;
  description: string;
  status: string;
  created: string;
  lastUpdated: string;
}

const STATUSES = ['active', 'reserved', 'deprecated', 'dhcp', 'slaac'];
const label = (s: string) => (s === 'dhcp' || s === 'slaac' ? s.toUpperCase() : s[0].toUpperCase() + s.slice(1));

export class NetboxSimulator {
  readonly tokens = new Map<string, { writeEnabled: boolean }>();
  readonly prefixes = new Map<number, SimPrefix>();
  readonly ips = new Map<number, SimIp>();
  /** Requests by "METHOD /path" (query left out) */
  readonly requests = new Map<string, number>();
  private byHost = new Map<string, Set<number>>();
  private nextId = 1;
  private lock: Promise<void> = Promise.resolve();
  url = '';

  private constructor(
    private readonly server: Server,
    readonly opts: { paginateCount: number; maxPageSize: number; fullStatus: 409 | 204 },
  ) {}

  static async start(opts: { paginateCount?: number; maxPageSize?: number; fullStatus?: 409 | 204 } = {}): Promise<NetboxSimulator> {
    const server = createServer();
    const sim = new NetboxSimulator(server, { paginateCount: opts.paginateCount ?? 50, maxPageSize: opts.maxPageSize ?? 1000, fullStatus: opts.fullStatus ?? 409 });
    server.on('request', (req, res) => {
      sim.handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: String(err), exception: 'ServerError' }));
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    sim.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return sim;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ---- test hooks ----

  /** A new API token (40 hex characters, like NetBox's) */
  addToken(opts: { writeEnabled?: boolean; key?: string } = {}): string {
    const key = opts.key ?? randomBytes(20).toString('hex');
    this.tokens.set(key, { writeEnabled: opts.writeEnabled ?? true });
    return key;
  }

  revokeToken(key: string) {
    this.tokens.delete(key);
  }

  addPrefix(cidr: string, opts: { isPool?: boolean; description?: string } = {}): number {
    const prefix = parsePrefix(cidr);
    if (typeof prefix === 'string') throw new Error(prefix);
    const id = this.nextId++;
    this.prefixes.set(id, { id, prefix, isPool: opts.isPool ?? false, description: opts.description ?? '', hint: prefix.first });
    return id;
  }

  /** An address made in NetBox by someone else (e.g. by hand in the UI) */
  addIp(address: string, description = ''): number {
    const [host, len] = address.split('/');
    const a = parseAddress(host);
    if (!a || len === undefined) throw new Error(`not an address with mask: ${address}`);
    return this.insert(a.family, a.value, Number(len), description, 'active').id;
  }

  /** Addresses within a prefix (any owner) */
  ipsIn(cidr: string): SimIp[] {
    const p = parsePrefix(cidr) as Prefix;
    return [...this.ips.values()].filter((ip) => ip.family === p.family && ip.host >= p.first && ip.host <= p.last);
  }

  // ---- model ----

  private key = (family: number, host: bigint) => `${family}:${host}`;

  private insert(family: 4 | 6, host: bigint, length: number, description: string, status: string): SimIp {
    const t = new Date().toISOString();
    const ip: SimIp = { id: this.nextId++, family, host, length, description, status, created: t, lastUpdated: t };
    this.ips.set(ip.id, ip);
    const k = this.key(family, host);
    if (!this.byHost.has(k)) this.byHost.set(k, new Set());
    this.byHost.get(k)!.add(ip.id);
    return ip;
  }

  private remove(ip: SimIp) {
    this.ips.delete(ip.id);
    const k = this.key(ip.family, ip.host);
    this.byHost.get(k)?.delete(ip.id);
    if (!this.byHost.get(k)?.size) this.byHost.delete(k);
    for (const p of this.prefixes.values()) {
      if (p.prefix.family === ip.family && ip.host >= p.prefix.first && ip.host <= p.prefix.last && ip.host < p.hint) p.hint = ip.host;
    }
  }

  private taken = (family: number, host: bigint) => this.byHost.has(this.key(family, host));

  /** Prefix.get_available_ips: the prefix minus child addresses, minus the unusable addresses */
  private unusable(p: SimPrefix): bigint[] {
    const { family, length, first, last } = p.prefix;
    if (p.isPool || (family === 4 && length >= 31) || (family === 6 && length >= 127)) return [];
    return family === 4 ? [first, last] : [first];
  }

  /** The lowest `n` available addresses (fewer when there are not that many) */
  private available(p: SimPrefix, n: number): bigint[] {
    const out: bigint[] = [];
    const skip = new Set(this.unusable(p));
    let firstFree: bigint | undefined;
    for (let c = p.hint; c <= p.prefix.last && out.length < n; c++) {
      if (skip.has(c) || this.taken(p.prefix.family, c)) continue;
      firstFree ??= c;
      out.push(c);
    }
    p.hint = firstFree ?? p.prefix.last + 1n;
    return out;
  }

  private availableCount(p: SimPrefix): bigint {
    const skip = this.unusable(p);
    let used = 0n;
    for (const k of this.byHost.keys()) {
      const [f, v] = k.split(':');
      const host = BigInt(v);
      if (Number(f) === p.prefix.family && host >= p.prefix.first && host <= p.prefix.last && !skip.includes(host)) used++;
    }
    return p.prefix.last - p.prefix.first + 1n - BigInt(skip.length) - used;
  }

  /** NetBox's advisory lock around allocations and address changes */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  // ---- HTTP ----

  private ipJson(ip: SimIp, base: string) {
    const address = `${formatAddress(ip.family, ip.host)}/${ip.length}`;
    return {
      id: ip.id,
      url: `${base}/api/ipam/ip-addresses/${ip.id}/`,
      display: address,
      family: { value: ip.family, label: `IPv${ip.family}` },
      address,
      vrf: null,
      tenant: null,
      status: { value: ip.status, label: label(ip.status) },
      role: null,
      assigned_object_type: null,
      assigned_object_id: null,
      assigned_object: null,
      nat_inside: null,
      nat_outside: [],
      dns_name: '',
      description: ip.description,
      comments: '',
      tags: [],
      custom_fields: {},
      created: ip.created,
      last_updated: ip.lastUpdated,
    };
  }

  private prefixJson(p: SimPrefix, base: string) {
    return {
      id: p.id,
      url: `${base}/api/ipam/prefixes/${p.id}/`,
      display: p.prefix.cidr,
      family: { value: p.prefix.family, label: `IPv${p.prefix.family}` },
      prefix: p.prefix.cidr,
      vrf: null,
      tenant: null,
      vlan: null,
      status: { value: 'active', label: 'Active' },
      role: null,
      is_pool: p.isPool,
      mark_utilized: false,
      description: p.description,
      comments: '',
      tags: [],
      custom_fields: {},
      children: 0,
      _depth: 0,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const base = `http://${req.headers.host ?? this.url.slice('http://'.length)}`;
    const u = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    const send = (status: number, body?: unknown) => {
      if (body === undefined) return void res.writeHead(status, { 'api-version': '4.1' }).end();
      res.writeHead(status, { 'content-type': 'application/json', 'api-version': '4.1', vary: 'Accept' }).end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const route = u.pathname.replace(/\/\d+\//g, '/{id}/');
    this.requests.set(`${method} ${route}`, (this.requests.get(`${method} ${route}`) ?? 0) + 1);

    if (!u.pathname.endsWith('/')) {
      res.writeHead(301, { location: `${u.pathname}/${u.search}` }).end();
      return;
    }
    // Authentication, then permissions (NetBox: TokenAuthentication, TokenPermissions)
    const auth = req.headers.authorization ?? '';
    const m = /^Token\s+(\S+)$/i.exec(auth);
    if (!m) return send(403, { detail: 'Authentication credentials were not provided.' });
    const token = this.tokens.get(m[1]);
    if (!token) return send(403, { detail: 'Invalid token' });
    if (!['GET', 'HEAD', 'OPTIONS'].includes(method) && !token.writeEnabled) return send(403, { detail: 'You do not have permission to perform this action.' });

    let body: any;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch (err) {
        return send(400, { detail: `JSON parse error - ${(err as Error).message}` });
      }
    }

    const path = u.pathname;
    if (path === '/api/status/' && method === 'GET') return send(200, { 'netbox-version': '4.1.0 (simulator)', 'python-version': '-', plugins: {} });

    let mm = /^\/api\/ipam\/prefixes\/(\d+)\/$/.exec(path);
    if (mm && method === 'GET') {
      const p = this.prefixes.get(Number(mm[1]));
      return p ? send(200, this.prefixJson(p, base)) : send(404, { detail: 'Not found.' });
    }

    mm = /^\/api\/ipam\/prefixes\/(\d+)\/available-ips\/$/.exec(path);
    if (mm) {
      const p = this.prefixes.get(Number(mm[1]));
      if (!p) return send(404, { detail: 'Not found.' });
      if (method === 'GET') {
        const limit = this.limit(u);
        return send(200, this.available(p, limit).map((h) => ({ family: p.prefix.family, address: `${formatAddress(p.prefix.family, h)}/${p.prefix.length}`, vrf: null, description: '' })));
      }
      if (method === 'POST') {
        const list = Array.isArray(body) ? body : [body ?? {}];
        const problems = list.map((r) => this.checkFields(r));
        if (problems.some((x) => x)) return send(400, Array.isArray(body) ? problems.map((x) => x ?? {}) : problems[0]);
        return this.locked(async () => {
          const free = this.available(p, list.length);
          if (free.length < list.length) {
            if (this.opts.fullStatus === 204) return send(204);
            return send(409, { detail: `An insufficient number of IP addresses are available within ${p.prefix.cidr} (${list.length} requested, ${this.availableCount(p)} available)` });
          }
          // The database round trip between reading what is free and writing: without the lock, two requests could take the same address here.
          await new Promise((r) => setImmediate(r));
          const made = list.map((r, i) => this.ipJson(this.insert(p.prefix.family, free[i], p.prefix.length, String(r.description ?? ''), String(r.status ?? 'active')), base));
          p.hint = free[free.length - 1] + 1n;
          return send(201, Array.isArray(body) ? made : made[0]);
        });
      }
      return send(405, { detail: `Method "${method}" not allowed.` });
    }

    if (path === '/api/ipam/ip-addresses/') {
      if (method === 'GET') return send(200, this.listIps(u, base));
      if (method === 'POST') {
        const problem = this.checkFields(body ?? {});
        const [host, len] = String(body?.address ?? '').split('/');
        const a = parseAddress(host);
        if (!a || len === undefined || !/^\d+$/.test(len)) return send(400, { address: [`Enter a valid IPv4 or IPv6 address with optional mask.`], ...problem });
        if (problem) return send(400, problem);
        return this.locked(async () => send(201, this.ipJson(this.insert(a.family, a.value, Number(len), String(body.description ?? ''), String(body.status ?? 'active')), base)));
      }
      return send(405, { detail: `Method "${method}" not allowed.` });
    }

    mm = /^\/api\/ipam\/ip-addresses\/(\d+)\/$/.exec(path);
    if (mm) {
      const ip = this.ips.get(Number(mm[1]));
      if (!ip) return send(404, { detail: 'Not found.' });
      if (method === 'GET') return send(200, this.ipJson(ip, base));
      if (method === 'DELETE') {
        return this.locked(async () => {
          if (!this.ips.has(ip.id)) return send(404, { detail: 'Not found.' });
          this.remove(ip);
          return send(204);
        });
      }
      return send(405, { detail: `Method "${method}" not allowed.` });
    }
    return send(404, { detail: 'Not found.' });
  }

  private checkFields(r: any): Record<string, string[]> | undefined {
    if (!r || typeof r !== 'object' || Array.isArray(r)) return { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] };
    const out: Record<string, string[]> = {};
    if (r.status !== undefined && !STATUSES.includes(r.status)) out.status = [`"${r.status}" is not a valid choice.`];
    if (r.description !== undefined && String(r.description).length > 200) out.description = ['Ensure this field has no more than 200 characters.'];
    return Object.keys(out).length ? out : undefined;
  }

  private limit(u: URL) {
    const { paginateCount, maxPageSize } = this.opts;
    const raw = u.searchParams.get('limit');
    let limit = raw === null ? paginateCount : Number.parseInt(raw, 10);
    if (Number.isNaN(limit)) limit = paginateCount;
    if (limit === 0) limit = maxPageSize;
    return Math.min(limit, maxPageSize);
  }

  private listIps(u: URL, base: string) {
    const q = u.searchParams;
    let rows = [...this.ips.values()];
    const addresses = q.getAll('address').map((a) => parseAddress(a.split('/')[0]));
    if (addresses.length) rows = rows.filter((ip) => addresses.some((a) => a && a.family === ip.family && a.value === ip.host));
    const parents = q.getAll('parent').map((p) => parsePrefix(p));
    if (parents.length) rows = rows.filter((ip) => parents.some((p) => typeof p !== 'string' && p.family === ip.family && ip.host >= p.first && ip.host <= p.last));
    const exact = q.getAll('description');
    if (exact.length) rows = rows.filter((ip) => exact.includes(ip.description));
    const iew = q.getAll('description__iew').map((s) => s.toLowerCase());
    if (iew.length) rows = rows.filter((ip) => iew.some((s) => ip.description.toLowerCase().endsWith(s)));
    const ic = q.getAll('description__ic').map((s) => s.toLowerCase());
    if (ic.length) rows = rows.filter((ip) => ic.some((s) => ip.description.toLowerCase().includes(s)));
    // NetBox orders IP addresses by (address, pk)
    rows.sort((a, b) => a.family - b.family || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0) || a.id - b.id);
    const limit = this.limit(u);
    const offset = Math.max(0, Number.parseInt(q.get('offset') ?? '0', 10) || 0);
    const page = rows.slice(offset, offset + limit);
    const link = (o: number) => {
      const n = new URL(u.pathname, base);
      for (const [k, v] of q) if (k !== 'limit' && k !== 'offset') n.searchParams.append(k, v);
      n.searchParams.set('limit', String(limit));
      if (o > 0) n.searchParams.set('offset', String(o));
      return n.toString();
    };
    return {
      count: rows.length,
      next: offset + limit < rows.length ? link(offset + limit) : null,
      previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
      results: page.map((ip) => this.ipJson(ip, base)),
    };
  }
}
