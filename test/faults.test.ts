// Bad input and faults: clear errors that say what to do, and nothing left half-made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { writeFileSync, chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { leftovers } from './helpers/leftovers.js';
import { CaddyEdge } from '../src/drivers/edge/caddy.js';

const FIXTURES = new URL('./fixtures/catalog', import.meta.url).pathname;
let fh: TestFreehold;
const BROKEN = new URL('./fixtures/broken-catalog', import.meta.url).pathname;
before(async () => (fh = await TestFreehold.start({ catalogDirs: [FIXTURES, BROKEN] })));
after(async () => fh?.stop());

const rejects = async (p: Promise<unknown>, status: number, message: RegExp) => {
  await assert.rejects(p, (err: any) => {
    assert.equal(err.status, status, err.message);
    assert.match(err.message, message);
    return true;
  });
};

test('unknown app, bad domain, bad config, unknown field: 4xx with what and where', async () => {
  await rejects(fh.request('POST', '/api/installations', { app: 'nope', domain: 'x' }), 404, /no app "nope" in the catalog \(available: .*radicale/);
  await rejects(fh.request('POST', '/api/installations', { app: 'radicale', domain: 'Bad_Name!' }), 400, /not a valid domain name/);
  await rejects(fh.request('POST', '/api/installations', { app: 'radicale', domain: 'x', set: ['username=NOT VALID'] }), 400, /config\.username must match pattern/);
  await rejects(fh.request('POST', '/api/installations', { app: 'radicale', domain: 'x', set: ['colour=blue'] }), 400, /config\.colour is not an option of radicale/);
  await rejects(fh.request('POST', '/api/installations', { app: 'radicale', domain: 'x', set: ['novalue'] }), 400, /expected key=value/);
  await rejects(fh.request('POST', '/api/installations', { app: 'radicale' }), 400, /domain/);
  await rejects(fh.request('GET', '/api/installations/ghost'), 404, /no installation "ghost"/);
  const { installations } = await fh.request('GET', '/api/installations');
  assert.equal(installations.length, 0, 'nothing was created by refused requests');
});

test('an invalid manifest in a catalog is reported with its field paths; the other apps stay available', async () => {
  const { apps, problems } = await fh.request('GET', '/api/catalog');
  assert.ok(apps.some((a: any) => a.id === 'radicale'));
  assert.ok(!apps.some((a: any) => /broken/i.test(a.id)));
  assert.equal(problems.length, 1);
  assert.match(problems[0].error, /broken-catalog\/broken\/manifest\.yaml: invalid manifest/);
  assert.match(problems[0].error, /- id \(line 3\): "Broken" is not valid: an app id is lowercase/);
  assert.match(problems[0].error, /- components \(line 9\): must have at least one entry/);
});

test('the API refuses requests without the admin token', async () => {
  const res = await fetch(`${fh.client.url}/api/installations`);
  assert.equal(res.status, 401);
  assert.match((await res.json()).error, /Authorization: Bearer/);
  const wrong = await fetch(`${fh.client.url}/api/installations`, { headers: { authorization: 'Bearer fh_wrong' } });
  assert.equal(wrong.status, 401);
  assert.equal((await fetch(`${fh.client.url}/api/health`)).status, 200, 'health is public');
});

test('a health check that never passes rolls back everything the install made', { timeout: 300_000 }, async () => {
  const name = uniqueName('sick');
  const { task } = await fh.install('unhealthy', name);
  assert.equal(task.status, 'rolled_back');
  assert.match(task.error ?? '', /did not pass its health check \(GET \/never-healthy\) within 4s/);
  assert.deepEqual(await leftovers(fh, name), []);
  await assert.rejects(fh.request('GET', `/api/installations/${name}`), /no installation/);
  const { journal } = await fh.request('GET', `/api/tasks/${task.id}`);
  assert.ok(journal.some((j: any) => j.resource_key === 'container:web' && j.phase === 'failed'), 'the failure is journalled');
});

test('a name already taken is refused with 409; a port in use rolls back with a clear error', { timeout: 300_000 }, async () => {
  const name = uniqueName('dup');
  const first = await fh.install('radicale', name);
  assert.equal(first.task.status, 'succeeded', first.task.error ?? '');
  await rejects(fh.request('POST', '/api/installations', { app: 'radicale', domain: name }), 409, /already exists; choose another name/);
  await rejects(fh.request('POST', '/api/installations', { app: 'radicale', domain: `${name}.localhost`, name: 'other' }), 409, /already used by installation/);

  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(47123, '0.0.0.0', r));
  try {
    const pname = uniqueName('port');
    const { task } = await fh.install('porty', pname);
    assert.equal(task.status, 'rolled_back');
    assert.match(task.error ?? '', /port 47123\/tcp is already in use on this host/);
    assert.deepEqual(await leftovers(fh, pname), []);
  } finally {
    blocker.close();
  }
  assert.equal((await fh.uninstall(name)).status, 'succeeded');
});

