// The NetBox IPAM driver against the NetBox API simulator (test/simulators/netbox.ts) on
// loopback: the IPAM contract, then pagination over several pages, a wrong or read-only token,
// a full prefix with NetBox's own 409 answer, an address NetBox holds that Freehold did not make,
// an unknown prefix and an unreachable NetBox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NetboxSimulator } from './simulators/netbox.js';
import { netbox, type NetboxConfig } from '../src/drivers/ipam/netbox.js';
import { ipamContract } from '../src/drivers/ipam/contract.js';
import { IpamError, type PoolRef } from '../src/drivers/ipam/types.js';
import { freePort } from '../src/lib/net.js';

ipamContract('netbox (simulator)', async () => {
  const sim = await NetboxSimulator.start();
  const token = sim.addToken();
  return {
    provider: netbox.create({} as never),
    pool: async (name, cidrs) => ({ name, config: { url: sim.url, token, prefixIds: cidrs.map((c) => sim.addPrefix(c)) } }),
    close: () => sim.stop(),
  };
});

let sim: NetboxSimulator;
let token: string;
before(async () => {
  sim = await NetboxSimulator.start({ maxPageSize: 50 });
  token = sim.addToken();
});
after(async () => sim?.stop());

const poolOf = (name: string, cidrs: string[], t = token): PoolRef<NetboxConfig> => ({ name, config: { url: sim.url, token: t, prefixIds: cidrs.map((c) => sim.addPrefix(c)) } });
const isIpam = (code: string, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof IpamError, String(err));
  assert.equal(err.code, code, err.message);
  assert.match(err.message, message);
  return true;
};

test('netbox: lists every page (NetBox caps pages at MAX_PAGE_SIZE = 50 here)', async () => {
  const provider = netbox.create({} as never);
  const pool = poolOf('paged', ['10.50.0.0/24']);
  const got = await Promise.all(Array.from({ length: 130 }, (_, i) => provider.allocate(pool, { owner: `app${i}`, description: `app ${i}` })));
  assert.equal(new Set(got.map((a) => a.address)).size, 130);
  const before = sim.requests.get('GET /api/ipam/ip-addresses/') ?? 0;
  const listed = await provider.list(pool);
  assert.equal((sim.requests.get('GET /api/ipam/ip-addresses/') ?? 0) - before, 3, 'three pages of at most 50');
  assert.equal(listed.length, 130);
  assert.deepEqual(new Set(listed.map((a) => a.address)), new Set(got.map((a) => a.address)));
  assert.equal(listed.find((a) => a.owner === 'app7')?.description, 'app 7');
  // NetBox keeps the owner in the description, as a tag after the text
  assert.ok(sim.ipsIn('10.50.0.0/24').some((ip) => ip.description === 'app 7 [freehold:app7]'));
  assert.deepEqual((await provider.list(pool, { owner: 'app12' })).map((a) => a.owner), ['app12'], 'app1 and app12 are not confused');
});

