// The domains service with an in-memory DNS provider registered for the test: input checks with
// field paths, the provider checked before a domain is kept, secrets sealed and never shown or
// leaked through errors, installation records (A/AAAA, CNAME, a domain below its zone), drift
// and repair, octoDNS export/import. The real providers are tested in test/dns-*.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openStore, type Store } from '../store/index.js';
import { Sealer } from '../lib/crypto.js';
import { DnsError, checkChanges, registerDnsProvider, type DnsProvider, type RecordSet } from '../drivers/dns/index.js';
import { Domains, DnsProviderError } from './domains.js';
import { UserError } from './errors.js';

/** Zones of the memory provider: zone -> "name type" -> record set */
const zones = new Map<string, Map<string, RecordSet>>();
const SECRET = 'memory-secret-' + randomBytes(6).toString('hex');

registerDnsProvider<{ secret: string; failWith?: string }>('memory', {
  description: 'in memory (tests)',
  parse(i, p) {
    if (typeof i.secret !== 'string' || !i.secret) p.push({ path: 'secret', message: 'is required for memory' });
    return { secret: String(i.secret ?? ''), ...(typeof i.failWith === 'string' && { failWith: i.failWith }) };
  },
  view: () => ({}),
  create(c): DnsProvider {
    const zone = (z: string) => {
      if (c.secret !== SECRET) throw new DnsError('memory', z, 'auth', 'wrong secret: check it');
      if (c.failWith) throw new Error(c.failWith);
      const found = zones.get(z);
      if (!found) throw new DnsError('memory', z, 'zone', `no zone ${z}`);
      return found;
    };
    return {
      kind: 'memory',
      listRecords: async (z) => [...zone(z).values()].map((r) => ({ ...r, values: [...r.values] })).sort((a, b) => `${a.name} ${a.type}`.localeCompare(`${b.name} ${b.type}`)),
      async applyChanges(z, changes) {
        const records = zone(z);
        const next = new Map(records);
        for (const ch of checkChanges(changes, 'memory', z)) {
          if (ch.action === 'delete') next.delete(`${ch.record.name} ${ch.record.type}`);
          else next.set(`${ch.record.name} ${ch.record.type}`, ch.record);
        }
        // Like a real server: a CNAME stands alone at its name.
        for (const r of next.values()) {
          if (r.type === 'CNAME' && [...next.values()].some((o) => o.name === r.name && o.type !== 'CNAME')) throw new DnsError('memory', z, 'invalid', `CNAME conflict at ${r.name}`);
        }
        records.clear();
        for (const [k, v] of next) records.set(k, v);
      },
      ping: async (z) => void zone(z),
    };
  },
});

