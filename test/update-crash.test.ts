// SIGKILL of the control plane during an update, at several steps: after the restart the update
// has either changed nothing or rolled back; the app serves its data, no stray container is left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { VERSIONED_CATALOG, containersOf, hasEvent, installVersioned, installation, migrations, writeEvent } from './helpers/versioned.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start({ catalogDirs: [VERSIONED_CATALOG] })));
after(async () => fh?.stop());

const cases = [
  { failpoint: 'update:snapshotted', to: '1.1.0', status: 'failed', says: /interrupted before anything changed/ },
  { failpoint: 'update:prepared', to: '1.1.0', status: 'failed', says: /interrupted before anything changed/ },
  { failpoint: 'update:switched', to: '1.1.0', status: 'rolled_back', says: /the control plane stopped during the update/ },
  // The new container runs (migrated, healthy) but the engine has not recorded it yet.
  { failpoint: 'update:container:web:after', to: '1.1.0', status: 'rolled_back', says: /the control plane stopped during the update/ },
  { failpoint: 'update:converged', to: '1.1.0', status: 'rolled_back', says: /the control plane stopped during the update/ },
  // Killed while rolling back a failed migration: the rollback finishes, and still says why.
  { failpoint: 'restore:stopped', to: '2.0.0', status: 'rolled_back', says: /the migration from 1\.0\.0 to 2\.0\.0 failed/ },
];

for (const c of cases) {
  test(`killed at ${c.failpoint} (update to ${c.to}): ${c.status === 'failed' ? 'nothing changed' : 'rolled back'}, 1.0.0 serves its data`, { timeout: 900_000 }, async () => {
    const v = await installVersioned(fh, uniqueName('uc'));
    await writeEvent(v, 1);
    const task = await fh.crashAt(c.failpoint, async () => (await fh.request('POST', `/api/installations/${v.name}/update`, { to: c.to, packageVersion: 1 })).task.id);
    assert.equal(task.status, c.status, `${task.status}: ${task.error}`);
    assert.match(`${task.message}\n${task.error}`, c.says);
    const inst = await installation(v);
    assert.equal(inst.version, '1.0.0');
    assert.equal(inst.status, 'running');
    assert.deepEqual(inst.config, { username: 'alice' });
    assert.ok(await hasEvent(v, 1), 'the data written before the update is served');
    assert.deepEqual(migrations(v), []);
    const containers = await containersOf(v);
    assert.deepEqual(containers.map((x) => `${x.name} ${x.state}`), [`fh-${v.name}-web running`], 'one container, no migration container left');
    assert.match(containers[0].image, /versioned-web:1\.0\.0-1-/);
    const { snapshots } = await fh.request('GET', `/api/installations/${v.name}/backups`);
    assert.equal(snapshots.length, 1, 'the pre-update snapshot and no other');
    await writeEvent(v, 2);
    assert.ok(await hasEvent(v, 2));
    assert.equal((await fh.uninstall(v.name)).status, 'succeeded');
  });
}
