/**
 * The contract every IPAM provider passes (run from each implementation's test file): allocate,
 * list and release, IPv4 and IPv6, never the same address twice under 200 concurrent requests,
 * a full pool's error, releasing an address that is not allocated.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { IpamError, type IpamProvider, type PoolRef } from './types.js';
import { canonicalAddress, contains, parseAddress, parsePrefix, type Prefix } from './addr.js';

export interface ContractTarget {
  provider: IpamProvider<any>;
  /** A new pool over these prefixes (in this order); each call gets prefixes no other pool has */
  pool(name: string, cidrs: string[]): Promise<PoolRef<any>>;
  close(): Promise<void>;
}

let serial = 0;
let pools = 0;
/** Prefixes no other pool of this run uses */
const fresh = {
  v4: () => `10.${64 + (serial++ % 128)}.${(serial * 7) % 256}.0/24`,
  small: () => `10.${200 + (serial++ % 50)}.${(serial * 11) % 256}.0/30`,
  v6: () => `fd00:${(serial++).toString(16)}:${(serial * 13).toString(16)}::/64`,
};

const inside = (cidr: string, address: string) => contains(parsePrefix(cidr) as Prefix, parseAddress(address)!);

const rejectsWith = (p: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof IpamError, `an IpamError, not ${(err as Error)?.stack ?? err}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });

export function ipamContract(name: string, setup: () => Promise<ContractTarget>) {
  describe(`ipam contract: ${name}`, () => {
    let target: ContractTarget;
    before(async () => {
      target = await setup();
    });
    // Pool names are unique in a run (a provider may keep state by name): lan-1, tiny-2...
    const t = {
      get provider() {
        return target.provider;
      },
      pool: (name: string, cidrs: string[]) => target.pool(`${name}-${++pools}`, cidrs),
    };
    after(async () => target?.close());

    test('allocates an IPv4 address, lists it with its owner, releases it', async () => {
      const cidr = fresh.v4();
      const pool = await t.pool('lan', [cidr]);
      const a = await t.provider.allocate(pool, { owner: 'web', description: 'web server' });
      assert.ok(inside(cidr, a.address), `${a.address} in ${cidr}`);
      const p = parsePrefix(cidr) as Prefix;
      assert.notEqual(parseAddress(a.address)!.value, p.first, 'not the network address');
      assert.notEqual(parseAddress(a.address)!.value, p.last, 'not the broadcast address');
      assert.deepEqual({ prefixLength: a.prefixLength, family: a.family, owner: a.owner, description: a.description }, { prefixLength: 24, family: 4, owner: 'web', description: 'web server' });
      const listed = await t.provider.list(pool);
      assert.deepEqual(
        listed.map((x) => [x.address, x.owner, x.description, x.prefixLength]),
        [[a.address, 'web', 'web server', 24]],
      );
      assert.equal((await t.provider.list(pool, { owner: 'web' })).length, 1);
      assert.deepEqual(await t.provider.list(pool, { owner: 'other' }), []);
      await t.provider.release(pool, a.address);
      assert.deepEqual(await t.provider.list(pool), []);
    });

    test('allocates IPv6 addresses (canonical, never the Subnet-Router anycast address)', async () => {
      const cidr = fresh.v6();
      const pool = await t.pool('v6', [cidr]);
      const a = await t.provider.allocate(pool, { owner: 'web' });
      const b = await t.provider.allocate(pool, { owner: 'cal' });
      for (const x of [a, b]) {
        assert.ok(inside(cidr, x.address), `${x.address} in ${cidr}`);
        assert.equal(x.address, canonicalAddress(x.address), 'canonical spelling');
        assert.notEqual(parseAddress(x.address)!.value, (parsePrefix(cidr) as Prefix).first);
        assert.equal(x.family, 6);
        assert.equal(x.prefixLength, 64);
      }
      assert.notEqual(a.address, b.address);
      assert.deepEqual((await t.provider.list(pool, { owner: 'cal' })).map((x) => x.address), [b.address]);
      await t.provider.release(pool, a.address.toUpperCase());
      assert.deepEqual((await t.provider.list(pool)).map((x) => x.address), [b.address]);
    });

    test('a pool with IPv4 and IPv6 prefixes: the family chooses, the order decides otherwise', async () => {
      const v4 = fresh.v4();
      const v6 = fresh.v6();
      const pool = await t.pool('dual', [v4, v6]);
      assert.ok(inside(v6, (await t.provider.allocate(pool, { owner: 'a', family: 6 })).address));
      assert.ok(inside(v4, (await t.provider.allocate(pool, { owner: 'a', family: 4 })).address));
      assert.ok(inside(v4, (await t.provider.allocate(pool, { owner: 'b' })).address));
      const only4 = await t.pool('only4', [fresh.v4()]);
      await rejectsWith(t.provider.allocate(only4, { owner: 'a', family: 6 }), 'invalid', /no IPv6 prefix/);
    });

    test('reuse: an owner that holds an address of the pool (of the family) gets that one again', async () => {
      const v4 = fresh.v4();
      const v6 = fresh.v6();
      const pool = await t.pool('reuse', [v4, v6]);
      const a = await t.provider.allocate(pool, { owner: 'web', reuse: true });
      assert.equal((await t.provider.allocate(pool, { owner: 'web', reuse: true })).address, a.address);
      assert.equal((await t.provider.allocate(pool, { owner: 'web', reuse: true, family: 4 })).address, a.address);
      const six = await t.provider.allocate(pool, { owner: 'web', reuse: true, family: 6 });
      assert.ok(inside(v6, six.address), 'no IPv6 address held yet: a new one');
      assert.equal((await t.provider.allocate(pool, { owner: 'web', reuse: true, family: 6 })).address, six.address);
      const other = await t.provider.allocate(pool, { owner: 'web' });
      assert.notEqual(other.address, a.address, 'without reuse, a new address');
      const many = await Promise.all(Array.from({ length: 20 }, (_, i) => t.provider.allocate(pool, { owner: `r${i % 10}`, reuse: true, family: 4 })));
      for (let i = 0; i < 10; i++) assert.equal(many[i].address, many[i + 10].address, `r${i} asked twice at once, one address`);
      assert.equal(new Set(many.map((x) => x.address)).size, 10);
    });

    test('never the same address twice under 200 concurrent allocations', async () => {
      const cidr = fresh.v4();
      const pool = await t.pool('busy', [cidr]);
      const got = await Promise.all(Array.from({ length: 200 }, (_, i) => t.provider.allocate(pool, { owner: `app${i}` })));
      const addresses = got.map((a) => a.address);
      assert.equal(new Set(addresses).size, 200, 'no duplicates');
      assert.ok(addresses.every((a) => inside(cidr, a)));
      const listed = await t.provider.list(pool);
      assert.equal(listed.length, 200);
      assert.deepEqual(new Set(listed.map((a) => a.address)), new Set(addresses));
      for (const a of got) assert.equal(listed.find((x) => x.address === a.address)?.owner, a.owner);
    });

    test('a full pool says so, and how to fix it; a released address can be had again', async () => {
      const cidr = fresh.small();
      const pool = await t.pool('tiny', [cidr]);
      const p = parsePrefix(cidr) as Prefix;
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => t.provider.allocate(pool, { owner: `app${i}` })));
      const ok = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ address: string }>).value.address);
      const hosts = [p.first + 1n, p.first + 2n].map((v) => canonicalAddress(`${(v >> 24n) & 255n}.${(v >> 16n) & 255n}.${(v >> 8n) & 255n}.${v & 255n}`));
      assert.deepEqual(new Set(ok), new Set(hosts), 'the two usable addresses of a /30, once each');
      const cidrText = cidr.replace(/\./g, '\\.').replace('/', '\\/');
      const full = new RegExp(`^pool ${pool.name} \\(${cidrText}[^)]*\\) is full: 2 of 2 addresses in use; add a prefix or release addresses`);
      for (const r of results.filter((r) => r.status === 'rejected')) {
        const err = (r as PromiseRejectedResult).reason;
        assert.ok(err instanceof IpamError && err.code === 'full', String(err));
        assert.match(err.message, full);
      }
      assert.equal(results.filter((r) => r.status === 'rejected').length, 4);
      await rejectsWith(t.provider.allocate(pool, { owner: 'late' }), 'full', full);
      await t.provider.release(pool, hosts[0]!);
      assert.equal((await t.provider.allocate(pool, { owner: 'again' })).address, hosts[0]);
    });

    test('releasing an address that is not allocated is an error that names the pool; nothing changes', async () => {
      const cidr = fresh.v4();
      const pool = await t.pool('lan', [cidr]);
      const a = await t.provider.allocate(pool, { owner: 'web' });
      const other = cidr.replace(/\.0\/24$/, '.77');
      await rejectsWith(t.provider.release(pool, other), 'not_allocated', new RegExp(`${other.replace(/\./g, '\\.')} is not allocated in pool ${pool.name}`));
      await rejectsWith(t.provider.release(pool, '192.0.2.1'), 'not_allocated', new RegExp(`not allocated in pool ${pool.name}`));
      await rejectsWith(t.provider.release(pool, 'not-an-address'), 'invalid', /not an IPv4 or IPv6 address/);
      assert.deepEqual((await t.provider.list(pool)).map((x) => x.address), [a.address]);
      await t.provider.release(pool, a.address);
      await rejectsWith(t.provider.release(pool, a.address), 'not_allocated');
    });
  });
}
