// What every DNS driver shares: canonical values, TXT quoting, names, batch checks, zone-file
// lines, server addresses, octoDNS zone files. The drivers themselves: test/dns-*.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsError, canonicalValue, checkChanges, diffRecords, fqdn, quoteTxt, relativeName, unquoteTxt, validName, type RecordSet } from './records.js';
import { parseServer, parseZoneLines } from './rfc2136.js';
import { fromOctodnsYaml, toOctodnsYaml } from './octodns.js';
import { nextLink } from './desec.js';

test('canonical values per type', () => {
  const ok = (type: Parameters<typeof canonicalValue>[0], v: string) => (canonicalValue(type, v) as { value: string }).value;
  assert.equal(ok('AAAA', '2001:0DB8:0:0:0:0:0:0001'), '2001:db8::1');
  assert.equal(ok('CNAME', 'Host.Example.NET'), 'host.example.net.');
  assert.equal(ok('MX', '010  Mail.Example.org'), '10 mail.example.org.');
  assert.equal(ok('SRV', '10 5 443 cal.example.org.'), '10 5 443 cal.example.org.');
  assert.equal(ok('CAA', '0 ISSUE "letsencrypt.org"'), '0 issue "letsencrypt.org"');
  assert.equal(ok('TXT', ' spaces kept '), ' spaces kept ');
  for (const [type, v] of [['A', '1.2.3'], ['AAAA', '1.2.3.4'], ['CNAME', 'a b'], ['MX', 'mail.example.org'], ['TXT', '']] as const) {
    assert.ok('problem' in canonicalValue(type, v), `${type} ${v}`);
  }
});

test('TXT: quoted in 255-byte strings with escapes, and back', () => {
  for (const text of ['v=spf1 -all', 'semi;colon "quoted" back\\slash', 'ünïcødé ✓', 'x'.repeat(600)]) {
    const q = quoteTxt(text);
    assert.equal(unquoteTxt(q), text, q);
  }
  assert.equal(quoteTxt('x'.repeat(300)).split('" "').length, 2);
  assert.equal(unquoteTxt('"hello world" "x;y"'), 'hello worldx;y');
  assert.equal(unquoteTxt('"caf\\195\\169"'), 'café');
  assert.equal(unquoteTxt('bare'), 'bare');
});

test('names relative to the zone', () => {
  assert.equal(fqdn('', 'Example.org.'), 'example.org.');
  assert.equal(fqdn('www', 'example.org'), 'www.example.org.');
  assert.equal(relativeName('WWW.example.org.', 'example.org'), 'www');
  assert.equal(relativeName('example.org.', 'example.org'), '');
  assert.equal(relativeName('www.example.net.', 'example.org'), undefined);
  assert.ok(validName('_acme-challenge.cal') && validName('*.apps') && validName(''));
  assert.ok(!validName('a..b') && !validName('a.*') && !validName('-x') && !validName('a b'));
});

test('a batch is checked whole: every problem with its place, nothing half-valid', () => {
  assert.throws(
    () => checkChanges([{ action: 'create', record: { name: 'x', type: 'A', ttl: 300, values: ['1.2.3.4', 'nope'] } }, { action: 'move' as any, record: { name: 'y', type: 'TXT', ttl: 300, values: ['t'] } }], 'p', 'example.org'),
    (err: unknown) => err instanceof DnsError && err.code === 'invalid' && /0\.values\.1: 'nope' is not an IPv4 address \(A record x\); 1\.action: must be create, update or delete/.test(err.message),
  );
  const [c] = checkChanges([{ action: 'create', record: { name: '@', type: 'a' as any, ttl: 300, values: ['192.0.2.2', '192.0.2.1', '192.0.2.2'] } }], 'p', 'example.org');
  assert.deepEqual(c.record, { name: '', type: 'A', ttl: 300, values: ['192.0.2.1', '192.0.2.2'] });
});

test('diff: creates, updates, and with prune deletes', () => {
  const a: RecordSet = { name: 'a', type: 'A', ttl: 300, values: ['192.0.2.1'] };
  const b: RecordSet = { name: 'b', type: 'TXT', ttl: 300, values: ['x'] };
  assert.deepEqual(diffRecords([a], [{ ...a, ttl: 60 }, b]).map((c) => `${c.action} ${c.record.name}`), ['update a', 'create b']);
  assert.deepEqual(diffRecords([a, b], [a], { prune: true }).map((c) => `${c.action} ${c.record.name}`), ['delete b']);
  assert.deepEqual(diffRecords([a, b], [a]), []);
});