test('Caddy down: install refused with what to do; the next reconcile brings Caddy and routes back', { timeout: 300_000 }, async () => {
  const name = uniqueName('edge');
  assert.equal((await fh.install('radicale', name)).task.status, 'succeeded');
  const caddy = new CaddyEdge({ dir: join(fh.dataDir, 'caddy') });
  await caddy.stop();
  await new Promise((r) => setTimeout(r, 500));
  await rejects(fh.request('POST', '/api/installations', { app: 'radicale', domain: uniqueName('no') }), 503, /Caddy is not reachable.*freehold doctor/s);
  const { installations } = await fh.request('GET', '/api/installations');
  assert.deepEqual(installations.map((i: any) => i.name), [name], 'nothing half-made');
  await fh.request('POST', '/api/reconcile');
  const page = await fh.https(`${name}.localhost`, '/.web/');
  assert.equal(page.status, 200);
  assert.equal((await fh.uninstall(name)).status, 'succeeded');
});

test('Podman unusable: install refused with what to do, nothing made', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'broken-podman-'));
  const bin = join(dir, 'podman');
  writeFileSync(bin, '#!/bin/sh\necho "Error: cannot re-exec process to join the existing user namespace" >&2\nexit 125\n');
  chmodSync(bin, 0o755);
  const broken = await TestFreehold.start({ env: { FREEHOLD_PODMAN: bin } });
  try {
    await rejects(broken.request('POST', '/api/installations', { app: 'radicale', domain: 'x' }), 503, /Podman is not usable.*freehold doctor/s);
    assert.equal((await broken.request('GET', '/api/installations')).installations.length, 0);
  } finally {
    await broken.stop();
  }
});

test('a postInstall hook runs once in the component, before traffic is routed', { timeout: 300_000 }, async () => {
  const { readFileSync } = await import('node:fs');
  const name = uniqueName('hook');
  const { task } = await fh.install('hooked', name, ['greeting=bonjour']);
  assert.equal(task.status, 'succeeded', task.error ?? '');
  assert.equal(readFileSync(join(fh.dataDir, 'volumes', name, 'installed-by-hook'), 'utf8'), 'bonjour');
  const { journal, log } = await fh.request('GET', `/api/tasks/${task.id}`);
  const order = journal.filter((j: any) => j.phase === 'done').map((j: any) => j.resource_key);
  assert.ok(order.indexOf('hook:postInstall') < order.indexOf('route'), 'hook before route');
  assert.ok(log.some((l: any) => /running postInstall hook/.test(l.line)));
  const plan = await fh.request('GET', `/api/installations/${name}/plan`);
  assert.deepEqual(plan.steps, [], 'the hook does not run again');
  assert.equal((await fh.uninstall(name)).status, 'succeeded');
});

test('an image that cannot be pulled rolls back the install and says what to do', { timeout: 300_000 }, async () => {
  const name = uniqueName('pull');
  const { task } = await fh.install('pullonly', name);
  assert.equal(task.status, 'rolled_back');
  assert.match(task.error ?? '', /cannot pull image 127\.0\.0\.1:9\/freehold\/nothing:1\.0 .*podman load/s);
  assert.deepEqual(await leftovers(fh, name), []);
});
