// The cloudflare DNS provider against the Cloudflare API simulator (test/simulators/cloudflare.ts,
// written from Cloudflare's API documentation): the provider contract, then what is particular
// to Cloudflare: single records behind RRsets, batches of at most 200 operations, pages of
// records, a malformed token, and 429 waited out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createDnsProvider, dnsProviderKind, type DnsProvider } from '../src/drivers/dns/index.js';
import { dnsContract } from './helpers/dns-contract.js';
import { startCloudflareSimulator, type CloudflareSimulator } from './simulators/cloudflare.js';

const token = () => randomBytes(30).toString('base64url');

const provider = (url: string, t: string, more: Record<string, unknown> = {}): DnsProvider => {
  const p: { path: string; message: string }[] = [];
  const config = dnsProviderKind('cloudflare')!.parse({ url, token: t, ...more }, p);
  assert.deepEqual(p, []);
  return createDnsProvider('cloudflare', config);
};

dnsContract('cloudflare (simulator)', async () => {
  const good = token();
  const sim = await startCloudflareSimulator({ tokens: [good], zones: ['contract.test'] });
  return {
    provider: provider(sim.url, good),
    zone: 'contract.test',
    wrongCredentials: provider(sim.url, token()),
    unknownZone: 'not-mine.test',
    authMessage: /Cloudflare refused the API token \(HTTP 403, 10000: Authentication error\): use an API token/,
    stop: () => sim.stop(),
  };
});

let sim: CloudflareSimulator;
const good = token();
before(async () => {
  sim = await startCloudflareSimulator({ tokens: [good], zones: ['example.test', 'big.test'] });
});
after(async () => sim?.stop());

test('an RRset becomes single records, unproxied, in one batch request; only what changed is sent', async () => {
  const p = provider(sim.url, good);
  const before = sim.requests.length;
  await p.applyChanges('example.test', [
    { action: 'create', record: { name: 'www', type: 'A', ttl: 300, values: ['192.0.2.1', '192.0.2.2'] } },
    { action: 'create', record: { name: 'www', type: 'TXT', ttl: 300, values: ['a;b'] } },
    { action: 'create', record: { name: 'mail', type: 'MX', ttl: 300, values: ['10 mx.example.test.'] } },
  ]);
  assert.deepEqual(sim.requests.slice(before).map((r) => r.method), ['GET', 'GET', 'POST'], 'zone id, records, one batch');
  const recs = sim.records('example.test');
  assert.deepEqual(recs.filter((r) => r.type === 'A').map((r) => [r.name, r.content, r.proxied]), [['www.example.test', '192.0.2.1', false], ['www.example.test', '192.0.2.2', false]]);
  assert.equal(recs.find((r) => r.type === 'TXT')?.content, '"a;b"');
  assert.deepEqual(recs.filter((r) => r.type === 'MX').map((r) => [r.content, r.priority]), [['mx.example.test', 10]]);
  const ids = recs.filter((r) => r.type === 'A').map((r) => r.id);
  // One value goes, one stays (its TTL patched), one comes.
  await p.applyChanges('example.test', [{ action: 'update', record: { name: 'www', type: 'A', ttl: 600, values: ['192.0.2.2', '192.0.2.3'] } }]);
  const after = sim.records('example.test').filter((r) => r.type === 'A');
  assert.deepEqual(after.map((r) => [r.content, r.ttl]).sort(), [['192.0.2.2', 600], ['192.0.2.3', 600]]);
  assert.ok(after.some((r) => r.id === ids[1]), 'the record that stayed kept its id');
});

test('batches hold at most batchSize operations, the operations of a name together', async () => {
  const p = provider(sim.url, good, { batchSize: 50 });
  const before = sim.requests.length;
  await p.applyChanges('example.test', Array.from({ length: 120 }, (_, i) => ({ action: 'create' as const, record: { name: `n${i}`, type: 'A' as const, ttl: 300, values: [`198.51.100.${i}`] } })));
  assert.equal(sim.requests.slice(before).filter((r) => r.path.endsWith('/batch')).length, 3);
  // The simulator refuses more than 200 (the Free plan's limit): the default batch size keeps under it.
  const q = provider(sim.url, good);
  await q.applyChanges('example.test', Array.from({ length: 250 }, (_, i) => ({ action: 'create' as const, record: { name: `m${i}`, type: 'TXT' as const, ttl: 300, values: [`v${i}`] } })));
  assert.equal((await q.listRecords('example.test')).filter((r) => /^m\d+$/.test(r.name)).length, 250);
  const tooBig = provider(sim.url, good, { batchSize: 300 });
  await assert.rejects(
    tooBig.applyChanges('example.test', Array.from({ length: 250 }, (_, i) => ({ action: 'create' as const, record: { name: `z${i}`, type: 'TXT' as const, ttl: 300, values: [`v${i}`] } }))),
    /cloudflare \(zone example\.test\): Cloudflare refused the change, nothing of this batch was changed: 81059: The batch holds 250 operations/,
  );
});

test('records are read page by page', async () => {
  const p = provider(sim.url, good);
  await p.applyChanges('big.test', Array.from({ length: 1100 }, (_, i) => ({ action: 'create' as const, record: { name: `h${i}`, type: 'A' as const, ttl: 300, values: [`10.1.${i >> 8}.${i & 255}`] } })));
  const before = sim.requests.length;
  assert.equal((await p.listRecords('big.test')).length, 1100);
  assert.equal(sim.requests.slice(before).filter((r) => r.path.includes('/dns_records?')).length, 3);
});

test('a malformed token: Cloudflare says so (6003/6111), and the fix is named', async () => {
  await assert.rejects(provider(sim.url, 'not a token').ping('example.test'), /Cloudflare refused the API token \(HTTP 400, 6003: Invalid request headers \(6111: Invalid format for Authorization header\)\): use an API token \(not the Global API Key\) with Zone:Read and DNS:Edit/);
});

test('429 Too Many Requests: waited out as Retry-After says', async () => {
  sim.setRateLimit([1, 3]);
  try {
    const p = provider(sim.url, good);
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await p.listRecords('example.test');
    assert.ok(Date.now() - t0 >= 900);
    assert.ok(sim.requests.some((r) => r.status === 429));
  } finally {
    sim.setRateLimit([300, 1200]);
  }
});
