// The desec DNS provider against the deSEC API simulator (test/simulators/desec.ts, written from
// deSEC's documentation): the provider contract (at deSEC's minimum TTL, 3600), then what is
// particular to deSEC: one bulk request per batch, cursor pagination past 500 RRsets, 429 with
// Retry-After waited out, and a TTL below the domain's minimum refused with deSEC's reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createDnsProvider, dnsProviderKind, DnsError, type DnsProvider } from '../src/drivers/dns/index.js';
import { httpJson } from '../src/drivers/dns/http.js';
import { dnsContract } from './helpers/dns-contract.js';
import { startDesecSimulator, type DesecSimulator } from './simulators/desec.js';

const token = () => randomBytes(21).toString('base64url');
const relaxed = { read: [[1, 10_000]] as [number, number][], write: [[1, 10_000]] as [number, number][] };

const provider = (url: string, t: string): DnsProvider => {
  const p: { path: string; message: string }[] = [];
  const config = dnsProviderKind('desec')!.parse({ url, token: t }, p);
  assert.deepEqual(p, []);
  return createDnsProvider('desec', config);
};

dnsContract('desec (simulator)', async () => {
  const good = token();
  const sim = await startDesecSimulator({ tokens: [good], domains: [{ name: 'contract.test' }], limits: relaxed });
  return {
    provider: provider(sim.url, good),
    zone: 'contract.test',
    wrongCredentials: provider(sim.url, token()),
    unknownZone: 'not-mine.test',
    ttl: 3600,
    authMessage: /deSEC refused the token \(HTTP 401: Invalid token\.\)/,
    stop: () => sim.stop(),
  };
});

let sim: DesecSimulator;
const good = token();
before(async () => {
  sim = await startDesecSimulator({ tokens: [good], domains: [{ name: 'example.test' }, { name: 'big.test' }, { name: 'lowttl.test', minimumTtl: 60 }], limits: relaxed });
});
after(async () => sim?.stop());

test('a batch is one bulk PATCH, and deSEC keeps exactly what was sent', async () => {
  const p = provider(sim.url, good);
  const before = sim.requests.length;
  await p.applyChanges('example.test', [
    { action: 'create', record: { name: 'www', type: 'A', ttl: 3600, values: ['192.0.2.1'] } },
    { action: 'create', record: { name: 'www', type: 'TXT', ttl: 3600, values: ['a;b'] } },
    { action: 'create', record: { name: 'mail', type: 'MX', ttl: 3600, values: ['10 mx.example.test.'] } },
  ]);
  const writes = sim.requests.slice(before);
  assert.deepEqual(writes.map((r) => `${r.method} ${r.path} ${r.status}`), ['PATCH /api/v1/domains/example.test/rrsets/ 200']);
  const stored = sim.rrsets('example.test').find((r) => r.subname === 'www' && r.type === 'TXT');
  assert.deepEqual(stored?.records, ['"a;b"']);
});

test('more than 500 RRsets are read page by page through the Link header', async () => {
  const p = provider(sim.url, good);
  const n = 1234;
  await p.applyChanges('big.test', Array.from({ length: n }, (_, i) => ({ action: 'create' as const, record: { name: `h${i}`, type: 'A' as const, ttl: 3600, values: [`10.0.${i >> 8}.${i & 255}`] } })));
  const before = sim.requests.length;
  const records = await p.listRecords('big.test');
  assert.equal(records.length, n);
  const gets = sim.requests.slice(before).filter((r) => r.method === 'GET');
  assert.equal(gets.length, 3, JSON.stringify(gets));
  assert.match(gets[0].path, /\?cursor=$/);
});

test('429 Too Many Requests: the driver waits as Retry-After says, then goes on', async () => {
  sim.setLimits({ write: [[1, 2]] });
  try {
    const p = provider(sim.url, good);
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) await p.applyChanges('example.test', [{ action: 'create', record: { name: `rate-${i}`, type: 'A', ttl: 3600, values: ['192.0.2.8'] } }]);
    assert.ok(Date.now() - t0 >= 900, 'waited about a second');
    assert.ok(sim.requests.some((r) => r.status === 429), 'the simulator throttled');
    assert.equal((await p.listRecords('example.test')).filter((r) => r.name.startsWith('rate-')).length, 4);
  } finally {
    sim.setLimits(relaxed);
  }
});

test('429 for longer than the driver may wait: a rate-limited error', async () => {
  sim.setLimits({ read: [[60, 1]] });
  try {
    const call = () => httpJson({ provider: 'desec', zone: 'example.test', method: 'GET', url: `${sim.url}/domains/example.test/`, headers: { Authorization: `Token ${good}` }, maxRateWaitMs: 500 });
    await call();
    await assert.rejects(call(), (err: unknown) => err instanceof DnsError && err.code === 'rate-limited' && /limits the rate of requests \(429\) and asks to wait \d+ s/.test(err.message));
  } finally {
    sim.setLimits(relaxed);
  }
});

test("a TTL below the domain's minimum is refused with deSEC's reason, naming the RRset", async () => {
  const p = provider(sim.url, good);
  await assert.rejects(
    p.applyChanges('example.test', [
      { action: 'create', record: { name: 'ok', type: 'A', ttl: 3600, values: ['192.0.2.1'] } },
      { action: 'create', record: { name: 'short', type: 'A', ttl: 300, values: ['192.0.2.1'] } },
    ]),
    /^DnsError: desec \(zone example\.test\): deSEC refused the change, nothing was changed: A short: ttl: Ensure this value is greater than or equal to 3600\.$/,
  );
  assert.equal((await p.listRecords('example.test')).some((r) => r.name === 'ok'), false, 'atomic: the good part was not applied either');
  // A domain whose minimum is lower takes it.
  await p.applyChanges('lowttl.test', [{ action: 'create', record: { name: 'short', type: 'A', ttl: 300, values: ['192.0.2.1'] } }]);
  assert.deepEqual(await p.listRecords('lowttl.test'), [{ name: 'short', type: 'A', ttl: 300, values: ['192.0.2.1'] }]);
});
