// The domains service against real servers: installations' records on a Knot server through
// RFC 2136 (checked as a resolver sees them), drift made by hand with knsupdate and repaired, a
// wrong TSIG key refused at `add`; and octoDNS interop: a zone exported from Knot and imported
// into PowerDNS ends up with the same records.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openStore, type Store } from '../src/store/index.js';
import { Sealer } from '../src/lib/crypto.js';
import { run } from '../src/lib/spawn.js';
import { Domains } from '../src/services/domains.js';
import { UserError } from '../src/services/errors.js';
import { startKnot, startPowerDns, type Knot, type PowerDns } from './helpers/dns-servers.js';

let knot: Knot;
let pdns: PowerDns;
let dir: string;
let db: Store;
let domains: Domains;
before(async () => {
  [knot, pdns] = await Promise.all([startKnot({ zones: ['example.test', 'parent.test'] }), startPowerDns({ zones: ['example.test'] })]);
  dir = mkdtempSync(join(tmpdir(), 'freehold-dns-domains-'));
  db = await openStore(join(dir, 'freehold.db'));
  domains = new Domains(db, new Sealer(randomBytes(32)));
});
after(async () => {
  await db?.destroy();
  await Promise.all([knot?.stop(), pdns?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Changes the zone behind Freehold's back, as an operator would with knsupdate */
async function byHand(lines: string[]) {
  const script = [`server 127.0.0.1 ${knot.port}`, 'zone example.test.', `key hmac-sha256:${knot.keyName} ${knot.secret}`, ...lines, 'send', 'quit', ''].join('\n');
  await run(['knsupdate', '-v'], { stdin: script });
}

test('a wrong TSIG secret is refused at add, with the fix; nothing is kept', async () => {
  await assert.rejects(domains.add({ name: 'example.test', provider: 'rfc2136', ...knot.settings(), tsigSecret: randomBytes(32).toString('base64') }), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.equal(err.status, 502);
    assert.equal(err.message, "rfc2136 (zone example.test): the server refused the TSIG key 'freehold-test' (BADSIG): check the key name, algorithm (hmac-sha256) and secret");
    return true;
  });
  assert.deepEqual(await domains.list(), []);
});

test('installation records on Knot: made, seen by resolvers, switched to a CNAME, removed', async () => {
  const d = await domains.add({ name: 'example.test', provider: 'rfc2136', ...knot.settings() });
  assert.deepEqual(d.settings, { server: knot.server, tsigName: 'freehold-test', tsigAlgorithm: 'hmac-sha256' });
  assert.ok(!JSON.stringify(await domains.list()).includes(knot.secret));

  const r = await domains.ensureInstallationRecords('example.test', 'cal', { addresses: ['192.0.2.10', '2001:db8::10'] });
  assert.equal(r.fqdn, 'cal.example.test');
  assert.deepEqual(await knot.query('cal.example.test', 'A'), ['192.0.2.10']);
  assert.deepEqual(await knot.query('cal.example.test', 'AAAA'), ['2001:db8::10']);
  const o = await domains.observeInstallationRecords('example.test', 'cal');
  assert.deepEqual(o.drift, []);
  assert.deepEqual(o.actual.map((x) => x.type), ['A', 'AAAA']);

  await domains.ensureInstallationRecords('example.test', 'cal', { cname: 'edge.example.net' });
  assert.deepEqual(await knot.query('cal.example.test', 'CNAME'), ['edge.example.net.']);
  assert.deepEqual(await knot.query('cal.example.test', 'AAAA'), ['edge.example.net.'], 'only the CNAME is left (a resolver follows it)');

  await domains.removeInstallationRecords('example.test', 'cal');
  assert.deepEqual(await knot.query('cal.example.test', 'A'), []);
  assert.deepEqual(await knot.query('cal.example.test', 'CNAME'), []);
});

test('drift on Knot: a record deleted and one changed by hand are reported, then repaired', async () => {
  await domains.ensureInstallationRecords('example.test', 'wiki', { addresses: ['192.0.2.20'] });
  await domains.ensureInstallationRecords('example.test', 'pad', { addresses: ['192.0.2.21'] });
  await byHand(['update delete wiki.example.test. A', 'update delete pad.example.test. A', 'update add pad.example.test. 300 A 203.0.113.66']);
  const { drift } = await domains.check('example.test');
  assert.deepEqual(drift.map((x) => `${x.fqdn} ${x.type} ${x.problem} ${x.have?.values.join(',') ?? '-'}`), ['pad.example.test A changed 203.0.113.66', 'wiki.example.test A missing -']);
  const fixed = await domains.check('example.test', { repair: true });
  assert.equal(fixed.repaired, 2);
  assert.deepEqual(await knot.query('wiki.example.test', 'A'), ['192.0.2.20']);
  assert.deepEqual(await knot.query('pad.example.test', 'A'), ['192.0.2.21']);
  assert.deepEqual((await domains.check('example.test')).drift, []);
});

test('a domain below its zone on Knot', async () => {
  await domains.add({ name: 'apps.parent.test', zone: 'parent.test', provider: 'rfc2136', ...knot.settings() });
  await domains.ensureInstallationRecords('apps.parent.test', 'cal', { addresses: ['192.0.2.30'] });
  assert.deepEqual(await knot.query('cal.apps.parent.test', 'A'), ['192.0.2.30']);
  assert.deepEqual((await domains.records('apps.parent.test')).find((r) => r.type === 'A' && r.name === 'cal.apps')?.values, ['192.0.2.30']);
});

test('octoDNS: a zone exported from Knot and imported into PowerDNS has the same records there', async () => {
  await domains.add({ name: 'copy.example.test', zone: 'example.test', provider: 'powerdns', ...pdns.settings(), verify: true }).catch((e) => assert.fail(e));
  await byHand([
    'update add example.test. 3600 TXT "v=spf1 mx -all"',
    'update add example.test. 3600 MX 10 mail.example.test.',
    'update add _dmarc.example.test. 3600 TXT "v=DMARC1; p=reject"',
    'update add www.example.test. 300 CNAME wiki.example.test.',
    'update add _sip._tcp.example.test. 300 SRV 10 5 5060 sip.example.test.',
    'update add example.test. 300 CAA 0 issue "letsencrypt.org"',
  ]);
  const yaml = await domains.exportZone('example.test');
  assert.match(yaml, /^---\n'':\n/);
  assert.match(yaml, /_dmarc:\n {2}ttl: 3600\n {2}type: TXT\n {2}value: v=DMARC1\\; p=reject\n/);

  const dry = await domains.importZone('copy.example.test', yaml, { dryRun: true });
  assert.equal(dry.zone, 'example.test');
  assert.ok(dry.changes.length >= 8, JSON.stringify(dry.changes));
  assert.deepEqual(await domains.records('copy.example.test'), [], 'dry run: PowerDNS unchanged');

  const done = await domains.importZone('copy.example.test', yaml);
  assert.equal(done.applied, true);
  const fromKnot = await domains.records('example.test');
  const fromPdns = await domains.records('copy.example.test');
  assert.deepEqual(fromPdns, fromKnot);
  assert.equal(await domains.exportZone('copy.example.test'), yaml, 'exported from PowerDNS: the same file');
  assert.deepEqual((await domains.importZone('copy.example.test', yaml)).changes, [], 'imported again: nothing to do');
});

test('a domain changed: new provider settings are checked first, the TTL reaches the records made, the provider stays while records are there', async () => {
  await domains.add({ name: 'parent.test', provider: 'rfc2136', ...knot.settings() });
  await domains.ensureInstallationRecords('parent.test', 'web', { addresses: ['192.0.2.7'] });
  const ttlOf = async () => (await domains.records('parent.test')).find((r) => r.name === 'web' && r.type === 'A')?.ttl;
  assert.equal(await ttlOf(), 300);

  await assert.rejects(domains.update('parent.test', { provider: 'rfc2136', ...knot.settings(), tsigSecret: randomBytes(32).toString('base64') }), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.equal(err.status, 502);
    assert.match(err.message, /refused the TSIG key/);
    return true;
  });
  await assert.rejects(domains.update('parent.test', { provider: 'powerdns', url: pdns.url, apiKey: pdns.apiKey }), (err: unknown) => err instanceof UserError && err.status === 409 && /records of web at rfc2136/.test(err.message));
  await assert.rejects(domains.update('parent.test', { zone: 'test' }), (err: unknown) => err instanceof UserError && err.status === 400 && /zone cannot change/.test(err.message));
  await assert.rejects(domains.update('parent.test', { ttl: 0 }), (err: unknown) => err instanceof UserError && /ttl must be 1-604800/.test(err.message));
  const unchanged = await domains.get('parent.test');
  assert.equal(unchanged.ttl, 300);
  assert.equal(unchanged.provider, 'rfc2136');

  const changed = await domains.update('parent.test', { ttl: 60, challenge: 'dns-01' });
  assert.equal(changed.ttl, 60);
  assert.equal(changed.challenge, 'dns-01');
  assert.equal(await ttlOf(), 60, 'the record already made has the new TTL');
  assert.deepEqual((await domains.observeInstallationRecords('parent.test', 'web')).drift, [], 'and it is what Freehold keeps');

  // The provider's settings given again whole (as after a new TSIG secret), checked and kept
  const again = await domains.update('parent.test', { provider: 'rfc2136', ...knot.settings() });
  assert.deepEqual(again.settings, { server: knot.server, tsigName: 'freehold-test', tsigAlgorithm: 'hmac-sha256' });
  assert.equal(again.ttl, 60);

  await domains.removeInstallationRecords('parent.test', 'web');
  await domains.remove('parent.test');
});
