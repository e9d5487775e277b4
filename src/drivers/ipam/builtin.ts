/**
 * Built-in pools: IPv4 and IPv6 prefixes kept in Freehold's own store.
 *
 * - `ipam_allocations` holds one row per address in use, with its owner; its primary key
 *   (pool, address) means an address is never handed out twice, whatever the callers do.
 * - `ipam_prefixes` holds, per prefix of a pool, a cursor (the next address to try) and how many
 *   addresses are in use. An allocation starts at the cursor and takes the first address that is
 *   neither in use nor excluded, found with one range query from the cursor (no scan from the
 *   start); the cursor then moves past it. So allocating is O(1) while the prefix fills up, a
 *   full prefix is known from the counter without looking, and an address released is handed out
 *   again only after the cursor has gone round the rest of the prefix (no quick reuse).
 * - IPv4: the network and broadcast addresses (below /31) and the pool's reserved addresses
 *   (a gateway...) are never handed out; IPv6: the Subnet-Router anycast address (below /127)
 *   and the reserved ones. Addresses are BigInt; the store orders them by a fixed-width hex key.
 *
 * Each allocation and release is one transaction. Allocations waiting at the same time for the
 * same pool are served together by one transaction (one walk from the cursor, one multi-row
 * insert; `reuse` looked up in it too), in arrival order: the same addresses as one by one.
 * Within the control plane's process every store operation of this provider goes through one
 * FIFO queue to the store's single connection: Kysely's SQLite mutex wakes every waiter at each
 * release, so thousands of callers waiting on it directly cost quadratic time (5,000 allocations:
 * 17.5 s that way, 0.46 s now). Another writer (a second process) would make the insert fail on
 * the primary key or find the database busy; the transaction is then retried.
 */
import { sql } from 'kysely';
import { Locks } from '../../lib/locks.js';
import type { Store } from '../../store/index.js';
import { now } from '../../store/index.js';
import { IpamError, type AllocateRequest, type Allocation, type IpamKind, type IpamProvider, type PoolRef, type Problems } from './types.js';
import { canonicalAddress, capacity, contains, formatAddress, fromOrdKey, ordKey, overlaps, parseAddress, parsePrefix, unusable, type Prefix } from './addr.js';

export interface BuiltinConfig {
  /** Canonical CIDRs, in the order they are used */
  prefixes: string[];
  /** Addresses never handed out (a gateway, a DNS server...) */
  reserve: string[];
}

/** Rows read per range query while looking for a free address */
const BATCH = 256;
const RETRIES = 5;

interface PrefixPlan {
  prefix: Prefix;
  excluded: Set<bigint>;
  capacity: bigint;
}

/** The prefixes of a pool with what is excluded in each, computed once per configuration */
const plans = new WeakMap<BuiltinConfig, PrefixPlan[]>();
function planOf(config: BuiltinConfig): PrefixPlan[] {
  let plan = plans.get(config);
  if (!plan) {
    const reserved = config.reserve.map((r) => parseAddress(r)!);
    plan = config.prefixes.map((cidr) => {
      const prefix = parsePrefix(cidr) as Prefix;
      const excluded = new Set([...unusable(prefix), ...reserved.filter((a) => contains(prefix, a)).map((a) => a.value)]);
      return { prefix, excluded, capacity: capacity(prefix, excluded) };
    });
    plans.set(config, plan);
  }
  return plan;
}

const toAllocation = (r: { address: string; prefix: string; family: number; owner: string; description: string }): Allocation => ({
  address: r.address,
  prefixLength: Number(r.prefix.split('/')[1]),
  prefix: r.prefix,
  family: r.family === 6 ? 6 : 4,
  owner: r.owner,
  description: r.description,
});

const listOf = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

const transient = (err: unknown) => /SQLITE_BUSY|SQLITE_CONSTRAINT_PRIMARYKEY|SQLITE_CONSTRAINT_UNIQUE|UNIQUE constraint failed/.test(`${(err as { code?: string }).code ?? ''} ${(err as Error).message}`);

type Trx = Parameters<Parameters<ReturnType<Store['transaction']>['execute']>[0]>[0];

interface Waiting {
  pool: PoolRef<BuiltinConfig>;
  req: AllocateRequest;
  resolve: (a: Allocation) => void;
  reject: (err: unknown) => void;
}