test('netbox: a wrong token is refused with NetBox\'s answer and the fix, never the token', async () => {
  const provider = netbox.create({} as never);
  const wrong = 'ffffffffffffffffffffffffffffffffffffffff';
  const pool = poolOf('badtoken', ['10.51.0.0/24'], wrong);
  for (const call of [() => provider.ping(pool), () => provider.allocate(pool, { owner: 'web' }), () => provider.list(pool), () => provider.release(pool, '10.51.0.1')]) {
    await assert.rejects(call(), (err: unknown) => {
      isIpam('auth', /pool badtoken: NetBox at http:\/\/127\.0\.0\.1:\d+ refused the pool's token \(HTTP 403: Invalid token\); create an API token in NetBox .* --token-file/)(err);
      assert.ok(!(err as Error).message.includes(wrong), 'the token is not in the message');
      return true;
    });
  }
  // The same answer as NetBox's, checked at the source
  const res = await fetch(`${sim.url}/api/ipam/prefixes/${pool.config.prefixIds[0]}/`, { headers: { authorization: `Token ${wrong}` } });
  assert.deepEqual([res.status, await res.json()], [403, { detail: 'Invalid token' }]);
  // A token NetBox revokes while the pool is in use
  const revoked = sim.addToken();
  const pool2 = poolOf('revoked', ['10.52.0.0/24'], revoked);
  await provider.allocate(pool2, { owner: 'web' });
  sim.revokeToken(revoked);
  await assert.rejects(provider.allocate(pool2, { owner: 'cal' }), isIpam('auth', /Invalid token/));
});

test('netbox: a read-only token can list but not allocate', async () => {
  const provider = netbox.create({} as never);
  const pool = poolOf('readonly', ['10.53.0.0/24'], sim.addToken({ writeEnabled: false }));
  await provider.ping(pool);
  assert.deepEqual(await provider.list(pool), []);
  await assert.rejects(provider.allocate(pool, { owner: 'web' }), isIpam('auth', /HTTP 403: You do not have permission to perform this action.*give the token write access/));
});

test('netbox: a full prefix (NetBox answers 409) names the pool, the prefix and the fix; the next prefix is used first', async () => {
  const provider = netbox.create({} as never);
  const pool = poolOf('fills', ['10.54.0.0/30', '10.54.1.0/30']);
  const got = await Promise.all(Array.from({ length: 4 }, (_, i) => provider.allocate(pool, { owner: `a${i}` })));
  assert.deepEqual(got.map((a) => a.address).sort(), ['10.54.0.1', '10.54.0.2', '10.54.1.1', '10.54.1.2']);
  await assert.rejects(
    provider.allocate(pool, { owner: 'late' }),
    isIpam('full', /^pool fills \(10\.54\.0\.0\/30, NetBox prefix \d+; 10\.54\.1\.0\/30, NetBox prefix \d+\) is full: 4 of 4 addresses in use; add a prefix or release addresses \(NetBox: An insufficient number of IP addresses are available within 10\.54\.0\.0\/30 \(1 requested, 0 available\)/),
  );
  // A NetBox "pool" prefix has no network/broadcast address to leave out
  const whole = { name: 'whole', config: { url: sim.url, token, prefixIds: [sim.addPrefix('10.55.0.0/30', { isPool: true })] } };
  const all = await Promise.all(Array.from({ length: 4 }, (_, i) => provider.allocate(whole, { owner: `w${i}` })));
  assert.deepEqual(all.map((a) => a.address).sort(), ['10.55.0.0', '10.55.0.1', '10.55.0.2', '10.55.0.3']);
  await assert.rejects(provider.allocate(whole, { owner: 'x' }), isIpam('full', /4 of 4 addresses in use/));
});

test('netbox: an older NetBox that answers a full prefix with 204 is understood too', async () => {
  const old = await NetboxSimulator.start({ fullStatus: 204 });
  try {
    const provider = netbox.create({} as never);
    const pool = { name: 'old', config: { url: old.url, token: old.addToken(), prefixIds: [old.addPrefix('10.57.0.0/31')] } };
    await provider.allocate(pool, { owner: 'a' });
    await provider.allocate(pool, { owner: 'b' });
    await assert.rejects(provider.allocate(pool, { owner: 'c' }), isIpam('full', /^pool old \(10\.57\.0\.0\/31, NetBox prefix \d+\) is full: 2 of 2 addresses in use; add a prefix or release addresses \(NetBox: HTTP 204, no address\)/));
  } finally {
    await old.stop();
  }
});

test('netbox: an address Freehold did not make is listed without owner and never released', async () => {
  const provider = netbox.create({} as never);
  const pool = poolOf('shared', ['10.56.0.0/24']);
  sim.addIp('10.56.0.1/24', 'core router');
  const a = await provider.allocate(pool, { owner: 'web' });
  assert.equal(a.address, '10.56.0.2', 'NetBox skips what is taken');
  const listed = await provider.list(pool);
  assert.deepEqual(listed.map((x) => [x.address, x.owner, x.description]), [['10.56.0.1', null, 'core router'], ['10.56.0.2', 'web', '']]);
  await assert.rejects(provider.release(pool, '10.56.0.1'), isIpam('not_allocated', /10\.56\.0\.1 is not allocated in pool shared \(NetBox has it, but Freehold did not allocate it/));
  assert.equal(sim.ipsIn('10.56.0.0/24').length, 2, 'the router\'s address is still there');
});

test('netbox: an unknown prefix id and an unreachable NetBox', async () => {
  const provider = netbox.create({} as never);
  await assert.rejects(provider.ping({ name: 'gone', config: { url: sim.url, token, prefixIds: [9999] } }), isIpam('not_found', /pool gone: NetBox at .* has no prefix 9999 \(HTTP 404\)/));
  const port = await freePort();
  await assert.rejects(
    provider.allocate({ name: 'down', config: { url: `http://127.0.0.1:${port}`, token, prefixIds: [1] } }, { owner: 'web' }),
    isIpam('unreachable', new RegExp(`pool down: NetBox at http://127\\.0\\.0\\.1:${port} cannot be reached \\(ECONNREFUSED\\); check that NetBox is running`)),
  );
});

test('netbox: configuration checks', () => {
  const problems = (input: Record<string, unknown>) => {
    const p: { path: string; message: string }[] = [];
    const c = netbox.parse(input, p);
    return { c, p: p.map((x) => x.path) };
  };
  assert.deepEqual(problems({}).p, ['url', 'token', 'prefixIds']);
  assert.deepEqual(problems({ url: 'ftp://x', token: 'a b', prefixIds: [0] }).p, ['url', 'token', 'prefixIds.0']);
  assert.deepEqual(problems({ url: 'https://user:pw@netbox.example.org', token: 't', prefixIds: [1] }).p, ['url']);
  assert.deepEqual(problems({ url: 'https://netbox.example.org/api/', token: 'abc', prefixIds: ['12', 12] }).c, { url: 'https://netbox.example.org', token: 'abc', prefixIds: [12] });
  assert.deepEqual(netbox.view({ url: 'https://n.example.org', token: 'secret', prefixIds: [3] }), { url: 'https://n.example.org', prefixIds: [3] });
});
