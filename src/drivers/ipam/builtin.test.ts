// The built-in provider against a real SQLite store in a temporary directory: the IPAM contract,
// then what only it does (reserved addresses, the cursor that delays reuse, /31 and /32, IPv6 at
// the top of the address space, configuration checks).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../store/index.js';
import { builtin, type BuiltinConfig } from './builtin.js';
import { ipamContract } from './contract.js';
import { IpamError, type Problems } from './types.js';

async function tempStore() {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-ipam-'));
  const db = await openStore(join(dir, 'freehold.db'));
  return { db, close: async () => (await db.destroy(), rmSync(dir, { recursive: true, force: true })) };
}

const config = (prefixes: string[], reserve: string[] = []): BuiltinConfig => {
  const p: Problems = [];
  const c = builtin.parse({ prefixes, reserve }, p);
  assert.deepEqual(p, []);
  return c;
};

ipamContract('builtin', async () => {
  const { db, close } = await tempStore();
  return { provider: builtin.create({ db }), pool: async (name, cidrs) => ({ name, config: config(cidrs) }), close };
});

let db: Store;
let closeStore: () => Promise<void>;
before(async () => ({ db, close: closeStore } = await tempStore()));
after(async () => closeStore?.());

test('builtin: reserved addresses and the network/broadcast addresses are never handed out', async () => {
  const provider = builtin.create({ db });
  const pool = { name: 'gw', config: config(['10.20.0.0/29'], ['10.20.0.1', '10.20.0.5']) };
  const got = [];
  for (let i = 0; i < 4; i++) got.push((await provider.allocate(pool, { owner: `a${i}` })).address);
  assert.deepEqual(got, ['10.20.0.2', '10.20.0.3', '10.20.0.4', '10.20.0.6']);
  await assert.rejects(provider.allocate(pool, { owner: 'x' }), /pool gw \(10\.20\.0\.0\/29\) is full: 4 of 4 addresses in use; add a prefix or release addresses/);
});

test('builtin: a released address comes back only after the others (the cursor goes round)', async () => {
  const provider = builtin.create({ db });
  const pool = { name: 'cursor', config: config(['10.21.0.0/29']) };
  const a = await provider.allocate(pool, { owner: 'a' });
  await provider.allocate(pool, { owner: 'b' });
  await provider.release(pool, a.address);
  const next = [];
  for (let i = 0; i < 5; i++) next.push((await provider.allocate(pool, { owner: `n${i}` })).address);
  assert.deepEqual(next, ['10.21.0.3', '10.21.0.4', '10.21.0.5', '10.21.0.6', '10.21.0.1']);
});

test('builtin: /31 and /32 (and /127) are fully usable; IPv6 at the top of the space', async () => {
  const provider = builtin.create({ db });
  const p31 = { name: 'p31', config: config(['192.0.2.0/31']) };
  assert.deepEqual([(await provider.allocate(p31, { owner: 'a' })).address, (await provider.allocate(p31, { owner: 'b' })).address], ['192.0.2.0', '192.0.2.1']);
  const p32 = { name: 'p32', config: config(['192.0.2.9/32']) };
  assert.equal((await provider.allocate(p32, { owner: 'a' })).address, '192.0.2.9');
  await assert.rejects(provider.allocate(p32, { owner: 'b' }), /is full: 1 of 1/);
  const top = { name: 'top', config: config(['ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc/126']) };
  const got = [];
  for (let i = 0; i < 3; i++) got.push((await provider.allocate(top, { owner: `t${i}` })).address);
  assert.deepEqual(got, ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']);
  await assert.rejects(provider.allocate(top, { owner: 'x' }), (err: unknown) => err instanceof IpamError && err.code === 'full' && /3 of 3/.test(err.message));
  const p127 = { name: 'p127', config: config(['fd00::/127']) };
  assert.equal((await provider.allocate(p127, { owner: 'a' })).address, 'fd00::');
});

test('builtin: a pool that fills a prefix goes on in the next one', async () => {
  const provider = builtin.create({ db });
  const pool = { name: 'two', config: config(['10.22.0.0/30', '10.22.1.0/30']) };
  const got = [];
  for (let i = 0; i < 4; i++) got.push((await provider.allocate(pool, { owner: `a${i}` })).address);
  assert.deepEqual(got, ['10.22.0.1', '10.22.0.2', '10.22.1.1', '10.22.1.2']);
  await assert.rejects(provider.allocate(pool, { owner: 'x' }), /pool two \(10\.22\.0\.0\/30, 10\.22\.1\.0\/30\) is full: 4 of 4 addresses in use/);
});

test('builtin: 5,000 concurrent allocations from a /16, no duplicates', async () => {
  const provider = builtin.create({ db });
  const pool = { name: 'big', config: config(['10.128.0.0/16']) };
  const t0 = Date.now();
  const got = await Promise.all(Array.from({ length: 5000 }, (_, i) => provider.allocate(pool, { owner: `app${i}` })));
  const ms = Date.now() - t0;
  assert.equal(new Set(got.map((a) => a.address)).size, 5000);
  const { n } = await db.selectFrom('ipam_allocations').select((eb) => eb.fn.countAll<number>().as('n')).where('pool', '=', 'big').executeTakeFirstOrThrow();
  assert.equal(Number(n), 5000);
  assert.ok(ms < 20_000, `took ${ms} ms`);
});

test('builtin: configuration checks say what is wrong', () => {
  const problems = (input: Record<string, unknown>) => {
    const p: Problems = [];
    builtin.parse(input, p);
    return p.map((x) => `${x.path} ${x.message}`);
  };
  assert.deepEqual(problems({}), ['prefixes at least one prefix is required, e.g. 10.20.0.0/24 or fd00:20::/64']);
  assert.deepEqual(problems({ prefixes: ['10.20.0.5/24'] }), ['prefixes.0 "10.20.0.5/24" has host bits set; did you mean 10.20.0.0/24?']);
  assert.deepEqual(problems({ prefixes: ['10.20.0.0/24', '10.20.0.128/25'] }), ['prefixes.1 10.20.0.128/25 overlaps 10.20.0.0/24']);
  assert.deepEqual(problems({ prefixes: ['10.20.0.0/33'] }), ['prefixes.0 "10.20.0.0/33": an IPv4 prefix length is at most 32']);
  assert.deepEqual(problems({ prefixes: ['10.20.0.0/24'], reserve: ['10.30.0.1', 'gateway'] }), ['reserve.0 10.30.0.1 is in none of the prefixes', 'reserve.1 "gateway" is not an IPv4 or IPv6 address']);
  assert.deepEqual(builtin.parse({ prefixes: ['FD00:20:0::/64'], reserve: ['fd00:20::0:1'] }, []), { prefixes: ['fd00:20::/64'], reserve: ['fd00:20::1'] });
  assert.equal(builtin.conflict!(config(['10.0.0.0/16']), config(['10.0.5.0/24'])), '10.0.0.0/16 overlaps 10.0.5.0/24');
  assert.equal(builtin.conflict!(config(['10.0.0.0/16']), config(['10.1.0.0/24', 'fd00::/64'])), undefined);
});
