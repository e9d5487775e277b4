/**
 * The contract every DNS provider passes (drivers/dns): run from each implementation's test file
 * against its real server or its simulator. Record sets of A, AAAA, CNAME and TXT are created,
 * listed back, updated, deleted; a batch applied twice changes nothing the second time; a batch of
 * 100 changes; and the bad inputs (wrong credentials, a zone the provider does not serve, invalid
 * records, a CNAME beside other data) fail with a DnsError that names the provider, the zone and
 * the fix, leaving the zone as it was.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DnsError, type DnsProvider, type RecordChange, type RecordSet } from '../../src/drivers/dns/index.js';

export interface ContractTarget {
  provider: DnsProvider;
  zone: string;
  /** The same provider with a wrong secret (key, token) */
  wrongCredentials: DnsProvider;
  /** A zone the provider does not serve */
  unknownZone: string;
  /** TTL the provider accepts (deSEC: its minimum_ttl, 3600) */
  ttl?: number;
  /** What the wrong-credentials error must say */
  authMessage?: RegExp;
  stop(): Promise<void>;
}

const set = (name: string, type: RecordSet['type'], values: string[], ttl: number): RecordSet => ({ name, type, ttl, values: [...values].sort() });
const create = (r: RecordSet): RecordChange => ({ action: 'create', record: r });

/** The record sets of the zone whose names start with `prefix` */
async function under(p: DnsProvider, zone: string, prefix: string) {
  return (await p.listRecords(zone)).filter((r) => r.name === prefix || r.name.endsWith(`.${prefix}`) || r.name.startsWith(`${prefix}-`));
}

