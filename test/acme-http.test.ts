// ACME with HTTP-01 against a real pebble: the challenge is answered by Freehold's own Caddy on
// its HTTP port (pebble validates on that port, resolving names through a real Knot), the
// certificate is loaded into that Caddy and served: checked with openssl s_client + openssl
// verify against pebble's root, and by an HTTPS request trusting only that root. Then renewal
// (due after two thirds of the lifetime) serves the new certificate; revocation is seen by the
// CA and the edge stops serving it; a challenge the CA cannot fetch (nothing on the HTTP port
// the CA uses) gives an error with the CA's words and the fix, and leaves no certificate and no
// challenge route behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../src/lib/net.js';
import { CertificateError } from '../src/services/certificates.js';
import { httpsGet, startAcmeWorld, startPebble, verifyServed, type AcmeWorld } from './helpers/pebble.js';

let w: AcmeWorld;
const lines: string[] = [];

before(async () => {
  w = await startAcmeWorld({ validitySeconds: 3600, log: (l) => lines.push(l) });
  await w.route('fh-cal', ['cal.example.test']);
});

after(async () => {
  await w?.stop();
});

test('HTTP-01 through the edge: issued, served by Caddy, verified against pebble root', async () => {
  const before = await verifyServed(w.pebble, w.httpsPort, 'cal.example.test');
  assert.equal(before.ok, false, 'before issuance Caddy serves its local CA certificate');

  const c = await w.certificates.issue(['cal.example.test'], { owner: 'cal' });
  assert.equal(c.id, 'cal.example.test');
  assert.deepEqual(c.domains, ['cal.example.test']);
  assert.equal(c.status, 'valid');
  assert.match(c.issuer, /Pebble Intermediate CA/);
  assert.equal(new Date(c.notAfter).getTime() - new Date(c.notBefore).getTime() <= 3600_000, true);

  const served = await verifyServed(w.pebble, w.httpsPort, 'cal.example.test');
  assert.ok(served.ok, served.output);
  assert.equal(served.serial, c.serial);
  const res = await httpsGet(w.httpsPort, 'cal.example.test', await w.pebble.root());
  assert.equal(res.status, 200);
  assert.match(res.body, /hello from cal\.example\.test/);

  // Nothing of the challenge is left; the key is sealed in the store
  assert.deepEqual(await w.edge.listChallenges(), []);
  const row = await w.store.selectFrom('certificates').selectAll().where('id', '=', c.id).executeTakeFirstOrThrow();
  assert.doesNotMatch(row.key, /PRIVATE KEY/);
  assert.equal((await w.pebble.certStatus(c.serial)).Status, 'Valid');
  assert.ok((await w.certificates.account())?.url, 'the account URL is kept');
});

test('renewal: nothing is due at first; two thirds into the lifetime it renews and Caddy serves the new certificate', async () => {
  const old = await w.certificates.get('cal.example.test');
  assert.deepEqual(await w.certificates.renewDue(), { renewed: [], failed: [] });
  const at = new Date(new Date(old.renewAfter).getTime() + 1000);
  const r = await w.certificates.renewDue(at);
  assert.deepEqual(r.failed, []);
  assert.deepEqual(r.renewed.map((c) => c.id), ['cal.example.test']);
  const renewed = r.renewed[0];
  assert.notEqual(renewed.serial, old.serial);
  assert.equal(renewed.owner, 'cal');
  const served = await verifyServed(w.pebble, w.httpsPort, 'cal.example.test');
  assert.ok(served.ok, served.output);
  assert.equal(served.serial, renewed.serial);
  assert.equal((await w.edge.listCertificates()).filter((x) => x.id === 'cal.example.test').length, 1);
});

test('revoke: the CA says revoked and Caddy no longer serves it; remove forgets it', async () => {
  const c = await w.certificates.get('cal.example.test');
  const revoked = await w.certificates.revoke(c.id);
  assert.equal(revoked.status, 'revoked');
  assert.equal((await w.pebble.certStatus(c.serial)).Status, 'Revoked');
  assert.deepEqual(await w.edge.listCertificates(), []);
  const served = await verifyServed(w.pebble, w.httpsPort, 'cal.example.test');
  assert.equal(served.ok, false);
  assert.notEqual(served.serial, c.serial);
  // A revoked certificate is not renewed
  assert.deepEqual((await w.certificates.renewDue(new Date(Date.now() + 3600_000))).renewed, []);
  assert.deepEqual(await w.certificates.remove(c.id), { revoked: false });
  assert.deepEqual(await w.certificates.list(), []);
});

test('remove revokes a valid certificate and unloads it', async () => {
  const c = await w.certificates.issue(['cal.example.test', 'www.example.test']);
  assert.deepEqual(c.domains, ['cal.example.test', 'www.example.test']);
  assert.deepEqual(await w.certificates.remove(c.id), { revoked: true });
  assert.equal((await w.pebble.certStatus(c.serial)).Status, 'Revoked');
  assert.deepEqual(await w.edge.listCertificates(), []);
  assert.deepEqual(await w.certificates.list(), []);
});

test('an account the CA no longer knows is registered again with the same key', async () => {
  const gone = `${new URL(w.pebble.directoryUrl).origin}/my-account/gone`;
  await w.store.updateTable('acme_accounts').set({ url: gone }).where('is_current', '=', 1).execute();
  const c = await w.certificates.issue(['again.example.test']);
  const url = (await w.certificates.account())?.url;
  assert.ok(url && url !== gone, String(url));
  assert.ok(lines.some((l) => /does not know the account any more/.test(l)));
  assert.deepEqual(await w.certificates.remove(c.id), { revoked: true });
});

test('a challenge the CA cannot fetch: clear error, nothing left behind', async () => {
  // A second CA whose HTTP-01 validation goes to a port where nothing listens, as when port 80
  // of the machine is not forwarded to Freehold's edge.
  const closed = await startPebble({ httpPort: await freePort(), tlsPort: await freePort(), dnsServer: w.knot.server });
  try {
    await w.certificates.configure({ directoryUrl: closed.directoryUrl, caBundle: closed.caBundle });
    const err = await w.certificates.issue(['down.example.test']).then(
      () => assert.fail('issued'),
      (e: unknown) => e as CertificateError,
    );
    assert.ok(err instanceof CertificateError, String(err));
    assert.equal(err.code, 'challenge');
    assert.equal(err.domain, 'down.example.test');
    assert.equal(err.challenge, 'http-01');
    assert.equal(err.status, 422);
    assert.match(err.message, /^http-01 challenge for down\.example\.test failed: the CA could not fetch http:\/\/down\.example\.test\/\.well-known\/acme-challenge\/[\w-]+: /);
    assert.match(err.message, /connection refused/);
    assert.match(err.message, /is port 80 of down\.example\.test reachable from the internet/);
    assert.deepEqual(await w.edge.listChallenges(), []);
    assert.deepEqual(await w.edge.listCertificates(), []);
    await assert.rejects(w.certificates.get('down.example.test'), /no certificate/);
  } finally {
    await closed.stop();
    await w.certificates.configure({ directoryUrl: w.pebble.directoryUrl, caBundle: w.pebble.caBundle, email: 'admin@example.test' });
  }
});