test('rfc2136: server addresses and zone-file lines', () => {
  assert.deepEqual(parseServer('127.0.0.1'), { host: '127.0.0.1', port: 53 });
  assert.deepEqual(parseServer('ns1.example.org:5353'), { host: 'ns1.example.org', port: 5353 });
  assert.deepEqual(parseServer('[2001:db8::53]:5300'), { host: '2001:db8::53', port: 5300 });
  assert.deepEqual(parseServer('2001:db8::53'), { host: '2001:db8::53', port: 53 });
  assert.equal(parseServer('host:99999'), undefined);
  assert.equal(parseServer('a b'), undefined);
  const out = [
    'example.org.\t300\tIN\tSOA\tns1.example.org. hostmaster.example.org. 2 3600 600 86400 300',
    'example.org.\t300\tIN\tNS\tns1.example.org.',
    'www.example.org.\t300\tIN\tA\t192.0.2.2',
    'www.example.org.\t300\tIN\tA\t192.0.2.1',
    't.example.org.\t60\tIN\tTXT\t"hello world" "x;y"',
    'alias.example.org.\t60\tIN\tCNAME\tWWW.example.org.',
  ].join('\n');
  assert.deepEqual(parseZoneLines(out, 'example.org'), [
    { name: 'alias', type: 'CNAME', ttl: 60, values: ['www.example.org.'] },
    { name: 't', type: 'TXT', ttl: 60, values: ['hello worldx;y'] },
    { name: 'www', type: 'A', ttl: 300, values: ['192.0.2.1', '192.0.2.2'] },
  ]);
});

test('deSEC Link header: the next page', () => {
  assert.equal(nextLink('<https://desec.io/api/v1/domains/x/rrsets/?cursor=>; rel="first", <https://desec.io/api/v1/domains/x/rrsets/?cursor=abc>; rel="next"'), 'https://desec.io/api/v1/domains/x/rrsets/?cursor=abc');
  assert.equal(nextLink('<https://desec.io/x?cursor=>; rel="first"'), undefined);
  assert.equal(nextLink(null), undefined);
});

test('octoDNS zone files: written in its format and read back the same', () => {
  const records: RecordSet[] = [
    { name: '', type: 'TXT', ttl: 3600, values: ['a;b', 'v=spf1 -all'] },
    { name: '', type: 'MX', ttl: 300, values: ['10 mx.example.org.'] },
    { name: 'www', type: 'CNAME', ttl: 300, values: ['example.org.'] },
    { name: 'h10', type: 'A', ttl: 60, values: ['192.0.2.10'] },
    { name: 'h9', type: 'A', ttl: 60, values: ['192.0.2.9'] },
    { name: '_sip._tcp', type: 'SRV', ttl: 300, values: ['10 5 5060 sip.example.org.'] },
    { name: '', type: 'CAA', ttl: 300, values: ['0 issue "letsencrypt.org"'] },
  ];
  const yaml = toOctodnsYaml(records);
  assert.deepEqual(Object.keys(Object.fromEntries(yaml.split('\n').filter((l) => /^\S.*:$/.test(l)).map((l) => [l, 1]))), ["'':", '_sip._tcp:', 'h9:', 'h10:', 'www:'], 'keys in natural order');
  const p: { path: string; message: string }[] = [];
  const back = fromOctodnsYaml(yaml, p);
  assert.deepEqual(p, []);
  assert.deepEqual(back.records, fromOctodnsYaml(toOctodnsYaml(back.records), []).records);
  assert.deepEqual(
    back.records.map((r) => `${r.name}/${r.type}/${r.ttl}/${r.values.join(',')}`).sort(),
    records.map((r) => `${r.name}/${r.type}/${r.ttl}/${r.values.join(',')}`).sort(),
  );
  // octoDNS's defaults and forms: no ttl is 3600; one record or a list
  const q: { path: string; message: string }[] = [];
  const doc = fromOctodnsYaml("'':\n  - type: A\n    value: 192.0.2.1\n  - type: NS\n    values: [a.example.]\nwww:\n  type: CNAME\n  value: example.org.\n", q);
  assert.deepEqual(q, []);
  assert.deepEqual(doc.records, [{ name: '', type: 'A', ttl: 3600, values: ['192.0.2.1'] }, { name: 'www', type: 'CNAME', ttl: 3600, values: ['example.org.'] }]);
  assert.deepEqual(doc.skipped, [{ name: '', type: 'NS' }]);
});
