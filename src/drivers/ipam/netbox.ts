/**
 * NetBox pools: addresses come from one or more NetBox prefixes through NetBox's REST API.
 *
 * - allocate: `POST /api/ipam/prefixes/{id}/available-ips/` with `{description, status}`; NetBox
 *   creates the next free address of the prefix under an advisory lock, so concurrent requests
 *   (from Freehold or anyone else) never get the same one. A full prefix answers 409
 *   (`{"detail": "An insufficient number of IP addresses are available within ..."}`; older
 *   versions answered 204, the earliest 400): the next prefix of the pool is tried, then the pool
 *   is reported full.
 * - The owner goes into the address's description as a trailing tag, `<description>
 *   [freehold:<owner>]`, in the same request that creates it: there is no moment when NetBox
 *   holds an address Freehold made without saying whose it is.
 * - list: `GET /api/ipam/ip-addresses/?parent=<prefix>` page by page (`limit`/`offset`, following
 *   `next` until it is null; NetBox caps pages at MAX_PAGE_SIZE), an owner's with
 *   `description__iew=[freehold:<owner>]` (checked again here).
 * - release: the address's id from `GET /api/ipam/ip-addresses/?address=<ip>&parent=<prefix>`,
 *   then `DELETE /api/ipam/ip-addresses/{id}/`. An address without Freehold's tag is never deleted.
 * - Authentication: `Authorization: Token <token>`. The token is sealed in Freehold's store and
 *   never part of a message.
 * - reuse (an install that runs again): the owner's address is looked up first; NetBox cannot do
 *   "allocate unless held" in one request, so such calls are serialised per owner and pool in
 *   this process (the control plane is the only one allocating for its installations).
 * At most 8 requests are in flight per pool provider; NetBox serialises allocations anyway.
 */
import { IpamError, type AllocateRequest, type Allocation, type IpamKind, type IpamProvider, type PoolRef, type Problems } from './types.js';
import { Locks } from '../../lib/locks.js';
import { capacity, contains, formatAddress, parseAddress, parsePrefix, unusable, type Prefix } from './addr.js';

export interface NetboxConfig {
  /** NetBox's base URL, without /api (e.g. https://netbox.example.org) */
  url: string;
  token: string;
  /** NetBox prefix ids, in the order they are used */
  prefixIds: number[];
}

const TIMEOUT_MS = 15_000;
const MAX_IN_FLIGHT = 8;
const PAGE = 1000;
/** NetBox's limit on an IP address's description */
const DESCRIPTION_MAX = 200;

const tagOf = (owner: string) => `[freehold:${owner}]`;
const TAG = /\s*\[freehold:([a-z0-9][a-z0-9._-]{0,62})\]$/;

function describe(req: AllocateRequest) {
  const tag = tagOf(req.owner);
  const text = (req.description ?? '').replace(/[\r\n]+/g, ' ').trim().slice(0, DESCRIPTION_MAX - tag.length - 1);
  return text ? `${text} ${tag}` : tag;
}

function parseDescription(d: unknown): { owner: string | null; description: string } {
  const s = typeof d === 'string' ? d : '';
  const m = TAG.exec(s);
  return m ? { owner: m[1], description: s.slice(0, m.index) } : { owner: null, description: s };
}

