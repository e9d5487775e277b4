/**
 * IP pools: configured once (a name, a provider kind and its configuration, sealed in the store:
 * a NetBox token never leaves it), then addresses are allocated to owners and released.
 *
 * Installations: `allocateFor(installation, pool)` gives the installation one address of the pool
 * (the same one when asked again: the engine may run an install's steps more than once), recorded
 * by the provider with the installation's name as owner in the same write that hands it out.
 * `releaseFor(installation)` releases every address the installation holds in every pool: an
 * uninstall calls it, and so does the rollback of a failed install, also after a crash (the
 * owner is in the provider's records, not in this process's memory). `installing(installation,
 * fn)` runs fn with an allocator and releases everything if fn fails.
 */
import type { Sealer } from '../lib/crypto.js';
import { Locks } from '../lib/locks.js';
import type { Store } from '../store/index.js';
import { now } from '../store/index.js';
import { IpamError, ipamKinds, OWNER, type Allocation, type IpamKind, type IpamProvider, type PoolRef, type Problems } from '../drivers/ipam/index.js';
import { ConflictError, NotFoundError, UserError } from './errors.js';

/** A provider (NetBox) failed or refused: the API answers 502 with the fix */
export class UpstreamError extends UserError {
  override readonly status = 502;
}

/** What `add` accepts; which fields count depends on the provider */
export interface PoolInput {
  name: string;
  /** builtin (default) | netbox */
  provider?: string;
  /** builtin: CIDRs, IPv4 and IPv6 */
  prefixes?: string[];
  /** builtin: addresses never handed out (a gateway...) */
  reserve?: string[];
  /** netbox: base URL */
  url?: string;
  /** netbox: API token; sealed, never shown */
  token?: string;
  /** netbox: prefix ids */
  prefixIds?: number[];
}

/** What may be shown of a pool: never a token */
export interface PoolView {
  name: string;
  provider: string;
  config: Record<string, unknown>;
  createdAt: string;
}

export interface PoolAllocation extends Allocation {
  pool: string;
}

interface Opened {
  name: string;
  provider: string;
  kind: IpamKind<any>;
  impl: IpamProvider<any>;
  ref: PoolRef<any>;
  createdAt: string;
}

const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** An IpamError as the surfaces' error with the right status */
function surface(err: unknown): unknown {
  if (!(err instanceof IpamError)) return err;
  switch (err.code) {
    case 'full':
      return new ConflictError(err.message, [{ path: 'pool', message: 'is full' }]);
    case 'not_allocated':
      return new NotFoundError(err.message, [{ path: 'address', message: 'is not allocated in this pool' }]);
    case 'invalid':
      return new UserError(err.message);
    default:
      return new UpstreamError(err.message);
  }
}

const rethrow = (err: unknown): never => {
  throw surface(err);
};

export class IpPools {
  private readonly impls = new Map<string, IpamProvider<any>>();
  private readonly cache = new Map<string, Opened>();
  /** Every pool, opened; this service is the only writer of ip_pools, so it is kept until one changes */
  private everyPool?: Promise<Opened[]>;
  private readonly locks = new Locks();

  constructor(
    private readonly db: Store,
    private readonly sealer: Sealer,
  ) {}

  private impl(provider: string) {
    let impl = this.impls.get(provider);
    if (!impl) {
      impl = ipamKinds[provider].create({ db: this.db });
      this.impls.set(provider, impl);
    }
    return impl;
  }

  private check(provider: string, input: Record<string, unknown>) {
    const p: Problems = [];
    const kind = ipamKinds[provider];
    if (!kind) {
      p.push({ path: 'provider', message: `must be one of ${Object.keys(ipamKinds).join(', ')}` });
      throw new UserError(`invalid IP pool: provider must be one of ${Object.keys(ipamKinds).join(', ')}`, p);
    }
    const config = kind.parse(input, p);
    if (p.length) throw new UserError(`invalid IP pool: ${p.map((x) => `${x.path} ${x.message}`).join('; ')}`, p);
    return { kind, config };
  }

  /** Another pool of the same provider that this configuration clashes with (overlapping prefixes) */
  private async clash(name: string, provider: string, kind: IpamKind<any>, config: unknown) {
    if (!kind.conflict) return;
    for (const other of await this.all()) {
      if (other.name === name || other.provider !== provider) continue;
      const why = kind.conflict(config, other.ref.config);
      if (why) throw new ConflictError(`IP pool ${name} would clash with pool ${other.name}: ${why}`, [{ path: 'prefixes', message: why }]);
    }
  }

