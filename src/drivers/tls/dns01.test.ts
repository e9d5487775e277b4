// The DNS-01 solver against an in-memory DNS provider: answers sharing a TXT record (a name and
// its wildcard) are written as one record with both values, in one batch per zone, and taken
// away one by one; a name no configured zone holds is refused before anything is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DnsProvider, RecordChange, RecordSet } from '../dns/index.js';
import { Dns01Solver, authoritativeServers } from './dns01.js';

function memoryDns() {
  const records = new Map<string, RecordSet>();
  const batches: RecordChange[][] = [];
  const dns: DnsProvider = {
    kind: 'memory',
    listRecords: async () => [...records.values()],
    async applyChanges(_zone, changes) {
      batches.push(changes);
      for (const c of changes) {
        const key = `${c.record.name} ${c.record.type}`;
        if (c.action === 'delete') records.delete(key);
        else records.set(key, c.record);
      }
    },
    ping: async () => undefined,
  };
  return { dns, records, batches };
}

test('a name and its wildcard share one TXT record, written in one batch and removed value by value', async () => {
  const m = memoryDns();
  const solver = new Dns01Solver({ locate: async (name) => (name.endsWith('example.org') ? { dns: m.dns, zone: 'example.org' } : Promise.reject(new Error(`no domain holds ${name}`))) });
  const apex = { domain: 'cal.example.org', wildcard: false, token: 't1', value: 'value-one' };
  const wild = { domain: 'cal.example.org', wildcard: true, token: 't2', value: 'value-two' };
  await solver.present([apex, wild]);
  assert.equal(m.batches.length, 1);
  assert.deepEqual(m.records.get('_acme-challenge.cal TXT')?.values, ['value-one', 'value-two']);
  assert.equal(m.records.get('_acme-challenge.cal TXT')?.ttl, 60);
  await solver.cleanup([apex]);
  assert.deepEqual(m.records.get('_acme-challenge.cal TXT')?.values, ['value-two']);
  await solver.cleanup([wild]);
  assert.equal(m.records.has('_acme-challenge.cal TXT'), false);
  // Cleaning up again, or what was never placed, writes nothing
  const n = m.batches.length;
  await solver.cleanup([wild, { domain: 'x.other.net', wildcard: false, token: 't3', value: 'v3' }]);
  assert.equal(m.batches.length, n);
  assert.equal(solver.where(apex), 'TXT _acme-challenge.cal.example.org');
  assert.match(solver.hint(apex), /name servers/);
});

test('prepare refuses a name no DNS provider holds', async () => {
  const m = memoryDns();
  const solver = new Dns01Solver({ locate: async (name) => (name.endsWith('example.org') ? { dns: m.dns, zone: 'example.org' } : Promise.reject(new Error(`no domain holds ${name}`))) });
  await solver.prepare(['*.example.org', 'example.org']);
  await assert.rejects(solver.prepare(['example.org', 'x.other.net']), /no domain holds x\.other\.net/);
  await assert.rejects(solver.present([{ domain: 'x.other.net', wildcard: false, token: 't', value: 'v' }]), /no domain holds/);
  assert.equal(m.batches.length, 0);
});

test('a zone that does not hold the challenge name is an error', async () => {
  const m = memoryDns();
  const solver = new Dns01Solver({ locate: async () => ({ dns: m.dns, zone: 'other.org' }) });
  await assert.rejects(solver.present([{ domain: 'cal.example.org', wildcard: false, token: 't', value: 'v' }]), /outside zone other\.org/);
});

test("the zone's own servers: the provider's (ip, ip:port, [v6]:port, a host name resolved), else none found is said and not waited for", async () => {
  const m = memoryDns();
  const withServers = (servers: string[]) => ({ dns: { ...m.dns, nameServers: () => servers }, zone: 'example.org' });
  assert.deepEqual(await authoritativeServers(withServers(['192.0.2.53', '192.0.2.54:5353', '[2001:db8::53]:53'])), ['192.0.2.53', '192.0.2.54:5353', '[2001:db8::53]:53']);
  assert.ok((await authoritativeServers(withServers(['localhost:5300']))).some((s) => s === '127.0.0.1:5300' || s === '[::1]:5300'));
  // A zone not in public DNS and a provider that does not say: none, and the solver goes on, saying so
  assert.deepEqual(await authoritativeServers({ dns: m.dns, zone: 'freehold-no-such-zone.invalid' }), []);
  const lines: string[] = [];
  const solver = new Dns01Solver({ locate: async () => ({ dns: m.dns, zone: 'freehold-no-such-zone.invalid' }), verify: { servers: 'authoritative', timeoutMs: 1000 }, log: (l) => lines.push(l) });
  await solver.present([{ domain: 'cal.freehold-no-such-zone.invalid', wildcard: false, token: 't', value: 'v' }]);
  assert.match(lines.join('\n'), /name servers of freehold-no-such-zone\.invalid could not be found: not waiting/);
});
