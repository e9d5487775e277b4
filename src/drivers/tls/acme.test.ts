// The ACME issuer without a CA: bad input is refused before any request, an unreachable CA and a
// CA whose HTTPS certificate is not trusted are reported at once with what to do (acme-client
// alone would retry for over a minute), and a CA bundle makes a private CA trusted for its own
// origin only. Issuance against a real CA (pebble) is in test/acme-*.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../lib/spawn.js';
import { freePort } from '../../lib/net.js';
import { AcmeIssuer } from './acme.js';
import { AcmeError, domainProblem, type ChallengeSolver } from './index.js';

let dir: string;
let server: Server;
let port: number;
let cert: string;
let accountKey: string;
const noSolver: ChallengeSolver = { type: 'http-01', present: async () => undefined, cleanup: async () => undefined, where: () => '', hint: () => '' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'freehold-acme-unit-'));
  await run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  // A stand-in directory over HTTPS with a self-signed certificate: enough to check trust
  server = createServer({ cert, key: readFileSync(join(dir, 'key.pem')) }, (_req, res) => res.end('{"newNonce":"x","newAccount":"x","newOrder":"x"}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  accountKey = await AcmeIssuer.createAccountKey();
});

after(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

test('names a certificate cannot have', () => {
  assert.equal(domainProblem('cal.example.org'), undefined);
  assert.equal(domainProblem('*.example.org'), undefined);
  assert.match(domainProblem('localhost')!, /fully qualified/);
  assert.match(domainProblem('cal.localhost')!, /local CA/);
  assert.match(domainProblem('a.*.example.org')!, /"\*\." only as the first label/);
  assert.match(domainProblem('10.0.0.1')!, /IP address/);
  assert.match(domainProblem('-x.example.org')!, /not a domain name/);
});

test('a wildcard with http-01, a bad name, a missing solver: refused before any request', async () => {
  const issuer = new AcmeIssuer({ directoryUrl: `https://127.0.0.1:${await freePort()}/dir`, accountKey, solvers: { 'http-01': noSolver } });
  await assert.rejects(issuer.issue(['*.example.org'], 'http-01'), (e: AcmeError) => e.code === 'invalid' && /only be validated with the dns-01 challenge/.test(e.message) && e.details.domain === '*.example.org');
  await assert.rejects(issuer.issue(['example..org'], 'http-01'), (e: AcmeError) => e.code === 'invalid' && /example\.\.org/.test(e.message));
  await assert.rejects(issuer.issue(['example.org'], 'dns-01'), (e: AcmeError) => e.code === 'invalid' && /dns-01 challenge is not available/.test(e.message));
  assert.throws(() => new AcmeIssuer({ directoryUrl: 'not a url', accountKey, solvers: {} }), /not a URL/);
});

test('an unreachable CA is reported at once', async () => {
  const url = `https://127.0.0.1:${await freePort()}/dir`;
  const issuer = new AcmeIssuer({ directoryUrl: url, accountKey, solvers: { 'http-01': noSolver } });
  const t0 = Date.now();
  await assert.rejects(issuer.issue(['cal.example.org'], 'http-01'), (e: AcmeError) => e.code === 'unreachable' && e.message.includes(url) && /connection refused/.test(e.message));
  assert.ok(Date.now() - t0 < 5000);
});

test('a CA whose HTTPS certificate is not trusted: the error says to give its CA bundle; with it, it is trusted', async () => {
  const url = `https://127.0.0.1:${port}/dir`;
  const untrusted = new AcmeIssuer({ directoryUrl: url, accountKey, solvers: {} });
  await assert.rejects(untrusted.account(), (e: AcmeError) => e.code === 'unreachable' && /not trusted/.test(e.message) && /CA bundle/.test(e.message));
  // With the bundle the directory is reached (registering then fails: this is no ACME server)
  const trusted = new AcmeIssuer({ directoryUrl: url, accountKey, caBundle: cert, solvers: {} });
  await assert.rejects(trusted.account(), (e: AcmeError) => e.code === 'account');
});
