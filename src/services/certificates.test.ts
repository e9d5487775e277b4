// The certificates service without a CA: account settings checked field by field and the
// account key sealed; issuance refused with a clear error before any request when it cannot
// work; what the edge serves brought in line with the store (sync); renewal due dates, a renewal
// that fails recorded on the certificate, removal that goes on when the CA cannot be reached.
// Issuance, renewal and revocation against a real CA (pebble) are in test/acme-*.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openStore, type Store } from '../store/index.js';
import { Sealer } from '../lib/crypto.js';
import { run } from '../lib/spawn.js';
import { freePort } from '../lib/net.js';
import type { CertificateEdge, LoadedCertificate } from '../drivers/edge/index.js';
import { CertificateError, Certificates, certificateId } from './certificates.js';
import { UserError } from './errors.js';

class MemoryEdge implements CertificateEdge {
  certs = new Map<string, LoadedCertificate>();
  challenges = new Map<string, string>();
  async setChallenge(host: string, token: string, v: string) {
    this.challenges.set(`${host} ${token}`, v);
  }
  async removeChallenge(host: string, token: string) {
    this.challenges.delete(`${host} ${token}`);
  }
  async listChallenges() {
    return [...this.challenges.keys()].map((k) => ({ host: k.split(' ')[0], token: k.split(' ')[1] }));
  }
  async loadCertificate(c: LoadedCertificate) {
    this.certs.set(c.id, c);
  }
  async removeCertificate(id: string) {
    this.certs.delete(id);
  }
  async listCertificates() {
    return [...this.certs.values()].map((c) => ({ id: c.id, hosts: c.hosts, certificate: c.certificate }));
  }
}

let dir: string;
let db: Store;
let sealer: Sealer;
let edge: MemoryEdge;
let certs: Certificates;
let pem: { certificate: string; key: string; serial: string };
let deadCa: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'freehold-certs-'));
  db = await openStore(join(dir, 'store.db'));
  sealer = new Sealer(randomBytes(32));
  edge = new MemoryEdge();
  certs = new Certificates(db, sealer, { edge });
  await run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '90', '-subj', '/CN=cal.example.org', '-addext', 'subjectAltName=DNS:cal.example.org']);
  const serial = (await run(['openssl', 'x509', '-noout', '-serial', '-in', join(dir, 'cert.pem')])).stdout.trim().replace('serial=', '').toUpperCase();
  pem = { certificate: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8'), serial };
  deadCa = `https://127.0.0.1:${await freePort()}/dir`;
});

