// Installations on a domain the user owns, end to end with real parts: the domain on a real Knot
// (RFC 2136 with TSIG), certificates from a real pebble ACME CA (HTTP-01 answered by Freehold's
// own Caddy; pebble resolves names through that Knot, so validation depends on the record
// Freehold made), the app a real Radicale in Podman. What an install there needs is asked for
// first; the record and the certificate are made, served, and checked with openssl against
// pebble's root; drift (a record deleted by hand, the certificate unloaded from Caddy, a Caddy
// started afresh) is repaired; a new public address moves the records; uninstall and a failed
// install (app unhealthy, IP pool full, challenge refused by the CA) remove the records and
// revoke the certificate. The TSIG secret shows nowhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TestFreehold } from './helpers/freehold.js';
import { startKnot, type Knot } from './helpers/dns-servers.js';
import { startPebble, verifyServed, type Pebble } from './helpers/pebble.js';
import { createDnsProvider, dnsProviderKind } from '../src/drivers/dns/index.js';
import { CaddyEdge } from '../src/drivers/edge/caddy.js';
import { sleep } from '../src/lib/net.js';
import { run } from '../src/lib/spawn.js';

const ROOT = new URL('..', import.meta.url).pathname;
/** The real CLI against this control plane */
const cli = async (...args: string[]) => {
  const r = await run([process.execPath, '--import', 'tsx', 'src/cli/main.ts', '--data-dir', fh.dataDir, ...args], { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' }, check: false });
  return { code: r.code, out: r.stdout + r.stderr };
};

const FIXTURES = new URL('./fixtures/catalog', import.meta.url).pathname;
const ZONE = 'example.test';
/** A second domain, whose certificates are validated by dns-01 */
const HOME = 'home.test';
const LONG = { timeout: 600_000 };

let knot: Knot;
let pebble: Pebble;
let fh: TestFreehold;

before(async () => {
  knot = await startKnot({ zones: [ZONE, HOME] });
  fh = await TestFreehold.start({ catalogDirs: [FIXTURES], reconcileIntervalSeconds: 2 });
  pebble = await startPebble({ httpPort: fh.httpPort, tlsPort: fh.httpsPort, dnsServer: knot.server, validitySeconds: 3600 });
});

after(async () => {
  await fh?.stop();
  await pebble?.stop();
  await knot?.stop();
});

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(250);
  }
};
const refused = async (p: Promise<unknown>, status: number, message: RegExp) => {
  const err = (await p.then(() => assert.fail('accepted'), (e) => e)) as Error & { status?: number };
  assert.equal(err.status, status, err.message);
  assert.match(err.message, message);
};
const page = async (domain: string) => fh.https(domain, '/.web/', { ca: await pebble.root() });

test('an install on a configured domain asks first for a public address and an ACME account; nothing is made before', LONG, async () => {
  await fh.request('POST', '/api/domains', { name: ZONE, provider: 'rfc2136', ...knot.settings() });
  await refused(fh.request('POST', '/api/installations', { app: 'radicale', domain: `cal.${ZONE}` }), 409, /has no public address.*freehold hosts set-public local --address/);
  await refused(fh.request('PATCH', '/api/hosts/local', { public: { addresses: ['300.1.1.1'] } }), 400, /300\.1\.1\.1/);
  const { host } = await fh.request('PATCH', '/api/hosts/local', { public: { addresses: ['127.0.0.1'] } });
  assert.deepEqual(host.public, { addresses: ['127.0.0.1'] });
  await refused(fh.request('POST', '/api/installations', { app: 'radicale', domain: `cal.${ZONE}` }), 409, /needs a certificate from an ACME CA.*freehold certificates account/);
  assert.deepEqual((await fh.request('GET', '/api/installations')).installations, []);
  assert.deepEqual(await knot.query(`cal.${ZONE}`, 'A'), []);

  const { account } = await fh.request('PUT', '/api/acme/account', { directoryUrl: pebble.directoryUrl, email: `admin@${ZONE}`, caBundle: pebble.caBundle });
  assert.ok(account.url, 'registered with the CA');
  assert.equal(account.caBundle, true);
});

