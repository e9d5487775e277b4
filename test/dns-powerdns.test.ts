// The powerdns DNS provider against a real PowerDNS Authoritative server (pdns_server with the
// gsqlite3 backend and its HTTP API on free loopback ports): the provider contract, and that
// PowerDNS serves what the API was given.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDnsProvider, dnsProviderKind, type DnsProvider } from '../src/drivers/dns/index.js';
import { run } from '../src/lib/spawn.js';
import { freePort } from '../src/lib/net.js';
import { dnsContract } from './helpers/dns-contract.js';
import { startPowerDns, type PowerDns } from './helpers/dns-servers.js';

const provider = (settings: Record<string, unknown>): DnsProvider => {
  const p: { path: string; message: string }[] = [];
  const config = dnsProviderKind('powerdns')!.parse(settings, p);
  assert.deepEqual(p, []);
  return createDnsProvider('powerdns', config);
};

dnsContract('powerdns (pdns_server, gsqlite3)', async () => {
  const pdns = await startPowerDns({ zones: ['contract.test'] });
  return {
    provider: provider(pdns.settings()),
    zone: 'contract.test',
    wrongCredentials: provider({ ...pdns.settings(), apiKey: 'not-the-key' }),
    unknownZone: 'not-served.test',
    authMessage: /the PowerDNS API refused the API key \(HTTP 401\)/,
    stop: () => pdns.stop(),
  };
});

let pdns: PowerDns;
before(async () => {
  pdns = await startPowerDns({ zones: ['example.test'] });
});
after(async () => pdns?.stop());

test('PowerDNS answers queries with the records set through its API', async () => {
  const p = provider(pdns.settings());
  await p.applyChanges('example.test', [
    { action: 'create', record: { name: 'cal', type: 'A', ttl: 120, values: ['192.0.2.44'] } },
    { action: 'create', record: { name: 'cal', type: 'TXT', ttl: 120, values: ['hello; world'] } },
  ]);
  const ask = async (type: string) => (await run(['kdig', '@127.0.0.1', '-p', String(pdns.dnsPort), '+short', 'cal.example.test', type])).stdout.trim();
  assert.equal(await ask('A'), '192.0.2.44');
  assert.equal(await ask('TXT'), '"hello; world"');
});

test('an unreachable API: a clear error with its address', async () => {
  const port = await freePort();
  await assert.rejects(provider({ url: `http://127.0.0.1:${port}`, apiKey: 'x' }).ping('example.test'), new RegExp(`powerdns \\(zone example\\.test\\): cannot reach http://127\\.0\\.0\\.1:${port}/api/v1/servers/localhost/zones/example\\.test\\. \\(ECONNREFUSED\\)`));
});
