// The rfc2136 DNS provider against a real Knot server (knotd on a free loopback port, a TSIG key
// allowed to update and transfer): the provider contract, then what is particular to RFC 2136:
// BADSIG/BADKEY/NOTAUTH explained, an unreachable server, a batch larger than one UPDATE message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createDnsProvider, dnsProviderKind, DnsError, type DnsProvider } from '../src/drivers/dns/index.js';
import { dnsContract } from './helpers/dns-contract.js';
import { startKnot, type Knot } from './helpers/dns-servers.js';
import { freePort } from '../src/lib/net.js';

/** The provider as the service makes it: the configuration parsed (defaults: port, timeout) */
const provider = (knot: Knot, over: Record<string, unknown> = {}): DnsProvider => {
  const p: { path: string; message: string }[] = [];
  const config = dnsProviderKind('rfc2136')!.parse({ ...knot.settings(), ...over }, p);
  assert.deepEqual(p, []);
  return createDnsProvider('rfc2136', config);
};

dnsContract('rfc2136 (Knot)', async () => {
  const knot = await startKnot({ zones: ['contract.test'] });
  return {
    provider: provider(knot),
    zone: 'contract.test',
    wrongCredentials: provider(knot, { tsigSecret: randomBytes(32).toString('base64') }),
    unknownZone: 'not-served.test',
    authMessage: /the server refused the TSIG key 'freehold-test' \(BADSIG\): check the key name, algorithm \(hmac-sha256\) and secret/,
    stop: () => knot.stop(),
  };
});

let knot: Knot;
before(async () => {
  knot = await startKnot({ zones: ['example.test'] });
});
after(async () => knot?.stop());

const code = (c: DnsError['code'], message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof DnsError, String(err));
  assert.equal(err.code, c, err.message);
  assert.match(err.message, message);
  return true;
};

test('a key name the server does not know: BADKEY, explained', async () => {
  await assert.rejects(provider(knot, { tsigName: 'no-such-key' }).ping('example.test'), code('auth', /^rfc2136 \(zone example\.test\): the server refused the TSIG key 'no-such-key' \(BADKEY\): check the key name/));
});

test('a zone the server does not serve: NOTAUTH, explained', async () => {
  await assert.rejects(
    provider(knot).applyChanges('other.test', [{ action: 'create', record: { name: 'www', type: 'A', ttl: 300, values: ['192.0.2.1'] } }]),
    code('zone', /is not authoritative for other\.test, or does not let key 'freehold-test' update it \(NOTAUTH\)/),
  );
});

test('a server that does not listen: unreachable, with the address', async () => {
  const port = await freePort();
  await assert.rejects(provider(knot, { server: `127.0.0.1:${port}`, timeoutSeconds: 2 }).ping('example.test'), code('unreachable', new RegExp(`cannot reach the DNS server at 127\\.0\\.0\\.1:${port}`)));
});

test('the records are served to resolvers as they were set', async () => {
  const p = provider(knot);
  await p.applyChanges('example.test', [
    { action: 'create', record: { name: 'cal', type: 'A', ttl: 120, values: ['192.0.2.44'] } },
    { action: 'create', record: { name: 'cal', type: 'TXT', ttl: 120, values: ['hello; world'] } },
  ]);
  assert.deepEqual(await knot.query('cal.example.test', 'A'), ['192.0.2.44']);
  assert.deepEqual(await knot.query('cal.example.test', 'TXT'), ['"hello; world"']);
});

test('a batch larger than one UPDATE message is split, each name whole in one message', async () => {
  const p = provider(knot);
  const n = 1500;
  const batch = Array.from({ length: n }, (_, i) => ({
    action: 'create' as const,
    record: { name: `bulk-${i}.some-longer-label-to-fill-messages`, type: 'TXT' as const, ttl: 300, values: [`value number ${i} ${'x'.repeat(40)}`] },
  }));
  await p.applyChanges('example.test', batch);
  const got = (await p.listRecords('example.test')).filter((r) => r.name.startsWith('bulk-'));
  assert.equal(got.length, n);
  await p.applyChanges('example.test', batch.map((c) => ({ action: 'delete' as const, record: c.record })));
  assert.equal((await p.listRecords('example.test')).filter((r) => r.name.startsWith('bulk-')).length, 0);
});