async function rejects(fn: () => Promise<unknown>, code: DnsError['code'], provider: DnsProvider, zone: string, message?: RegExp) {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(err instanceof DnsError, `expected a DnsError, got ${(err as Error)?.stack ?? err}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.provider, provider.kind);
    assert.equal(err.zone, zone.replace(/\.$/, ''));
    assert.ok(err.message.startsWith(`${provider.kind} (zone ${zone.replace(/\.$/, '')}): `), err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

export function dnsContract(label: string, start: () => Promise<ContractTarget>) {
  describe(`DNS provider contract: ${label}`, () => {
    let t: ContractTarget;
    let ttl = 300;
    before(async () => {
      t = await start();
      ttl = t.ttl ?? 300;
    });
    after(async () => t?.stop());

    test('creates A, AAAA, CNAME and TXT record sets and lists them back in canonical form', async () => {
      const long = 'k=rsa; p=' + 'A'.repeat(400);
      await t.provider.applyChanges(t.zone, [
        create({ name: 'c1', type: 'A', ttl, values: ['192.0.2.10', '192.0.2.11'] }),
        create({ name: 'c1', type: 'AAAA', ttl, values: ['2001:0db8:0000:0000:0000:0000:0000:0001'] }),
        create({ name: 'www.c1', type: 'CNAME', ttl, values: ['Target.Example.NET'] }),
        create({ name: 'txt.c1', type: 'TXT', ttl, values: ['v=spf1 -all', 'semi;colon "quoted" back\\slash', long] }),
      ]);
      assert.deepEqual(await under(t.provider, t.zone, 'c1'), [
        set('c1', 'A', ['192.0.2.10', '192.0.2.11'], ttl),
        set('c1', 'AAAA', ['2001:db8::1'], ttl),
        set('txt.c1', 'TXT', ['v=spf1 -all', 'semi;colon "quoted" back\\slash', long], ttl),
        set('www.c1', 'CNAME', ['target.example.net.'], ttl),
      ]);
    });

    test('updates values and TTL, and turns a name from A into a CNAME in one batch', async () => {
      await t.provider.applyChanges(t.zone, [create(set('u1', 'A', ['192.0.2.1'], ttl)), create(set('u1', 'TXT', ['before'], ttl)), create(set('u2', 'A', ['192.0.2.2'], ttl))]);
      await t.provider.applyChanges(t.zone, [
        { action: 'update', record: set('u1', 'A', ['192.0.2.3', '192.0.2.4'], ttl * 2) },
        { action: 'update', record: set('u1', 'TXT', ['after'], ttl) },
        { action: 'delete', record: set('u2', 'A', [], ttl) },
        { action: 'create', record: set('u2', 'CNAME', ['u1.example.net.'], ttl) },
      ]);
      assert.deepEqual(await under(t.provider, t.zone, 'u1'), [set('u1', 'A', ['192.0.2.3', '192.0.2.4'], ttl * 2), set('u1', 'TXT', ['after'], ttl)]);
      assert.deepEqual(await under(t.provider, t.zone, 'u2'), [set('u2', 'CNAME', ['u1.example.net.'], ttl)]);
    });

    test('deletes record sets; deleting one that is absent changes nothing', async () => {
      await t.provider.applyChanges(t.zone, [create(set('d1', 'A', ['192.0.2.5'], ttl)), create(set('d1', 'TXT', ['keep'], ttl))]);
      await t.provider.applyChanges(t.zone, [{ action: 'delete', record: set('d1', 'A', [], ttl) }]);
      assert.deepEqual(await under(t.provider, t.zone, 'd1'), [set('d1', 'TXT', ['keep'], ttl)]);
      const before = await t.provider.listRecords(t.zone);
      await t.provider.applyChanges(t.zone, [{ action: 'delete', record: set('d1', 'A', [], ttl) }, { action: 'delete', record: set('nothing-here', 'AAAA', [], ttl) }]);
      assert.deepEqual(await t.provider.listRecords(t.zone), before);
    });

    test('applying the same batch again leaves the same records', async () => {
      const batch = [create(set('i1', 'A', ['192.0.2.7'], ttl)), create(set('i1', 'TXT', ['same'], ttl)), create(set('alias.i1', 'CNAME', ['i1.example.net.'], ttl))];
      await t.provider.applyChanges(t.zone, batch);
      const first = await t.provider.listRecords(t.zone);
      await t.provider.applyChanges(t.zone, batch);
      assert.deepEqual(await t.provider.listRecords(t.zone), first);
      assert.equal((await under(t.provider, t.zone, 'i1')).length, 3);
    });

    test('applies a batch of 100 changes, and removes them in another', async () => {
      const batch = Array.from({ length: 100 }, (_, i) => create(set(`b-${i}`, i % 2 ? 'A' : 'TXT', [i % 2 ? `198.51.100.${i}` : `record ${i}`], ttl)));
      const t0 = Date.now();
      await t.provider.applyChanges(t.zone, batch);
      const ms = Date.now() - t0;
      const got = (await t.provider.listRecords(t.zone)).filter((r) => r.name.startsWith('b-'));
      assert.equal(got.length, 100, `100 record sets, took ${ms} ms`);
      assert.deepEqual(got.find((r) => r.name === 'b-51'), set('b-51', 'A', ['198.51.100.51'], ttl));
      await t.provider.applyChanges(t.zone, batch.map((c) => ({ action: 'delete' as const, record: c.record })));
      assert.equal((await t.provider.listRecords(t.zone)).filter((r) => r.name.startsWith('b-')).length, 0);
    });

    test('invalid records are refused before anything is sent, with what is wrong in each', async () => {
      const before = await t.provider.listRecords(t.zone);
      const bad = [
        create(set('ok-1', 'A', ['192.0.2.9'], ttl)),
        create(set('bad-1', 'A', ['not-an-address'], ttl)),
        create(set('', 'CNAME', ['elsewhere.example.net.'], ttl)),
        create(set('bad-2', 'AAAA', ['192.0.2.1'], ttl)),
        create({ name: 'bad name', type: 'A', ttl, values: ['192.0.2.1'] }),
        create({ name: 'bad-3', type: 'A', ttl: -5, values: ['192.0.2.1'] }),
      ];
      await rejects(() => t.provider.applyChanges(t.zone, bad), 'invalid', t.provider, t.zone, /1\.values\.0: 'not-an-address' is not an IPv4 address.*2\.name: a CNAME cannot be at the apex.*3\.values\.0: '192\.0\.2\.1' is not an IPv6 address.*4\.name: must be a name.*5\.ttl: must be a whole number/);
      await rejects(() => t.provider.applyChanges(t.zone, [create(set('dup', 'A', ['192.0.2.1'], ttl)), create(set('dup', 'A', ['192.0.2.2'], ttl))]), 'invalid', t.provider, t.zone, /changed twice in one batch/);
      await rejects(() => t.provider.applyChanges(t.zone, [create(set('cn', 'CNAME', ['a.example.net.'], ttl)), create(set('cn', 'TXT', ['x'], ttl))]), 'invalid', t.provider, t.zone, /CNAME at cn cannot stand beside other records/);
      assert.deepEqual(await t.provider.listRecords(t.zone), before, 'nothing changed');
    });

    test('a CNAME added beside records the name already has is refused, clearly', async () => {
      await t.provider.applyChanges(t.zone, [create(set('mix', 'TXT', ['already here'], ttl))]);
      await rejects(() => t.provider.applyChanges(t.zone, [create(set('mix', 'CNAME', ['other.example.net.'], ttl))]), 'invalid', t.provider, t.zone, /CNAME|conflict|Conflict/);
      assert.deepEqual(await under(t.provider, t.zone, 'mix'), [set('mix', 'TXT', ['already here'], ttl)]);
    });

    test('wrong credentials: an error naming the provider, the zone and the fix', async () => {
      const before = await t.provider.listRecords(t.zone);
      await rejects(() => t.wrongCredentials.ping(t.zone), 'auth', t.wrongCredentials, t.zone, t.authMessage);
      await rejects(() => t.wrongCredentials.listRecords(t.zone), 'auth', t.wrongCredentials, t.zone, t.authMessage);
      await rejects(() => t.wrongCredentials.applyChanges(t.zone, [create(set('intruder', 'A', ['192.0.2.66'], ttl))]), 'auth', t.wrongCredentials, t.zone, t.authMessage);
      assert.deepEqual(await t.provider.listRecords(t.zone), before, 'nothing changed');
    });

    test('a zone the provider does not serve: an error saying so', async () => {
      await rejects(() => t.provider.ping(t.unknownZone), 'zone', t.provider, t.unknownZone);
      await rejects(() => t.provider.listRecords(t.unknownZone), 'zone', t.provider, t.unknownZone);
      await rejects(() => t.provider.applyChanges(t.unknownZone, [create(set('x', 'A', ['192.0.2.1'], ttl))]), 'zone', t.provider, t.unknownZone);
    });

    test('ping succeeds with the right credentials', async () => {
      await t.provider.ping(t.zone);
    });
  });
}