let dir: string;
let db: Store;
let domains: Domains;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'freehold-domains-'));
  db = await openStore(join(dir, 'freehold.db'));
  domains = new Domains(db, new Sealer(randomBytes(32)));
  zones.set('example.org', new Map());
  zones.set('example.net', new Map());
});
after(async () => {
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const fails = (status: number, paths?: string[], message?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof UserError, String(err));
  assert.equal(err.status, status, err.message);
  if (paths) assert.deepEqual((err.details ?? []).map((d) => d.path).sort(), paths);
  if (message) assert.match(err.message, message);
  return true;
};

test('add checks every field and says which are wrong', async () => {
  await assert.rejects(domains.add({ name: 'not a domain', provider: 'nope', ttl: 0, challenge: 'tls-alpn-01' }), fails(400, ['challenge', 'name', 'provider', 'ttl']));
  await assert.rejects(domains.add({ name: 'example.org', provider: 'memory', zone: 'other.org' }), fails(400, ['secret', 'zone']));
  await assert.rejects(domains.add({ name: 'example.org', provider: 'rfc2136', server: 'a b', tsigSecret: '!!' }), fails(400, ['server', 'tsigName', 'tsigSecret']));
});

test('the provider is checked before the domain is kept; a refusal keeps nothing', async () => {
  await assert.rejects(domains.add({ name: 'example.org', provider: 'memory', secret: 'wrong' }), fails(502, ['provider'], /^memory \(zone example\.org\): wrong secret: check it$/));
  await assert.rejects(domains.add({ name: 'missing.org', provider: 'memory', secret: SECRET }), fails(502, undefined, /no zone missing\.org/));
  assert.deepEqual(await domains.list(), []);
  const d = await domains.add({ name: 'Example.ORG.', provider: 'memory', secret: SECRET });
  assert.deepEqual({ ...d, createdAt: '' }, { name: 'example.org', zone: 'example.org', provider: 'memory', ttl: 300, challenge: 'http-01', settings: {}, installations: [], createdAt: '' });
  await assert.rejects(domains.add({ name: 'example.org', provider: 'memory', secret: SECRET }), fails(409, ['name']));
  // Without verification it is kept as given (the zone need not answer yet).
  await domains.add({ name: 'later.org', provider: 'memory', secret: 'whatever', verify: false });
  await domains.remove('later.org');
});

test('the secret is sealed in the store and shown nowhere, not even in an error', async () => {
  const rows = await db.selectFrom('domains').selectAll().execute();
  assert.ok(rows.length > 0);
  assert.ok(!JSON.stringify(rows).includes(SECRET), 'sealed');
  assert.ok(!JSON.stringify(await domains.list()).includes(SECRET));
  await domains.add({ name: 'leaky.org', provider: 'memory', secret: SECRET, failWith: `boom, the secret is ${SECRET}`, verify: false });
  await assert.rejects(domains.records('leaky.org'), (err: unknown) => {
    assert.ok(err instanceof DnsProviderError);
    assert.equal(err.message, 'memory: boom, the secret is ***');
    return true;
  });
  await domains.remove('leaky.org');
});

test("an installation's records: A and AAAA, then a CNAME instead, then gone", async () => {
  const zone = zones.get('example.org')!;
  zone.set('cal TXT', { name: 'cal', type: 'TXT', ttl: 300, values: ['not ours'] });
  const r = await domains.ensureInstallationRecords('example.org', 'cal', { addresses: ['192.0.2.10', '2001:db8:0::10', '192.0.2.10'] });
  assert.equal(r.fqdn, 'cal.example.org');
  assert.deepEqual(r.changes.map((c) => `${c.action} ${c.record.type}`), ['create A', 'create AAAA']);
  assert.deepEqual(zone.get('cal A'), { name: 'cal', type: 'A', ttl: 300, values: ['192.0.2.10'] });
  assert.deepEqual(zone.get('cal AAAA')?.values, ['2001:db8::10']);
  assert.deepEqual((await domains.ensureInstallationRecords('example.org', 'cal', { addresses: ['192.0.2.10', '2001:db8::10'] })).changes, [], 'again: nothing to do');
  assert.deepEqual((await domains.get('example.org')).installations, ['cal']);

  await domains.ensureInstallationRecords('example.org', 'cal', { addresses: ['192.0.2.11'], ttl: 60 });
  assert.deepEqual(zone.get('cal A'), { name: 'cal', type: 'A', ttl: 60, values: ['192.0.2.11'] });
  assert.equal(zone.get('cal AAAA'), undefined, 'no IPv6 address any more: AAAA removed');

  // TXT at the name stays; a CNAME cannot stand beside it.
  await assert.rejects(domains.ensureInstallationRecords('example.org', 'cal', { cname: 'host.example.net' }), fails(409, ['cname'], /^cal\.example\.org has TXT records: a CNAME cannot stand beside them/));
  zone.delete('cal TXT');
  const c = await domains.ensureInstallationRecords('example.org', 'cal', { cname: 'Host.Example.NET.' });
  assert.deepEqual(c.changes.map((x) => `${x.action} ${x.record.type}`), ['delete A', 'create CNAME']);
  assert.deepEqual(zone.get('cal CNAME')?.values, ['host.example.net.']);

  const gone = await domains.removeInstallationRecords('example.org', 'cal');
  assert.deepEqual(gone.changes.map((x) => `${x.action} ${x.record.type}`), ['delete CNAME']);
  assert.deepEqual([...zone.keys()].filter((k) => k.startsWith('cal ')), []);
  assert.deepEqual((await domains.get('example.org')).installations, []);
});

test('bad targets and names are refused before anything changes', async () => {
  await assert.rejects(domains.ensureInstallationRecords('example.org', 'Bad_Name', { addresses: ['192.0.2.1'] }), fails(400, ['installation']));
  await assert.rejects(domains.ensureInstallationRecords('example.org', 'x', { addresses: [] }), fails(400, ['addresses']));
  await assert.rejects(domains.ensureInstallationRecords('example.org', 'x', { addresses: ['999.1.1.1'] }), fails(400, ['addresses'], /999\.1\.1\.1/));
  await assert.rejects(domains.ensureInstallationRecords('example.org', 'x', { cname: 'not a host' }), fails(400, ['cname']));
  await assert.rejects(domains.ensureInstallationRecords('nowhere.org', 'x', { addresses: ['192.0.2.1'] }), fails(404));
});

test('drift: a record deleted, changed or added by hand is reported, and repaired in one batch', async () => {
  const zone = zones.get('example.org')!;
  await domains.ensureInstallationRecords('example.org', 'wiki', { addresses: ['192.0.2.20'] });
  await domains.ensureInstallationRecords('example.org', 'pad', { addresses: ['192.0.2.21', '2001:db8::21'] });
  await domains.ensureInstallationRecords('example.org', 'mail', { cname: 'mx.example.net' });
  assert.deepEqual((await domains.check('example.org')).drift, []);
  const o = await domains.observeInstallationRecords('example.org', 'wiki');
  assert.deepEqual(o.drift, []);
  assert.deepEqual(o.actual, o.desired);

  zone.delete('wiki A');
  zone.set('pad AAAA', { name: 'pad', type: 'AAAA', ttl: 300, values: ['2001:db8::99'] });
  zone.set('mail A', { name: 'mail', type: 'A', ttl: 300, values: ['192.0.2.66'] });
  zone.delete('mail CNAME');
  const { drift } = await domains.check('example.org');
  assert.deepEqual(
    drift.map((d) => `${d.installation} ${d.fqdn} ${d.type} ${d.problem}`),
    ['mail mail.example.org A unexpected', 'mail mail.example.org CNAME missing', 'pad pad.example.org AAAA changed', 'wiki wiki.example.org A missing'],
  );
  assert.deepEqual(drift.find((d) => d.problem === 'changed')?.have?.values, ['2001:db8::99']);
  const repaired = await domains.check('example.org', { repair: true });
  assert.equal(repaired.repaired, 4);
  assert.deepEqual((await domains.check('example.org')).drift, []);
  assert.deepEqual(zone.get('pad AAAA')?.values, ['2001:db8::21']);
  assert.equal(zone.get('mail A'), undefined);

  await assert.rejects(domains.remove('example.org'), fails(409, undefined, /has the records of mail, pad, wiki/));
});

test('a domain below its zone: records named within the zone', async () => {
  await domains.add({ name: 'apps.example.net', zone: 'example.net', provider: 'memory', secret: SECRET, ttl: 120 });
  const r = await domains.ensureInstallationRecords('apps.example.net', 'cal', { addresses: ['192.0.2.30'] });
  assert.equal(r.fqdn, 'cal.apps.example.net');
  assert.deepEqual(zones.get('example.net')!.get('cal.apps A'), { name: 'cal.apps', type: 'A', ttl: 120, values: ['192.0.2.30'] });
  await domains.removeInstallationRecords('apps.example.net', 'cal');
  await domains.remove('apps.example.net');
});

test('octoDNS: export, then import into another zone (dry run first), the same records', async () => {
  zones.set('copy.org', new Map());
  await domains.add({ name: 'copy.org', provider: 'memory', secret: SECRET });
  zones.get('example.org')!.set(' TXT', { name: '', type: 'TXT', ttl: 3600, values: ['a;b', 'v=spf1 -all'] });
  zones.get('example.org')!.set('mx MX', { name: 'mx', type: 'MX', ttl: 300, values: ['10 mail.example.org.', '20 backup.example.org.'].sort() });
  const yaml = await domains.exportZone('example.org');
  assert.match(yaml, /^---\n'':\n {2}ttl: 3600\n {2}type: TXT\n {2}values:\n {4}- a\\;b\n {4}- v=spf1 -all\n/);
  assert.match(yaml, /mx:\n {2}ttl: 300\n {2}type: MX\n {2}values:\n {4}- exchange: mail\.example\.org\.\n {6}preference: 10\n {4}- exchange: backup\.example\.org\.\n {6}preference: 20\n/);
  const dry = await domains.importZone('copy.org', yaml, { dryRun: true });
  assert.equal(dry.applied, false);
  assert.ok(dry.changes.length > 0 && dry.changes.every((c) => c.action === 'create'));
  assert.equal(zones.get('copy.org')!.size, 0, 'dry run: nothing changed');
  await domains.importZone('copy.org', yaml);
  assert.deepEqual(await domains.records('copy.org'), await domains.records('example.org'));
  assert.deepEqual((await domains.importZone('copy.org', yaml)).changes, [], 'again: nothing to do');
  // prune deletes what the file does not have
  zones.get('copy.org')!.set('extra A', { name: 'extra', type: 'A', ttl: 300, values: ['192.0.2.1'] });
  assert.deepEqual((await domains.importZone('copy.org', yaml, { prune: true })).changes.map((c) => `${c.action} ${c.record.name}`), ['delete extra']);
  await assert.rejects(domains.importZone('copy.org', 'www:\n  type: A\n  value: nope\n'), fails(400, ['www.values.0']));
  await assert.rejects(domains.importZone('copy.org', ': : :\n- ['), fails(400, ['(file)']));
  const skipped = await domains.importZone('copy.org', "'':\n  - type: NS\n    values: [ns1.example.org.]\n", { dryRun: true });
  assert.deepEqual(skipped.skipped, [{ name: '', type: 'NS' }]);
});
