// SIGKILL of the control plane at several steps of an install, a rollback and an uninstall:
// after a restart the installation converges (running, no duplicates) or is cleanly removed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { leftovers, podman } from './helpers/leftovers.js';

const FIXTURES = new URL('./fixtures/catalog', import.meta.url).pathname;
let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start({ catalogDirs: [FIXTURES] })));
after(async () => fh?.stop());

const crashAt = (failpoint: string, start: () => Promise<string>) => fh.crashAt(failpoint, start);

const installAt = (app: string, name: string) => async () => (await fh.request('POST', '/api/installations', { app, domain: name })).task.id as string;

for (const point of ['create:addon:volume:after', 'create:container:web:before', 'create:container:web:after', 'create:route:before', 'create:route:after']) {
  test(`killed at ${point}: the install resumes and converges`, { timeout: 300_000 }, async () => {
    const name = uniqueName('k');
    const task = await crashAt(point, installAt('radicale', name));
    assert.equal(task.status, 'succeeded', task.error ?? '');
    const containers = await podman.list(`freehold.installation=${name}`);
    assert.deepEqual(containers.map((c) => [c.name, c.state]), [[`fh-${name}-web`, 'running']], 'exactly one container');
    assert.equal((await fh.https(`${name}.localhost`, '/.web/')).status, 200);
    assert.equal((await fh.uninstall(name)).status, 'succeeded');
    assert.deepEqual(await leftovers(fh, name), []);
  });
}

test('killed while rolling back a failed install: the rollback finishes after restart', { timeout: 300_000 }, async () => {
  const name = uniqueName('rb');
  const task = await crashAt('delete:container:web:before', installAt('unhealthy', name));
  assert.equal(task.status, 'rolled_back', task.error ?? '');
  assert.deepEqual(await leftovers(fh, name), []);
});

test('killed during uninstall: the uninstall finishes after restart', { timeout: 300_000 }, async () => {
  const name = uniqueName('un');
  assert.equal((await fh.install('radicale', name)).task.status, 'succeeded');
  const task = await crashAt('delete:addon:volume:before', async () => (await fh.request('DELETE', `/api/installations/${name}`)).task.id);
  assert.equal(task.status, 'succeeded', task.error ?? '');
  assert.deepEqual(await leftovers(fh, name), []);
});

const pgRows = async (sql: string) =>
  (await podman.exec('freehold-postgres', ['psql', '-X', '-tA', '-d', 'postgres', '-c', sql], { user: 'postgres' })).stdout.split('\n').filter(Boolean);

for (const point of ['create:addon:postgres:before', 'create:addon:postgres:after']) {
  test(`killed at ${point}: one database and one user after resuming, none after uninstall`, { timeout: 600_000 }, async () => {
    const name = uniqueName('pg');
    const db = `fh_${name}`;
    const task = await crashAt(point, installAt('pgfixture', name));
    assert.equal(task.status, 'succeeded', task.error ?? '');
    assert.deepEqual(await pgRows(`SELECT datname FROM pg_database WHERE datname = '${db}'`), [db]);
    assert.deepEqual(await pgRows(`SELECT rolname FROM pg_roles WHERE rolname = '${db}'`), [db]);
    assert.equal((await podman.list(`freehold.installation=${name}`)).length, 1);
    assert.equal((await fh.uninstall(name)).status, 'succeeded');
    assert.deepEqual(await pgRows(`SELECT datname FROM pg_database WHERE datname = '${db}'`), []);
    assert.deepEqual(await pgRows(`SELECT rolname FROM pg_roles WHERE rolname = '${db}'`), []);
    assert.deepEqual(await leftovers(fh, name), []);
  });
}