let serial = '';

test('install: the record in Knot, a certificate from the CA served by Caddy, the app reached over HTTPS', LONG, async () => {
  const { installation, task } = await fh.install('radicale', `cal.${ZONE}`);
  assert.equal(task.status, 'succeeded', task.error ?? undefined);
  assert.equal(installation.domain, `cal.${ZONE}`);
  assert.deepEqual(await knot.query(`cal.${ZONE}`, 'A'), ['127.0.0.1']);

  const served = await verifyServed(pebble, fh.httpsPort, `cal.${ZONE}`);
  assert.ok(served.ok, served.output);
  const res = await page(`cal.${ZONE}`);
  assert.equal(res.status, 200);
  assert.match(res.body, /<title>Radicale Web Interface<\/title>/);

  const { certificates } = await fh.request('GET', '/api/certificates');
  assert.equal(certificates.length, 1);
  assert.deepEqual(certificates[0].domains, [`cal.${ZONE}`]);
  assert.equal(certificates[0].owner, 'cal');
  assert.equal(certificates[0].serial, served.serial);
  serial = served.serial;
  assert.equal((await pebble.certStatus(serial)).Status, 'Valid');
  const { domains } = await fh.request('GET', '/api/domains');
  assert.deepEqual(domains[0].installations, ['cal']);
  const plan = await fh.request('GET', '/api/installations/cal/plan');
  assert.deepEqual(plan.steps, [], 'nothing left to do');

  // The same through the CLI
  const certs = await cli('certificates', 'list');
  assert.equal(certs.code, 0, certs.out);
  assert.match(certs.out, /cal\.example\.test\s+cal\.example\.test\s+cal\s+valid\s+http-01/);
  const hosts = await cli('hosts');
  assert.match(hosts.out, /local\s+local\s+podman\s+127\.0\.0\.1/);
  const account = await cli('certificates', 'account');
  assert.match(account.out, new RegExp(pebble.directoryUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const wrong = await cli('hosts', 'set-public', 'local', '--address', '127.0.0.1', '--cname', 'x.example.net');
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.out, /exactly one of --address/);
});

test('drift: a record deleted by hand and the certificate unloaded from Caddy are put back', LONG, async () => {
  const dns = createDnsProvider('rfc2136', dnsProviderKind('rfc2136')!.parse(knot.settings(), []));
  await dns.applyChanges(ZONE, [{ action: 'delete', record: { name: 'cal', type: 'A', ttl: 300, values: ['127.0.0.1'] } }]);
  assert.deepEqual(await knot.query(`cal.${ZONE}`, 'A'), []);
  await until('the record back in Knot', async () => (await knot.query(`cal.${ZONE}`, 'A')).join() === '127.0.0.1');

  const edge = new CaddyEdge({ dir: join(fh.dataDir, 'caddy') });
  await edge.removeCertificate(`cal.${ZONE}`);
  assert.equal((await verifyServed(pebble, fh.httpsPort, `cal.${ZONE}`)).ok, false, 'Caddy serves its own certificate meanwhile');
  await until('the certificate served again', async () => (await verifyServed(pebble, fh.httpsPort, `cal.${ZONE}`)).serial === serial);
  const { certificates } = await fh.request('GET', '/api/certificates');
  assert.equal(certificates[0].serial, serial, 'loaded again, not issued again');
});

test('a new public address for the host moves the records', LONG, async () => {
  await fh.request('PATCH', '/api/hosts/local', { public: { addresses: ['127.0.0.1', '::1'] } });
  await until('the AAAA record', async () => (await knot.query(`cal.${ZONE}`, 'AAAA')).join() === '::1');
  assert.deepEqual(await knot.query(`cal.${ZONE}`, 'A'), ['127.0.0.1']);
  const { hosts } = await fh.request('GET', '/api/hosts');
  assert.deepEqual(hosts.find((h: any) => h.id === 'local').public, { addresses: ['127.0.0.1', '::1'] });
});

test('Caddy started afresh with the control plane serves the certificate again', LONG, async () => {
  await fh.kill('SIGTERM');
  await new CaddyEdge({ dir: join(fh.dataDir, 'caddy') }).stop();
  await fh.launch();
  // The API answers first; the certificates are loaded and the routes put back just after
  await until('the certificate served', async () => (await verifyServed(pebble, fh.httpsPort, `cal.${ZONE}`)).ok).catch((e) => {
    throw new Error(`${e.message}\n${fh.output.slice(-3000)}`);
  });
  assert.equal((await verifyServed(pebble, fh.httpsPort, `cal.${ZONE}`)).serial, serial);
  assert.equal((await page(`cal.${ZONE}`)).status, 200);
});

test('uninstall removes the records and revokes the certificate', LONG, async () => {
  assert.equal((await fh.uninstall('cal')).status, 'succeeded');
  assert.deepEqual(await knot.query(`cal.${ZONE}`, 'A'), []);
  assert.deepEqual(await knot.query(`cal.${ZONE}`, 'AAAA'), []);
  assert.equal((await pebble.certStatus(serial)).Status, 'Revoked');
  assert.deepEqual((await fh.request('GET', '/api/certificates')).certificates, []);
  assert.deepEqual((await fh.request('GET', '/api/domains')).domains[0].installations, []);
});

test('rename: the new name gets its records and certificate before the old ones go; back to .localhost removes them', LONG, async () => {
  const { task } = await fh.install('addressed', `todo.${ZONE}`);
  assert.equal(task.status, 'succeeded', task.error ?? undefined);
  const given = async () => (await run(['podman', 'exec', 'fh-todo-web', 'printenv', 'PUBLIC_ADDRESS'], { check: false })).stdout.trim();
  assert.equal(await given(), '127.0.0.1', "the app is told its host's public address");
  const old = await verifyServed(pebble, fh.httpsPort, `todo.${ZONE}`);
  assert.ok(old.ok, old.output);

  await refused(fh.request('PATCH', '/api/installations/todo', { domain: 'not a name' }), 400, /not a valid domain name/);
  await refused(fh.request('PATCH', '/api/installations/todo', { domain: `todo.${ZONE}` }), 400, /already on/);
  const renamed = await cli('rename', 'todo', '--domain', `tasks.${ZONE}`);
  assert.equal(renamed.code, 0, renamed.out);
  assert.deepEqual(await knot.query(`tasks.${ZONE}`, 'A'), ['127.0.0.1']);
  assert.deepEqual(await knot.query(`todo.${ZONE}`, 'A'), [], 'the old name is gone from the zone');
  const served = await verifyServed(pebble, fh.httpsPort, `tasks.${ZONE}`);
  assert.ok(served.ok, served.output);
  assert.equal((await pebble.certStatus(old.serial)).Status, 'Revoked', "the old name's certificate is revoked");
  assert.equal((await page(`tasks.${ZONE}`)).status, 200);
  const { installation } = await fh.request('GET', '/api/installations/todo');
  assert.equal(installation.domain, `tasks.${ZONE}`);
  assert.equal(installation.name, 'todo', 'the installation keeps its name');
  assert.deepEqual((await fh.request('GET', '/api/certificates')).certificates.map((c: any) => c.domains), [[`tasks.${ZONE}`]]);
  assert.deepEqual((await fh.request('GET', '/api/installations/todo/plan')).steps, [], 'nothing left to do');

  // A new name whose records cannot be made (a domain whose zone the server does not serve):
  // the rename rolls back, and the current name keeps its records and certificate.
  await fh.request('POST', '/api/domains', { name: 'unserved.test', provider: 'rfc2136', ...knot.settings(), verify: false });
  const failed = await fh.waitTask((await fh.request('PATCH', '/api/installations/todo', { domain: 'todo.unserved.test' })).task.id);
  assert.equal(failed.status, 'rolled_back', JSON.stringify(failed));
  assert.match(failed.message, /the new domain name failed and the previous one was applied again/);
  assert.equal((await fh.request('GET', '/api/installations/todo')).installation.domain, `tasks.${ZONE}`);
  assert.deepEqual(await knot.query(`tasks.${ZONE}`, 'A'), ['127.0.0.1']);
  const still = await verifyServed(pebble, fh.httpsPort, `tasks.${ZONE}`);
  assert.equal(still.serial, served.serial, 'the same certificate is served');
  assert.equal((await pebble.certStatus(served.serial)).Status, 'Valid');
  assert.equal((await page(`tasks.${ZONE}`)).status, 200);
  assert.deepEqual((await fh.request('GET', '/api/installations/todo/plan')).steps, [], 'nothing left half-done');
  await fh.request('DELETE', '/api/domains/unserved.test');

  const local = await fh.waitTask((await fh.request('PATCH', '/api/installations/todo', { domain: 'todo' })).task.id);
  assert.equal(local.status, 'succeeded', local.error ?? undefined);
  assert.deepEqual(await knot.query(`tasks.${ZONE}`, 'A'), []);
  assert.equal((await pebble.certStatus(served.serial)).Status, 'Revoked');
  assert.deepEqual((await fh.request('GET', '/api/certificates')).certificates, []);
  assert.equal((await fh.https('todo.localhost', '/.web/')).status, 200);
  assert.equal(await given(), '', 'on .localhost it has no public address');
  assert.equal((await fh.uninstall('todo')).status, 'succeeded');
});

test('a failed install removes its records and its certificate', LONG, async () => {
  const { task } = await fh.install('unhealthy', `sick.${ZONE}`);
  assert.equal(task.status, 'rolled_back');
  assert.deepEqual(await knot.query(`sick.${ZONE}`, 'A'), []);
  assert.deepEqual((await fh.request('GET', '/api/certificates')).certificates, []);
  assert.deepEqual((await fh.request('GET', '/api/domains')).domains[0].installations, []);
  const log = ((await fh.request('GET', `/api/tasks/${task.id}`)).log as { line: string }[]).map((l) => l.line);
  assert.ok(log.some((l) => /^DNS sick\.example\.test: \d record sets removed/.test(l)), log.join('\n'));
});

test('a host that gives each installation an address from an IP pool: the record points at it, the CA validates there; a full pool fails the install cleanly; uninstall releases it', LONG, async () => {
  // 127.0.10.8/31: two addresses, both local to this machine (all of 127/8 is), so the CA's
  // validation really reaches Caddy on the allocated address.
  await fh.request('POST', '/api/ip-pools', { name: 'public', provider: 'builtin', prefixes: ['127.0.10.8/31'], reserve: ['127.0.10.8'] });
  await refused(fh.request('PATCH', '/api/hosts/local', { public: { pool: 'nowhere' } }), 404, /nowhere/);
  await fh.request('PATCH', '/api/hosts/local', { public: { pool: 'public' } });

  const { task } = await fh.install('addressed', `wiki.${ZONE}`);
  assert.equal(task.status, 'succeeded', task.error ?? undefined);
  assert.deepEqual(await knot.query(`wiki.${ZONE}`, 'A'), ['127.0.10.9']);
  const given = await run(['podman', 'exec', 'fh-wiki-web', 'printenv', 'PUBLIC_ADDRESS']);
  assert.equal(given.stdout.trim(), '127.0.10.9', 'the app is told its own address ({{ installation.address }})');
  const { allocations } = await fh.request('GET', '/api/ip-pools/public/allocations');
  assert.deepEqual(allocations.map((a: any) => [a.address, a.owner]), [['127.0.10.9', 'wiki']]);
  const served = await verifyServed(pebble, fh.httpsPort, `wiki.${ZONE}`);
  assert.ok(served.ok, served.output);

  // The pool is full now: the next install fails, saying so, and leaves no record or certificate
  const full = await fh.install('radicale', `notes.${ZONE}`);
  assert.equal(full.task.status, 'rolled_back');
  assert.match(full.task.error ?? '', /pool public .* is full/);
  assert.deepEqual(await knot.query(`notes.${ZONE}`, 'A'), []);
  assert.deepEqual((await fh.request('GET', '/api/certificates')).certificates.map((c: any) => c.owner), ['wiki']);

  assert.equal((await fh.uninstall('wiki')).status, 'succeeded');
  assert.deepEqual((await fh.request('GET', '/api/ip-pools/public/allocations')).allocations, []);
  assert.deepEqual(await knot.query(`wiki.${ZONE}`, 'A'), []);
  assert.equal((await pebble.certStatus(served.serial)).Status, 'Revoked');
});

test('a certificate the CA refuses (its challenge cannot be fetched): the install rolls back with the CA\'s reason, its records are removed', LONG, async () => {
  // The name points at a name that does not resolve, so pebble cannot fetch the HTTP-01 answer
  await fh.request('PATCH', '/api/hosts/local', { public: { cname: `nowhere.${ZONE}` } });
  const { task } = await fh.install('radicale', `lost.${ZONE}`);
  assert.equal(task.status, 'rolled_back');
  assert.match(task.error ?? '', /lost\.example\.test/);
  assert.match(task.error ?? '', /http-01|challenge/i);
  assert.deepEqual(await knot.query(`lost.${ZONE}`, 'CNAME'), []);
  // The failed order is remembered (the reconcile loop would wait before ordering again); retry forgets it
  const retry = await cli('certificates', 'retry', `lost.${ZONE}`);
  assert.equal(retry.code, 0, retry.out);
  assert.match(retry.out, /ordering lost\.example\.test again now/);
  assert.deepEqual(await fh.request('POST', `/api/certificates/lost.${ZONE}/retry`), { waiting: false });
  assert.deepEqual((await fh.request('GET', '/api/certificates')).certificates, []);
  assert.deepEqual((await fh.request('GET', '/api/installations')).installations, []);
});

test('dns-01: on a domain set to validate through its DNS provider, an installation gets its certificate where the CA cannot reach port 80', LONG, async () => {
  await fh.request('POST', '/api/domains', { name: HOME, provider: 'rfc2136', challenge: 'dns-01', ...knot.settings() });
  // The host still points at a name that does not resolve (the test before): HTTP-01 cannot pass
  const { task } = await fh.install('radicale', `cal.${HOME}`);
  assert.equal(task.status, 'succeeded', task.error ?? undefined);
  assert.match((await knot.query(`cal.${HOME}`, 'CNAME')).join(), /^nowhere\.example\.test\.?$/);
  const [cert] = (await fh.request('GET', '/api/certificates')).certificates;
  assert.equal(cert.challenge, 'dns-01');
  assert.equal(cert.owner, 'cal');
  const served = await verifyServed(pebble, fh.httpsPort, `cal.${HOME}`);
  assert.ok(served.ok, served.output);
  assert.deepEqual(await knot.query(`_acme-challenge.cal.${HOME}`, 'TXT'), [], 'the challenge record is gone');
  // The CA was told to look once Knot (the zone's primary, which the provider names) served the record
  assert.doesNotMatch(fh.output, /could not be found: not waiting/);
  assert.equal((await fh.uninstall('cal')).status, 'succeeded');
  assert.equal((await pebble.certStatus(served.serial)).Status, 'Revoked');
});

test('the TSIG secret shows in no API answer, task log or control-plane output', LONG, async () => {
  const answers = JSON.stringify([
    await fh.request('GET', '/api/domains'),
    await fh.request('GET', '/api/tasks'),
    await fh.request('GET', '/api/acme/account'),
    await fh.request('GET', '/api/hosts'),
  ]);
  const tasks = (await fh.request('GET', '/api/tasks')).tasks;
  const logs = [];
  for (const t of tasks) logs.push(JSON.stringify(await fh.request('GET', `/api/tasks/${t.id}`)));
  for (const text of [answers, logs.join('\n'), fh.output]) assert.ok(!text.includes(knot.secret), 'the TSIG secret leaked');
  assert.ok(logs.length >= 3);
});