/** Allocations served by one transaction at most */
const GROUP = 1000;
/** Rows inserted by one statement (8 values each, well below SQLite's variable limit) */
const INSERT_CHUNK = 200;

class BuiltinProvider implements IpamProvider<BuiltinConfig> {
  private readonly queue = new Locks();
  private waiting: Waiting[] = [];
  private draining = false;
  constructor(private readonly db: Store) {}

  /** One store operation at a time, in arrival order */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.with('store', fn);
  }

  /**
   * Allocations wait in arrival order; those waiting together for the same pool and family are
   * served by one transaction (one walk from the cursor, one insert): the same addresses as one
   * by one, in the same order, at a fraction of the cost when many come at once.
   */
  allocate(pool: PoolRef<BuiltinConfig>, req: AllocateRequest): Promise<Allocation> {
    const plan = planOf(pool.config).filter((p) => !req.family || p.prefix.family === req.family);
    if (!plan.length) return Promise.reject(new IpamError('invalid', `pool ${pool.name} has no IPv${req.family} prefix (${pool.config.prefixes.join(', ')}); add one with "freehold ip-pools update ${pool.name} --add-prefix <prefix>"`));
    return new Promise((resolve, reject) => {
      this.waiting.push({ pool, req, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        void this.drain();
      }
    });
  }

  private async drain() {
    try {
      while (this.waiting.length) {
        // The first waiter's group: same pool (same configuration) and family, in arrival order.
        const head = this.waiting[0];
        const group: Waiting[] = [];
        const rest: Waiting[] = [];
        for (const w of this.waiting) {
          if (group.length < GROUP && w.pool.name === head.pool.name && w.pool.config === head.pool.config && w.req.family === head.req.family) group.push(w);
          else rest.push(w);
        }
        this.waiting = rest;
        const plan = planOf(head.pool.config).filter((p) => !head.req.family || p.prefix.family === head.req.family);
        for (let attempt = 1; ; attempt++) {
          try {
            const results = await this.serial(() => this.db.transaction().execute((trx) => this.allocateIn(trx, head.pool, plan, group.map((w) => w.req))));
            results.forEach((r, i) => (r instanceof Error ? group[i].reject(r) : group[i].resolve(r)));
            break;
          } catch (err) {
            if (attempt < RETRIES && transient(err)) continue;
            for (const w of group) w.reject(err);
            break;
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async allocateIn(trx: Trx, pool: PoolRef<BuiltinConfig>, plan: PrefixPlan[], reqs: AllocateRequest[]): Promise<(Allocation | IpamError)[]> {
    const out: (Allocation | IpamError | undefined)[] = new Array(reqs.length);
    // reuse: the address the owner holds already (in this transaction: no one can take it meanwhile)
    const reusing = [...new Set(reqs.filter((r) => r.reuse).map((r) => r.owner))];
    const held = new Map<string, Allocation>();
    const prefixes = new Set(plan.map((p) => p.prefix.cidr));
    for (let i = 0; i < reusing.length; i += 500) {
      const rows = await trx
        .selectFrom('ipam_allocations')
        .select(['address', 'prefix', 'family', 'owner', 'description'])
        .where('pool', '=', pool.name)
        .where('owner', 'in', reusing.slice(i, i + 500))
        .orderBy('family')
        .orderBy('ord')
        .execute();
      for (const r of rows) if (prefixes.has(r.prefix) && !held.has(r.owner)) held.set(r.owner, toAllocation(r));
    }
    const need: number[] = [];
    const first = new Map<string, number>();
    reqs.forEach((r, i) => {
      const mine = r.reuse ? held.get(r.owner) : undefined;
      if (mine) out[i] = mine;
      else if (r.reuse && first.has(r.owner)) return; // asked twice in this batch: filled in below
      else {
        if (r.reuse) first.set(r.owner, i);
        need.push(i);
      }
    });
    let used = 0n;
    let total = 0n;
    let served = 0;
    for (const p of plan) {
      const state = await this.state(trx, pool.name, p);
      const inUse = BigInt(state.used);
      total += p.capacity;
      const want = need.length - served;
      const room = p.capacity - inUse;
      const values = want > 0 && room > 0n ? await this.freeAddresses(trx, pool.name, p, fromOrdKey(state.next), room < BigInt(want) ? Number(room) : want) : [];
      used += inUse + BigInt(values.length);
      if (!values.length) continue;
      const t = now();
      const rows = values.map((value, i) => {
        const req = reqs[need[served + i]];
        return { pool: pool.name, address: formatAddress(p.prefix.family, value), prefix: p.prefix.cidr, ord: ordKey(p.prefix.family, value), family: p.prefix.family, owner: req.owner, description: req.description ?? '', created_at: t };
      });
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) await trx.insertInto('ipam_allocations').values(rows.slice(i, i + INSERT_CHUNK)).execute();
      const lastValue = values[values.length - 1];
      const next = lastValue === p.prefix.last ? p.prefix.first : lastValue + 1n;
      await trx
        .updateTable('ipam_prefixes')
        .set({ next: ordKey(p.prefix.family, next), used: sql<number>`used + ${values.length}` })
        .where('pool', '=', pool.name)
        .where('prefix', '=', p.prefix.cidr)
        .execute();
      for (const r of rows) out[need[served++]] = toAllocation(r);
    }
    const cidrs = plan.map((p) => p.prefix.cidr).join(', ');
    const full = new IpamError('full', `pool ${pool.name} (${cidrs}) is full: ${used} of ${total} addresses in use; add a prefix or release addresses`);
    return reqs.map((r, i) => out[i] ?? (r.reuse && first.has(r.owner) ? out[first.get(r.owner)!] : undefined) ?? full);
  }

  /** The cursor and counter of a prefix, made on first use (counting what is already there) */
  private async state(trx: Trx, pool: string, p: PrefixPlan) {
    const row = await trx.selectFrom('ipam_prefixes').select(['next', 'used']).where('pool', '=', pool).where('prefix', '=', p.prefix.cidr).executeTakeFirst();
    if (row) return row;
    const { n } = await trx
      .selectFrom('ipam_allocations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('pool', '=', pool)
      .where('prefix', '=', p.prefix.cidr)
      .executeTakeFirstOrThrow();
    const fresh = { pool, prefix: p.prefix.cidr, next: ordKey(p.prefix.family, p.prefix.first), used: Number(n) };
    await trx.insertInto('ipam_prefixes').values(fresh).execute();
    return fresh;
  }

  /**
   * Up to k addresses that are neither in use nor excluded, from the cursor on and then from the
   * start of the prefix up to it, found by walking range queries over what is in use (never a
   * scan from the start).
   */
  private async freeAddresses(trx: Trx, pool: string, p: PrefixPlan, cursor: bigint, k: number): Promise<bigint[]> {
    const { family, first, last, cidr } = p.prefix;
    const out: bigint[] = [];
    const start = cursor < first || cursor > last ? first : cursor;
    const segments: [bigint, bigint][] = start > first ? [[start, last], [first, start - 1n]] : [[first, last]];
    const skip = (c: bigint) => {
      while (p.excluded.has(c)) c++;
      return c;
    };
    for (const [lo, hi] of segments) {
      let c = skip(lo);
      while (c <= hi && out.length < k) {
        const rows = await trx
          .selectFrom('ipam_allocations')
          .select('ord')
          .where('pool', '=', pool)
          .where('prefix', '=', cidr)
          .where('ord', '>=', ordKey(family, c))
          .where('ord', '<=', ordKey(family, hi))
          .orderBy('ord')
          .limit(BATCH)
          .execute();
        for (const r of rows) {
          const taken = fromOrdKey(r.ord);
          // the gap before the next address in use
          while (c < taken && c <= hi && out.length < k) {
            out.push(c);
            c = skip(c + 1n);
          }
          if (out.length >= k || c > hi) break;
          if (taken === c) c = skip(c + 1n);
        }
        if (rows.length < BATCH) {
          // nothing in use from c on
          while (c <= hi && out.length < k) {
            out.push(c);
            c = skip(c + 1n);
          }
          break;
        }
      }
      if (out.length >= k) break;
    }
    return out;
  }

  async release(pool: PoolRef<BuiltinConfig>, address: string): Promise<void> {
    const canonical = canonicalAddress(address);
    if (!canonical) throw new IpamError('invalid', `"${address}" is not an IPv4 or IPv6 address`);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.serial(() => this.db.transaction().execute(async (trx) => {
          const row = await trx.deleteFrom('ipam_allocations').where('pool', '=', pool.name).where('address', '=', canonical).returning('prefix').executeTakeFirst();
          if (!row) {
            const inside = planOf(pool.config).some((p) => contains(p.prefix, parseAddress(canonical)!));
            throw new IpamError('not_allocated', `${canonical} is not allocated in pool ${pool.name}${inside ? '' : ` (it is not in its prefixes ${pool.config.prefixes.join(', ')})`}; see "freehold ip-pools allocations ${pool.name}"`);
          }
          await trx.updateTable('ipam_prefixes').set({ used: sql<number>`max(used - 1, 0)` }).where('pool', '=', pool.name).where('prefix', '=', row.prefix).execute();
        }));
      } catch (err) {
        if (attempt >= RETRIES || !transient(err)) throw err;
      }
    }
  }

  async list(pool: PoolRef<BuiltinConfig>, filter: { owner?: string } = {}): Promise<Allocation[]> {
    let q = this.db.selectFrom('ipam_allocations').select(['address', 'prefix', 'family', 'owner', 'description']).where('pool', '=', pool.name);
    if (filter.owner !== undefined) q = q.where('owner', '=', filter.owner);
    const rows = await this.serial(() => q.orderBy('family').orderBy('ord').execute());
    // What the configuration covers: an update that would leave an address outside is refused.
    const reserved = new Set(pool.config.reserve);
    const prefixes = new Set(pool.config.prefixes);
    return rows.filter((r) => prefixes.has(r.prefix) && !reserved.has(r.address)).map(toAllocation);
  }

  async ping(): Promise<void> {
    // The store is Freehold's own: nothing to reach.
  }

  async forget(pool: PoolRef<BuiltinConfig>): Promise<void> {
    await this.serial(() => this.db.deleteFrom('ipam_prefixes').where('pool', '=', pool.name).execute());
  }
}

export const builtin: IpamKind<BuiltinConfig> = {
  parse(input, p: Problems) {
    const prefixes: Prefix[] = [];
    const rawPrefixes = listOf(input.prefixes);
    if (!rawPrefixes.length) p.push({ path: 'prefixes', message: 'at least one prefix is required, e.g. 10.20.0.0/24 or fd00:20::/64' });
    rawPrefixes.forEach((raw, i) => {
      const parsed = parsePrefix(String(raw));
      if (typeof parsed === 'string') return void p.push({ path: `prefixes.${i}`, message: parsed });
      const clash = prefixes.find((q) => overlaps(q, parsed));
      if (clash) return void p.push({ path: `prefixes.${i}`, message: `${parsed.cidr} overlaps ${clash.cidr}` });
      if (capacity(parsed, unusable(parsed)) < 1n) return void p.push({ path: `prefixes.${i}`, message: `${parsed.cidr} has no usable address` });
      prefixes.push(parsed);
    });
    const reserve: string[] = [];
    listOf(input.reserve).forEach((raw, i) => {
      const a = parseAddress(String(raw));
      if (!a) return void p.push({ path: `reserve.${i}`, message: `"${raw}" is not an IPv4 or IPv6 address` });
      if (prefixes.length && !prefixes.some((q) => contains(q, a))) p.push({ path: `reserve.${i}`, message: `${formatAddress(a.family, a.value)} is in none of the prefixes` });
      const text = formatAddress(a.family, a.value);
      if (!reserve.includes(text)) reserve.push(text);
    });
    return { prefixes: prefixes.map((q) => q.cidr), reserve };
  },
  view: (c) => ({ prefixes: c.prefixes, reserve: c.reserve }),
  conflict(mine, other) {
    for (const a of mine.prefixes.map((x) => parsePrefix(x) as Prefix)) {
      const b = other.prefixes.map((x) => parsePrefix(x) as Prefix).find((x) => overlaps(a, x));
      if (b) return `${a.cidr} overlaps ${b.cidr}`;
    }
    return undefined;
  },
  create: ({ db }) => new BuiltinProvider(db),
};