/** The URL without user info (never shown) */
const shown = (raw: string) => {
  const u = new URL(raw);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/$/, '')}`;
};

interface PrefixInfo {
  id: number;
  prefix: Prefix;
  isPool: boolean;
}

interface Reply {
  status: number;
  data: any;
}

/** At most n callers at once */
class Gate {
  private active = 0;
  private waiting: (() => void)[] = [];
  constructor(private readonly n: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

class NetboxProvider implements IpamProvider<NetboxConfig> {
  private readonly gate = new Gate(MAX_IN_FLIGHT);
  private readonly prefixes = new Map<string, PrefixInfo>();
  private readonly owners = new Locks();

  /** One request to NetBox; errors that no caller handles become IpamErrors with the fix */
  private async call(pool: PoolRef<NetboxConfig>, method: string, path: string, body?: unknown): Promise<Reply> {
    const { url, token } = pool.config;
    let res: Response;
    try {
      res = await this.gate.run(() =>
        fetch(`${url}${path}`, {
          method,
          headers: { authorization: `Token ${token}`, accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(TIMEOUT_MS),
          redirect: 'error',
        }),
      );
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new IpamError('unreachable', `pool ${pool.name}: NetBox at ${shown(url)} cannot be reached (${why}); check that NetBox is running and the pool's URL ("freehold ip-pools update ${pool.name} --url <url>")`);
    }
    const text = await res.text();
    let data: any = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text.slice(0, 200);
    }
    if (res.status === 401 || res.status === 403) {
      const detail = typeof data?.detail === 'string' ? data.detail : `HTTP ${res.status}`;
      const permission = /permission/i.test(detail);
      throw new IpamError(
        'auth',
        `pool ${pool.name}: NetBox at ${shown(url)} refused the pool's token (HTTP ${res.status}: ${detail}); ${
          permission ? 'give the token write access and the permissions to view prefixes and to add, view and delete IP addresses' : 'create an API token in NetBox (write enabled)'
        } and give it with "freehold ip-pools update ${pool.name} --token-file <file>"`,
      );
    }
    return { status: res.status, data };
  }

  private unexpected(pool: PoolRef<NetboxConfig>, method: string, path: string, r: Reply): IpamError {
    const detail = typeof r.data?.detail === 'string' ? r.data.detail : typeof r.data === 'string' ? r.data : JSON.stringify(r.data);
    return new IpamError('upstream', `pool ${pool.name}: NetBox at ${shown(pool.config.url)} answered HTTP ${r.status} to ${method} ${path.split('?')[0]}: ${detail}`);
  }

  private async prefix(pool: PoolRef<NetboxConfig>, id: number, fresh = false): Promise<PrefixInfo> {
    const key = `${pool.config.url}#${id}`;
    const cached = this.prefixes.get(key);
    if (cached && !fresh) return cached;
    const path = `/api/ipam/prefixes/${id}/`;
    const r = await this.call(pool, 'GET', path);
    if (r.status === 404) throw new IpamError('not_found', `pool ${pool.name}: NetBox at ${shown(pool.config.url)} has no prefix ${id} (HTTP 404); check the pool's prefix ids (the number in the prefix's NetBox URL, /ipam/prefixes/<id>/)`);
    if (r.status !== 200) throw this.unexpected(pool, 'GET', path, r);
    const prefix = parsePrefix(String(r.data?.prefix));
    if (typeof prefix === 'string') throw new IpamError('upstream', `pool ${pool.name}: NetBox prefix ${id} has an unexpected prefix: ${prefix}`);
    const info = { id, prefix, isPool: r.data?.is_pool === true };
    this.prefixes.set(key, info);
    return info;
  }

  private toAllocation(ip: any, info?: PrefixInfo): Allocation | undefined {
    const [host, len] = String(ip?.address ?? '').split('/');
    const a = parseAddress(host);
    if (!a) return undefined;
    const { owner, description } = parseDescription(ip.description);
    return {
      address: formatAddress(a.family, a.value),
      prefixLength: Number(len ?? info?.prefix.length),
      prefix: info?.prefix.cidr ?? '',
      family: a.family,
      owner,
      description,
    };
  }

  /** Every object of a list endpoint, page after page */
  private async all(pool: PoolRef<NetboxConfig>, path: string): Promise<any[]> {
    const out: any[] = [];
    let next: string | null = path;
    for (let pages = 0; next; pages++) {
      const r = await this.call(pool, 'GET', next);
      if (r.status !== 200 || !Array.isArray(r.data?.results)) throw this.unexpected(pool, 'GET', next, r);
      out.push(...r.data.results);
      if (!r.data.next || r.data.results.length === 0 || pages > 100_000) break;
      // NetBox builds `next` from the host it was asked by (a proxy may change it): keep our base URL.
      const u = new URL(r.data.next);
      const at = u.pathname.indexOf('/api/');
      next = `${u.pathname.slice(at)}${u.search}`;
    }
    return out;
  }

  async allocate(pool: PoolRef<NetboxConfig>, req: AllocateRequest): Promise<Allocation> {
    if (req.reuse) {
      // NetBox has no "unless held" allocation: look, then allocate, one call per owner and pool at a time (in this process)
      return this.owners.with(`${pool.config.url}#${pool.config.prefixIds.join(',')}#${req.owner}`, async () => {
        const held = (await this.list(pool, { owner: req.owner })).find((a) => !req.family || a.family === req.family);
        return held ?? this.allocate(pool, { ...req, reuse: false });
      });
    }
    const infos = [];
    for (const id of pool.config.prefixIds) infos.push(await this.prefix(pool, id));
    const candidates = infos.filter((i) => !req.family || i.prefix.family === req.family);
    if (!candidates.length) throw new IpamError('invalid', `pool ${pool.name} has no IPv${req.family} prefix (NetBox prefixes ${infos.map((i) => `${i.id}: ${i.prefix.cidr}`).join(', ')}); add one with "freehold ip-pools update ${pool.name} --add-prefix-id <id>"`);
    const full: { info: PrefixInfo; detail: string }[] = [];
    for (const info of candidates) {
      const path = `/api/ipam/prefixes/${info.id}/available-ips/`;
      const r = await this.call(pool, 'POST', path, { description: describe(req), status: 'active' });
      if (r.status === 404) throw new IpamError('not_found', `pool ${pool.name}: NetBox at ${shown(pool.config.url)} has no prefix ${info.id} (HTTP 404); check the pool's prefix ids`);
      const created = Array.isArray(r.data) ? r.data[0] : r.data;
      const insufficient = typeof r.data?.detail === 'string' && /insufficient number of IP addresses/i.test(r.data.detail);
      // 409 today; 204 in NetBox 2.x-3.x (the body is dropped with it); 400 in the earliest versions
      if (r.status === 409 || r.status === 204 || (r.status === 400 && insufficient) || ((r.status === 200 || r.status === 201) && !created?.address)) {
        full.push({ info, detail: typeof r.data?.detail === 'string' ? r.data.detail : `HTTP ${r.status}, no address` });
        continue;
      }
      if (r.status !== 201 && r.status !== 200) throw this.unexpected(pool, 'POST', path, r);
      const a = this.toAllocation(created, info);
      if (!a) throw new IpamError('upstream', `pool ${pool.name}: NetBox answered an address Freehold cannot read: ${JSON.stringify(created?.address)}`);
      return { ...a, owner: req.owner, description: parseDescription(created.description ?? describe(req)).description };
    }
    let used = 0n;
    let total = 0n;
    for (const { info } of full) {
      const r = await this.call(pool, 'GET', `/api/ipam/ip-addresses/?parent=${encodeURIComponent(info.prefix.cidr)}&limit=1`);
      used += BigInt(Number(r.data?.count ?? 0));
      total += capacity(info.prefix, unusable(info.prefix, info.isPool));
    }
    const cidrs = full.map((f) => `${f.info.prefix.cidr}, NetBox prefix ${f.info.id}`).join('; ');
    throw new IpamError(
      'full',
      `pool ${pool.name} (${cidrs}) is full: ${used > total ? total : used} of ${total} addresses in use; add a prefix or release addresses (NetBox: ${full.map((f) => f.detail).join('; ')})`,
    );
  }

  async release(pool: PoolRef<NetboxConfig>, address: string): Promise<void> {
    const a = parseAddress(address);
    if (!a) throw new IpamError('invalid', `"${address}" is not an IPv4 or IPv6 address`);
    const canonical = formatAddress(a.family, a.value);
    const infos = [];
    for (const id of pool.config.prefixIds) infos.push(await this.prefix(pool, id));
    const inside = infos.filter((i) => contains(i.prefix, a));
    const ours: any[] = [];
    let foreign = false;
    for (const info of inside) {
      const found = await this.all(pool, `/api/ipam/ip-addresses/?address=${encodeURIComponent(canonical)}&parent=${encodeURIComponent(info.prefix.cidr)}&limit=${PAGE}`);
      for (const ip of found) {
        const got = this.toAllocation(ip, info);
        if (got?.address !== canonical) continue;
        if (got.owner) ours.push(ip);
        else foreign = true;
      }
    }
    if (!ours.length) {
      const why = !inside.length
        ? ` (it is in none of its NetBox prefixes ${infos.map((i) => i.prefix.cidr).join(', ')})`
        : foreign
          ? ' (NetBox has it, but Freehold did not allocate it: its description has no [freehold:...] tag; delete it in NetBox if it should go)'
          : '';
      throw new IpamError('not_allocated', `${canonical} is not allocated in pool ${pool.name}${why}; see "freehold ip-pools allocations ${pool.name}"`);
    }
    for (const ip of ours) {
      const path = `/api/ipam/ip-addresses/${Number(ip.id)}/`;
      const r = await this.call(pool, 'DELETE', path);
      if (r.status !== 204 && r.status !== 200 && r.status !== 404) throw this.unexpected(pool, 'DELETE', path, r);
    }
  }

  async list(pool: PoolRef<NetboxConfig>, filter: { owner?: string } = {}): Promise<Allocation[]> {
    const seen = new Map<string, Allocation>();
    for (const id of pool.config.prefixIds) {
      const info = await this.prefix(pool, id);
      const q = new URLSearchParams({ parent: info.prefix.cidr, limit: String(PAGE) });
      if (filter.owner !== undefined) q.set('description__iew', tagOf(filter.owner));
      for (const ip of await this.all(pool, `/api/ipam/ip-addresses/?${q}`)) {
        const a = this.toAllocation(ip, info);
        if (!a || !contains(info.prefix, parseAddress(a.address)!)) continue;
        if (filter.owner !== undefined && a.owner !== filter.owner) continue;
        if (!seen.has(a.address)) seen.set(a.address, a);
      }
    }
    return [...seen.values()];
  }

  async ping(pool: PoolRef<NetboxConfig>): Promise<void> {
    for (const id of pool.config.prefixIds) await this.prefix(pool, id, true);
  }
}