after(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** A certificate row as issuance leaves it */
async function insert(id: string, notBefore: Date, notAfter: Date) {
  const t = new Date().toISOString();
  await db
    .insertInto('certificates')
    .values({ id, domains: JSON.stringify([`${id}`]), challenge: 'http-01', owner: 'cal', directory_url: deadCa, certificate: pem.certificate, key: sealer.seal(pem.key), serial: pem.serial, issuer: 'CN=test', not_before: notBefore.toISOString(), not_after: notAfter.toISOString(), status: 'valid', last_error: null, created_at: t, updated_at: t })
    .execute();
}

test('issuing before a CA is configured says what to do', async () => {
  await assert.rejects(certs.issue(['cal.example.org']), (e: CertificateError) => e instanceof CertificateError && e.status === 400 && /no ACME CA is configured/.test(e.message));
  assert.equal(await certs.account(), null);
});

test('account settings are checked field by field; the account key is kept sealed', async () => {
  await assert.rejects(certs.configure({ directoryUrl: 'http://ca.example/dir', email: 'nobody', caBundle: 'not pem', verify: false }), (e: UserError) => {
    assert.deepEqual(e.details?.map((d) => d.path), ['directoryUrl', 'email', 'caBundle']);
    return true;
  });
  const a = await certs.configure({ directoryUrl: 'letsencrypt-staging', email: 'admin@example.org', verify: false });
  assert.equal(a.directoryUrl, 'https://acme-staging-v02.api.letsencrypt.org/directory');
  assert.equal(a.current, true);
  assert.equal(a.url, null);
  const row = await db.selectFrom('acme_accounts').selectAll().executeTakeFirstOrThrow();
  assert.match(row.key, /^v1:/);
  assert.doesNotMatch(row.key, /PRIVATE KEY/);
  assert.match(sealer.open(row.key), /BEGIN PRIVATE KEY/);
  assert.doesNotMatch(JSON.stringify(a), /PRIVATE/);
  // A CA that cannot be reached is reported when the account is configured (verify is the default)
  await assert.rejects(certs.configure({ directoryUrl: deadCa }), (e: CertificateError) => e.code === 'unreachable' && e.status === 502);
  // The account of the last CA configured is the current one
  const dead = await certs.configure({ directoryUrl: deadCa, verify: false });
  assert.equal((await certs.account())?.directoryUrl, dead.directoryUrl);
  assert.equal((await db.selectFrom('acme_accounts').select('directory_url').where('is_current', '=', 1).execute()).length, 1);
});

test('issue refuses what cannot work before any request', async () => {
  await assert.rejects(certs.issue([]), UserError);
  await assert.rejects(certs.issue(['cal.localhost']), /local CA/);
  await assert.rejects(certs.issue(['*.example.org']), (e: CertificateError) => e.code === 'invalid' && /dns-01/.test(e.message));
  await assert.rejects(certs.issue(['example.org'], { challenge: 'dns-01' }), /dns-01 needs a DNS provider/);
  await assert.rejects(certs.issue(['example.org'], { challenge: 'tls-alpn-01' as 'dns-01' }), /challenge must be one of/);
  assert.equal(certificateId('*.Example.org.'), 'wildcard.example.org');
  // The CA is down: the error names it, nothing is kept or served
  await assert.rejects(certs.issue(['cal.example.org']), (e: CertificateError) => e.code === 'unreachable' && e.message.includes(deadCa));
  assert.deepEqual(await certs.list(), []);
  assert.equal(edge.certs.size + edge.challenges.size, 0);
});

test('sync loads what the edge should serve and removes what it should not', async () => {
  const now = Date.now();
  await insert('cal.example.org', new Date(now - 3600_000), new Date(now + 89 * 86400_000));
  edge.certs.set('stale', { id: 'stale', hosts: ['old.example.org'], certificate: pem.certificate, key: pem.key });
  edge.challenges.set('cal.example.org tok', 'left by a crash');
  const r = await certs.sync();
  assert.deepEqual(r, { loaded: ['cal.example.org'], removed: ['stale'], challengesRemoved: 1 });
  assert.equal(edge.certs.get('cal.example.org')?.key, pem.key);
  assert.deepEqual((await certs.sync()).loaded, []);
  const [view] = await certs.list();
  assert.equal(view.owner, 'cal');
  assert.doesNotMatch(JSON.stringify(view), /PRIVATE/);
  // Renewal is due once less than a third of the lifetime is left
  const lifetime = new Date(view.notAfter).getTime() - new Date(view.notBefore).getTime();
  assert.equal(new Date(view.renewAfter).getTime(), new Date(view.notAfter).getTime() - lifetime / 3);
});

test('renewDue renews only what is due; a failure is kept on the certificate and the old one still served', async () => {
  const now = Date.now();
  await insert('late.example.org', new Date(now - 80 * 86400_000), new Date(now + 10 * 86400_000));
  const r = await certs.renewDue();
  assert.deepEqual(r.renewed, []);
  assert.deepEqual(r.failed.map((f) => f.id), ['late.example.org']);
  assert.match(r.failed[0].error, /cannot reach the ACME directory/);
  assert.match((await certs.get('late.example.org')).lastError!, /cannot reach the ACME directory/);
  assert.equal((await certs.get('cal.example.org')).lastError, null);
  assert.equal(edge.certs.get('cal.example.org')?.certificate, pem.certificate);
  // Later, both are due
  const later = await certs.renewDue(new Date(now + 70 * 86400_000));
  assert.deepEqual(later.failed.map((f) => f.id).sort(), ['cal.example.org', 'late.example.org']);
});

test("the engine's orders wait after a failure (CAs limit failed validations); an install by hand retries at once", async () => {
  // The current account is the dead CA's (configured above without verification)
  const first = await certs.ensure(['wait.example.org'], { id: 'wait.example.org', owner: 'wait' }).then(() => assert.fail('issued'), (e: CertificateError) => e);
  assert.match(first.message, /cannot reach the ACME directory/);
  assert.doesNotMatch(first.message, /tried after/);
  const started = Date.now();
  const again = await certs.ensure(['wait.example.org'], { id: 'wait.example.org', owner: 'wait' }).then(() => assert.fail('issued'), (e: CertificateError) => e);
  assert.ok(Date.now() - started < 100, 'no request to the CA');
  assert.match(again.message, /cannot reach the ACME directory.*the next is tried after .*freehold certificates retry wait\.example\.org/);
  assert.equal(again.code, first.code);
  // An explicit issue is not held back, and retryNow lets the engine order at once
  await assert.rejects(certs.issue(['wait.example.org']), (e: CertificateError) => !/tried after/.test(e.message));
  assert.equal(certs.retryNow('wait.example.org'), true);
  await assert.rejects(certs.ensure(['wait.example.org'], { id: 'wait.example.org', owner: 'wait' }), (e: CertificateError) => !/tried after/.test(e.message));
});

test('remove goes on when the CA cannot be reached, and says it did not revoke', async () => {
  const r = await certs.remove('late.example.org');
  assert.equal(r.revoked, false);
  assert.match(r.warning!, /removed but not revoked/);
  await assert.rejects(certs.get('late.example.org'), /no certificate/);
  const owned = await certs.removeOwner('cal');
  assert.deepEqual(owned.map((o) => o.id), ['cal.example.org']);
  assert.equal(edge.certs.size, 0);
  assert.deepEqual(await certs.list(), []);
});