  async add(input: PoolInput): Promise<PoolView> {
    if (typeof input.name !== 'string' || !NAME.test(input.name)) {
      throw new UserError('invalid IP pool: name must be 1-40 lower-case letters, digits or -, starting with a letter', [{ path: 'name', message: 'must be 1-40 lower-case letters, digits or -, starting with a letter' }]);
    }
    const provider = input.provider ?? 'builtin';
    const { kind, config } = this.check(provider, input as unknown as Record<string, unknown>);
    if (await this.row(input.name)) throw new ConflictError(`an IP pool named "${input.name}" already exists`, [{ path: 'name', message: 'is taken' }]);
    await this.clash(input.name, provider, kind, config);
    // Before keeping it: the token works and the prefixes exist.
    await this.impl(provider).ping({ name: input.name, config }).catch(rethrow);
    try {
      await this.db.insertInto('ip_pools').values({ name: input.name, provider, config: this.sealer.seal(JSON.stringify(config)), created_at: now() }).execute();
      this.everyPool = undefined;
    } catch (err) {
      if (/UNIQUE|PRIMARY KEY/.test(String(err))) throw new ConflictError(`an IP pool named "${input.name}" already exists`, [{ path: 'name', message: 'is taken' }]);
      throw err;
    }
    return this.view(await this.open(input.name));
  }