const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && !/[\0\r\n]/.test(v);

export const netbox: IpamKind<NetboxConfig> = {
  parse(input, p: Problems) {
    let url = '';
    const raw = input.url;
    try {
      const u = new URL(String(raw));
      if (!['http:', 'https:'].includes(u.protocol)) throw new Error('scheme');
      if (u.username || u.password || u.search || u.hash) p.push({ path: 'url', message: 'must hold no user, password, query or fragment (the token goes in "token")' });
      url = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '').replace(/\/api$/, '')}`;
    } catch {
      p.push({ path: 'url', message: raw === undefined || raw === '' ? 'is required for NetBox pools (e.g. https://netbox.example.org)' : 'must be an http:// or https:// URL' });
    }
    if (input.token === undefined || input.token === '') p.push({ path: 'token', message: 'is required for NetBox pools (a NetBox API token; from the CLI: --token-file)' });
    else if (!text(input.token) || /\s/.test(input.token)) p.push({ path: 'token', message: 'must be a NetBox API token (one word)' });
    const ids = (Array.isArray(input.prefixIds) ? input.prefixIds : input.prefixIds === undefined ? [] : [input.prefixIds]).map((x) => Number(x));
    if (!ids.length) p.push({ path: 'prefixIds', message: 'at least one NetBox prefix id is required (the number in the prefix\'s NetBox URL, /ipam/prefixes/<id>/)' });
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 1) p.push({ path: `prefixIds.${i}`, message: 'must be a NetBox prefix id (a positive integer)' });
    });
    return { url, token: String(input.token ?? ''), prefixIds: [...new Set(ids)] };
  },
  view: (c) => ({ url: c.url, prefixIds: c.prefixIds }),
  oldScope: (old, next) => ({ ...next, prefixIds: old.prefixIds }),
  create: () => new NetboxProvider(),
};
