// ACME with DNS-01 against a real pebble: the TXT records go through the domain's DNS provider
// (the RFC 2136 driver to a real Knot, the domain configured in the domains service), and pebble
// looks them up at that Knot. A certificate for example.test and *.example.test (both validated
// at _acme-challenge.example.test, so one TXT record holds two values) is served by Freehold's
// Caddy for any name under the domain, checked with openssl against pebble's root; the TXT
// records are gone afterwards. A name no configured domain holds is refused before anything is
// ordered; removal revokes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CertificateError, locateInDomains } from '../src/services/certificates.js';
import type { DnsProvider } from '../src/drivers/dns/index.js';
import { httpsGet, startAcmeWorld, verifyServed, type AcmeWorld } from './helpers/pebble.js';

let w: AcmeWorld;
const txtWrites: string[][] = [];

before(async () => {
  w = await startAcmeWorld({
    certificates: {
      // The configured domain's provider (as in production), with its TXT writes recorded on the way
      locateDns: async (name) => {
        const { dns, zone } = await locateInDomains(w.domains)(name);
        const recorded: DnsProvider = {
          kind: dns.kind,
          listRecords: (z) => dns.listRecords(z),
          ping: (z) => dns.ping(z),
          async applyChanges(z, changes) {
            txtWrites.push(changes.map((c) => `${c.action} ${c.record.name} ${c.record.type} ${c.record.values.length}`));
            return dns.applyChanges(z, changes);
          },
        };
        return { dns: recorded, zone };
      },
    },
  });
  await w.route('fh-blog', ['blog.example.test']);
  await w.route('fh-wiki', ['wiki.example.test']);
});

after(async () => {
  await w?.stop();
});

test('a wildcard with DNS-01 through the RFC 2136 driver and Knot, served for every name under the domain', async () => {
  const c = await w.certificates.issue(['example.test', '*.example.test'], { challenge: 'dns-01', owner: 'blog' });
  assert.deepEqual(c.domains, ['example.test', '*.example.test']);
  assert.equal(c.challenge, 'dns-01');
  // One TXT record with both values, set in one batch, then removed
  assert.deepEqual(txtWrites[0], ['update _acme-challenge TXT 2']);
  assert.deepEqual(txtWrites.at(-1), ['delete _acme-challenge TXT 0']);
  assert.deepEqual(await w.knot.query('_acme-challenge.example.test', 'TXT'), []);

  for (const host of ['blog.example.test', 'wiki.example.test']) {
    const served = await verifyServed(w.pebble, w.httpsPort, host);
    assert.ok(served.ok, `${host}: ${served.output}`);
    assert.equal(served.serial, c.serial);
    const res = await httpsGet(w.httpsPort, host, await w.pebble.root());
    assert.equal(res.status, 200);
  }
  assert.deepEqual(await w.edge.listChallenges(), [], 'DNS-01 puts no route in the edge');
});

test('DNS-01 for a name no configured domain holds: refused before anything is ordered', async () => {
  const writes = txtWrites.length;
  await assert.rejects(
    w.certificates.issue(['app.elsewhere.test'], { challenge: 'dns-01' }),
    (e: CertificateError) => e instanceof CertificateError && e.code === 'solver' && e.challenge === 'dns-01' && /app\.elsewhere\.test/.test(e.message) && /no configured domain holds/.test(e.message),
  );
  assert.equal(txtWrites.length, writes);
  await assert.rejects(w.certificates.issue(['*.example.test']), (e: CertificateError) => e.code === 'invalid' && /dns-01/.test(e.message));
});

test('renewal of a DNS-01 certificate uses DNS-01 again; removal revokes it', async () => {
  const old = await w.certificates.get('example.test');
  const { renewed } = await w.certificates.renewDue(new Date(new Date(old.renewAfter).getTime() + 1000));
  assert.equal(renewed.length, 1);
  assert.equal(renewed[0].challenge, 'dns-01');
  assert.equal((await verifyServed(w.pebble, w.httpsPort, 'blog.example.test')).serial, renewed[0].serial);
  const removed = await w.certificates.removeOwner('blog');
  assert.deepEqual(removed, [{ id: 'example.test', revoked: true }]);
  assert.equal((await w.pebble.certStatus(renewed[0].serial)).Status, 'Revoked');
  assert.deepEqual(await w.edge.listCertificates(), []);
});