  /**
   * Changes a pool's configuration: fields given replace the old ones (e.g. more prefixes, a new
   * token). Refused when an address in use would be left outside (a prefix removed, an address
   * reserved while allocated).
   */
  async update(name: string, patch: Partial<Omit<PoolInput, 'name' | 'provider'>>): Promise<PoolView> {
    const old = await this.open(name);
    const merged = { ...old.ref.config, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
    const { kind, config } = this.check(old.provider, merged);
    await this.clash(name, old.provider, kind, config);
    const next: PoolRef<any> = { name, config };
    await old.impl.ping(next).catch(rethrow);
    const before = await old.impl.list({ name, config: kind.oldScope?.(old.ref.config, config) ?? old.ref.config }).catch(rethrow);
    const after = new Set((await old.impl.list(next).catch(rethrow)).map((a) => a.address));
    const stranded = before.filter((a) => a.owner !== null && !after.has(a.address));
    if (stranded.length) {
      const shown = stranded.slice(0, 5).map((a) => `${a.address} (${a.owner})`).join(', ');
      throw new ConflictError(
        `IP pool ${name}: the change would leave ${stranded.length} address(es) in use outside the pool: ${shown}${stranded.length > 5 ? ', ...' : ''}; release them first ("freehold ip-pools release ${name} <address>")`,
      );
    }
    await this.db.updateTable('ip_pools').set({ config: this.sealer.seal(JSON.stringify(config)) }).where('name', '=', name).execute();
    this.cache.delete(name);
    this.everyPool = undefined;
    return this.view(await this.open(name));
  }

  async list(): Promise<PoolView[]> {
    return (await this.all()).map((o) => this.view(o));
  }

  async get(name: string): Promise<PoolView> {
    return this.view(await this.open(name));
  }

  /** Removes a pool that holds no allocation made by Freehold (NetBox keeps its prefixes) */
  async remove(name: string): Promise<void> {
    const pool = await this.open(name);
    const held = (await pool.impl.list(pool.ref).catch(rethrow)).filter((a) => a.owner !== null);
    if (held.length) {
      const owners = [...new Set(held.map((a) => a.owner))];
      throw new ConflictError(
        `IP pool ${name} still has ${held.length} address(es) allocated (to ${owners.slice(0, 10).join(', ')}${owners.length > 10 ? ', ...' : ''}): uninstall the installations that hold them, or release them with "freehold ip-pools release ${name} <address>", then remove the pool`,
      );
    }
    await pool.impl.forget?.(pool.ref);
    await this.db.deleteFrom('ip_pools').where('name', '=', name).execute();
    this.cache.delete(name);
    this.everyPool = undefined;
  }

  async allocations(name: string, filter: { owner?: string } = {}): Promise<PoolAllocation[]> {
    const pool = await this.open(name);
    return (await pool.impl.list(pool.ref, filter).catch(rethrow)).map((a) => ({ pool: name, ...a }));
  }

  /** One more address for an owner (each call is a new address; see allocateFor for installations) */
  async allocate(name: string, req: { owner: string; description?: string; family?: 4 | 6 }): Promise<PoolAllocation> {
    this.checkOwner(req.owner);
    if (req.family !== undefined && req.family !== 4 && req.family !== 6) throw new UserError('family must be 4 or 6', [{ path: 'family', message: 'must be 4 or 6' }]);
    const pool = await this.open(name);
    const a = await pool.impl.allocate(pool.ref, req).catch(rethrow);
    return { pool: name, ...a };
  }

  async release(name: string, address: string): Promise<void> {
    const pool = await this.open(name);
    await pool.impl.release(pool.ref, address).catch(rethrow);
  }

  /**
   * The installation's address in the pool (of the family, when given): the one it holds, or a
   * new one. Calls for the same installation and pool run one at a time.
   */
  async allocateFor(installation: string, poolName: string, opts: { family?: 4 | 6; description?: string } = {}): Promise<PoolAllocation> {
    this.checkOwner(installation);
    if (opts.family !== undefined && opts.family !== 4 && opts.family !== 6) throw new UserError('family must be 4 or 6', [{ path: 'family', message: 'must be 4 or 6' }]);
    return this.locks.with(`${installation}\0${poolName}`, async () => {
      const pool = await this.open(poolName);
      const a = await pool.impl.allocate(pool.ref, { owner: installation, family: opts.family, description: opts.description ?? `Freehold installation ${installation}`, reuse: true }).catch(rethrow);
      return { pool: poolName, ...a };
    });
  }

  /** What the installation holds, in every pool */
  async heldBy(installation: string): Promise<PoolAllocation[]> {
    const out: PoolAllocation[] = [];
    for (const pool of await this.all()) {
      for (const a of await pool.impl.list(pool.ref, { owner: installation }).catch(rethrow)) out.push({ pool: pool.name, ...a });
    }
    return out;
  }

  /**
   * Releases every address the installation holds, in every pool; goes on past failures (a
   * NetBox that is down), then reports them. Safe to run again.
   */
  async releaseFor(installation: string): Promise<PoolAllocation[]> {
    const released: PoolAllocation[] = [];
    const failures: string[] = [];
    for (const pool of await this.all()) {
      try {
        released.push(...(await this.releaseIn(pool, installation)));
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    if (failures.length) throw new UpstreamError(`releasing the addresses of ${installation} failed: ${failures.join('; ')}; run the uninstall again when the pool's provider is back`);
    return released;
  }

  /** Releases what the installation holds in one pool (nothing when the pool is gone) */
  async releaseFrom(installation: string, poolName: string): Promise<PoolAllocation[]> {
    const pool = (await this.all()).find((p) => p.name === poolName);
    return pool ? this.releaseIn(pool, installation).catch(rethrow) : [];
  }

  /** What the installation holds in one pool */
  async heldIn(installation: string, poolName: string): Promise<PoolAllocation[]> {
    const pool = await this.open(poolName);
    return (await pool.impl.list(pool.ref, { owner: installation }).catch(rethrow)).map((a) => ({ pool: poolName, ...a }));
  }

  private releaseIn(pool: Opened, installation: string): Promise<PoolAllocation[]> {
    return this.locks.with(`${installation}\0${pool.name}`, async () => {
      const released: PoolAllocation[] = [];
      for (const a of await pool.impl.list(pool.ref, { owner: installation })) {
        try {
          await pool.impl.release(pool.ref, a.address);
        } catch (err) {
          if (!(err instanceof IpamError && err.code === 'not_allocated')) throw err;
        }
        released.push({ pool: pool.name, ...a });
      }
      return released;
    });
  }

  /**
   * Runs fn (an install's steps) with an allocator for the installation; when fn fails, every
   * address the installation holds is released before the error goes on.
   */
  async installing<T>(installation: string, fn: (allocate: (pool: string, opts?: { family?: 4 | 6 }) => Promise<PoolAllocation>) => Promise<T>): Promise<T> {
    try {
      return await fn((pool, opts) => this.allocateFor(installation, pool, opts));
    } catch (err) {
      await this.releaseFor(installation).catch((again) => {
        (err as Error).message += `\nreleasing its addresses: ${(again as Error).message}`;
      });
      throw err;
    }
  }

  private checkOwner(owner: string) {
    if (typeof owner !== 'string' || !OWNER.test(owner)) throw new UserError('owner must be 1-63 lower-case letters, digits, . _ or -, starting with a letter or digit (an installation name)', [{ path: 'owner', message: 'is not a valid owner' }]);
  }

  private view(o: Opened): PoolView {
    return { name: o.name, provider: o.provider, config: o.kind.view(o.ref.config), createdAt: o.createdAt };
  }

  private row(name: string) {
    return this.db.selectFrom('ip_pools').selectAll().where('name', '=', name).executeTakeFirst();
  }

  private toOpened(r: { name: string; provider: string; config: string; created_at: string }): Opened {
    const kind = ipamKinds[r.provider];
    if (!kind) throw new UserError(`IP pool ${r.name} has provider "${r.provider}", which this Freehold does not know`);
    const o: Opened = { name: r.name, provider: r.provider, kind, impl: this.impl(r.provider), ref: { name: r.name, config: JSON.parse(this.sealer.open(r.config)) }, createdAt: r.created_at };
    this.cache.set(r.name, o);
    return o;
  }

  private async open(name: string): Promise<Opened> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const r = await this.row(name);
    if (!r) throw new NotFoundError(`no IP pool "${name}" (see "freehold ip-pools list")`);
    return this.toOpened(r);
  }

  private all(): Promise<Opened[]> {
    this.everyPool ??= this.db
      .selectFrom('ip_pools')
      .selectAll()
      .orderBy('name')
      .execute()
      .then((rows) => rows.map((r) => this.cache.get(r.name) ?? this.toOpened(r)));
    const pending = this.everyPool;
    pending.catch(() => {
      if (this.everyPool === pending) this.everyPool = undefined;
    });
    return pending;
  }
}
