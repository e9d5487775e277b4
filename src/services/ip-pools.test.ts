// IP pools as installations use them, against a real SQLite store (and the NetBox simulator on
// loopback): pools configured once with their provider's settings sealed; allocateFor gives an
// installation one address per pool (again the same when asked again); an uninstall releases
// all of them, a failed install leaves none, also after a crash; a pool in use is not removed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../store/index.js';
import { Sealer } from '../lib/crypto.js';
import { IpPools } from './ip-pools.js';
import { NetboxSimulator } from '../../test/simulators/netbox.js';

let dir: string;
let db: Store;
let sealer: Sealer;
let sim: NetboxSimulator;
let token: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'freehold-ip-pools-'));
  db = await openStore(join(dir, 'freehold.db'));
  sealer = new Sealer(randomBytes(32));
  sim = await NetboxSimulator.start();
  token = sim.addToken();
});
after(async () => {
  await db?.destroy();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const status = (s: number, message?: RegExp) => (err: any) => {
  assert.equal(err.status, s, err.message);
  if (message) assert.match(err.message, message);
  return true;
};

test('ip-pools: add, list, configuration errors, names and overlaps', async () => {
  const pools = new IpPools(db, sealer);
  const lan = await pools.add({ name: 'lan', prefixes: ['10.20.0.0/24', 'FD00:20::/64'], reserve: ['10.20.0.1'] });
  assert.deepEqual(lan.config, { prefixes: ['10.20.0.0/24', 'fd00:20::/64'], reserve: ['10.20.0.1'] });
  assert.equal(lan.provider, 'builtin');
  assert.deepEqual((await pools.list()).map((p) => p.name), ['lan']);
  await assert.rejects(pools.add({ name: 'lan', prefixes: ['10.99.0.0/24'] }), status(409, /already exists/));
  await assert.rejects(pools.add({ name: 'other', prefixes: ['10.20.0.128/25'] }), status(409, /clash with pool lan: 10\.20\.0\.128\/25 overlaps 10\.20\.0\.0\/24/));
  await assert.rejects(pools.add({ name: 'Bad!', prefixes: ['10.98.0.0/24'] }), status(400, /name must be/));
  await assert.rejects(pools.add({ name: 'x', prefixes: ['10.98.0.1/24'] }), status(400, /has host bits set; did you mean 10\.98\.0\.0\/24\?/));
  await assert.rejects(pools.add({ name: 'x', provider: 'dhcp' }), status(400, /provider must be one of builtin, netbox/));
  await assert.rejects(pools.allocate('nope', { owner: 'web' }), status(404, /no IP pool "nope"/));
});

test('ip-pools: an installation gets one address per pool and family, the same when asked again', async () => {
  const pools = new IpPools(db, sealer);
  await pools.add({ name: 'apps', prefixes: ['10.30.0.0/24', 'fd00:30::/64'] });
  const [a, b] = await Promise.all([pools.allocateFor('web', 'apps'), pools.allocateFor('web', 'apps')]);
  assert.equal(a.address, b.address, 'concurrent calls for the same installation get the same address');
  assert.equal(a.address, '10.30.0.1');
  const v6 = await pools.allocateFor('web', 'apps', { family: 6 });
  assert.equal(v6.address, 'fd00:30::1');
  assert.equal((await pools.allocateFor('web', 'apps', { family: 6 })).address, v6.address);
  assert.equal((await pools.allocateFor('cal', 'apps')).address, '10.30.0.2');
  assert.deepEqual((await pools.allocations('apps', { owner: 'web' })).map((x) => [x.address, x.owner, x.description]), [
    ['10.30.0.1', 'web', 'Freehold installation web'],
    ['fd00:30::1', 'web', 'Freehold installation web'],
  ]);
  await assert.rejects(pools.allocateFor('Not Valid', 'apps'), status(400, /owner must be/));
});

test('ip-pools: an uninstall releases everything the installation holds, in every pool (builtin and NetBox)', async () => {
  const pools = new IpPools(db, sealer);
  await pools.add({ name: 'u1', prefixes: ['10.31.0.0/24'] });
  await pools.add({ name: 'u2', provider: 'netbox', url: sim.url, token, prefixIds: [sim.addPrefix('10.131.0.0/24')] });
  for (const p of ['u1', 'u2']) {
    await pools.allocateFor('blog', p);
    await pools.allocateFor('shop', p);
  }
  const released = await pools.releaseFor('blog');
  assert.deepEqual(released.map((r) => `${r.pool} ${r.address}`).sort(), ['u1 10.31.0.1', 'u2 10.131.0.1']);
  assert.deepEqual(await pools.heldBy('blog'), []);
  assert.deepEqual((await pools.heldBy('shop')).map((r) => r.pool).sort(), ['u1', 'u2'], 'the others keep theirs');
  assert.deepEqual(await pools.releaseFor('blog'), [], 'running it again is fine');
  assert.equal(sim.ipsIn('10.131.0.0/24').length, 1);
});

test('ip-pools: a failed install leaves no address behind (builtin and NetBox)', async () => {
  const pools = new IpPools(db, sealer);
  await pools.add({ name: 'f1', prefixes: ['10.32.0.0/24', 'fd00:32::/64'] });
  await pools.add({ name: 'f2', provider: 'netbox', url: sim.url, token, prefixIds: [sim.addPrefix('10.132.0.0/24')] });
  await assert.rejects(
    pools.installing('wiki', async (allocate) => {
      await allocate('f1');
      await allocate('f1', { family: 6 });
      await allocate('f2');
      throw new Error('container wiki-web did not become healthy');
    }),
    /did not become healthy/,
  );
  assert.deepEqual(await pools.heldBy('wiki'), []);
  assert.equal(sim.ipsIn('10.132.0.0/24').length, 0);
  // A pool that is full fails the install the same way, with nothing left in the others
  await pools.add({ name: 'f3', prefixes: ['10.33.0.0/31'] });
  await pools.allocate('f3', { owner: 'x' });
  await pools.allocate('f3', { owner: 'y' });
  await assert.rejects(
    pools.installing('wiki', async (allocate) => {
      await allocate('f1');
      await allocate('f3');
    }),
    status(409, /pool f3 \(10\.33\.0\.0\/31\) is full: 2 of 2 addresses in use; add a prefix or release addresses/),
  );
  assert.deepEqual(await pools.heldBy('wiki'), []);
  // A successful one keeps them
  const got = await pools.installing('wiki', async (allocate) => [await allocate('f1'), await allocate('f2')]);
  assert.deepEqual((await pools.heldBy('wiki')).map((a) => a.address).sort(), got.map((a) => a.address).sort());
});

test('ip-pools: after a crash mid-install, the rollback finds the addresses by owner and releases them', async () => {
  const before = new IpPools(db, sealer);
  await before.add({ name: 'c1', prefixes: ['10.34.0.0/24'] });
  await before.add({ name: 'c2', provider: 'netbox', url: sim.url, token, prefixIds: [sim.addPrefix('10.134.0.0/24')] });
  await before.allocateFor('crashy', 'c1');
  await before.allocateFor('crashy', 'c2');
  // the process dies here; a new one (the reconciler rolling the install back) starts from the store
  const after = new IpPools(db, sealer);
  assert.equal((await after.releaseFor('crashy')).length, 2);
  assert.deepEqual(await after.heldBy('crashy'), []);
});

test('ip-pools: a pool in use is not removed; update adds a prefix to a full pool, never strands an address', async () => {
  const pools = new IpPools(db, sealer);
  await pools.add({ name: 'small', prefixes: ['10.35.0.0/30'] });
  const a = await pools.allocate('small', { owner: 'web' });
  await pools.allocate('small', { owner: 'cal' });
  await assert.rejects(pools.allocate('small', { owner: 'git' }), status(409, /is full: 2 of 2/));
  await assert.rejects(pools.remove('small'), status(409, /IP pool small still has 2 address\(es\) allocated \(to web, cal\): uninstall the installations that hold them, or release them with "freehold ip-pools release small <address>"/));
  await pools.update('small', { prefixes: ['10.35.0.0/30', '10.35.1.0/30'] });
  assert.equal((await pools.allocate('small', { owner: 'git' })).address, '10.35.1.1');
  await assert.rejects(pools.update('small', { prefixes: ['10.35.0.0/30'] }), status(409, /would leave 1 address\(es\) in use outside the pool: 10\.35\.1\.1 \(git\)/));
  await assert.rejects(pools.update('small', { reserve: [a.address] }), status(409, new RegExp(`${a.address.replace(/\./g, '\\.')} \\(web\\)`)));
  await assert.rejects(pools.release('small', '10.35.0.3'), status(404, /10\.35\.0\.3 is not allocated in pool small/));
  for (const x of await pools.allocations('small')) await pools.release('small', x.address);
  await pools.remove('small');
  assert.ok(!(await pools.list()).some((p) => p.name === 'small'));
  assert.equal((await db.selectFrom('ipam_prefixes').selectAll().where('pool', '=', 'small').execute()).length, 0, 'its cursors went with it');
});

test('ip-pools: a NetBox token is sealed in the store, never shown; a wrong one is refused when the pool is added', async () => {
  const pools = new IpPools(db, sealer);
  const id = sim.addPrefix('10.136.0.0/24');
  const view = await pools.add({ name: 'nb', provider: 'netbox', url: `${sim.url}/api/`, token, prefixIds: [id] });
  assert.deepEqual(view.config, { url: sim.url, prefixIds: [id] });
  const rows = await db.selectFrom('ip_pools').selectAll().execute();
  assert.ok(!JSON.stringify(rows).includes(token), 'the token is not in the store in clear');
  assert.ok(!JSON.stringify(await pools.list()).includes(token));
  await assert.rejects(
    pools.add({ name: 'nb2', provider: 'netbox', url: sim.url, token: '0000000000000000000000000000000000000000', prefixIds: [id] }),
    status(502, /pool nb2: NetBox at http:\/\/127\.0\.0\.1:\d+ refused the pool's token \(HTTP 403: Invalid token\)/),
  );
  await assert.rejects(pools.add({ name: 'nb3', provider: 'netbox', url: sim.url, token, prefixIds: [4242] }), status(502, /has no prefix 4242/));
  // a rotated token: the old one revoked in NetBox, the new one given to Freehold
  const fresh = sim.addToken();
  sim.revokeToken(token);
  await assert.rejects(pools.allocate('nb', { owner: 'web' }), status(502, /Invalid token.*freehold ip-pools update nb --token-file/));
  await pools.update('nb', { token: fresh });
  assert.equal((await pools.allocate('nb', { owner: 'web' })).address, '10.136.0.1');
  token = fresh;
});
