// Updates against real Podman and Caddy with the update fixture app: an update that works
// (migration once, renamed option carried over, data kept), a rollback by hand, and updates that
// fail (migration, health check, image) and roll back by themselves with the data intact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { leftovers } from './helpers/leftovers.js';
import { VERSIONED_CATALOG, containersOf, hasEvent, installVersioned, installation, migrations, update, writeEvent } from './helpers/versioned.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start({ catalogDirs: [VERSIONED_CATALOG] })));
after(async () => fh?.stop());

test('update 1.0.0 -> 1.1.0: snapshot first, migration once, renamed option carried, data kept; rollback by hand; a package revision runs no migration', { timeout: 900_000 }, async () => {
  const v = await installVersioned(fh, uniqueName('up'));
  await writeEvent(v, 1);

  const offers = await fh.request('GET', `/api/installations/${v.name}/updates?to=1.1.0&package=1`);
  assert.deepEqual(offers.offers.map((o: any) => `${o.version}-${o.packageVersion} ${o.step} ${o.reachable}`), ['5.0.0-1 major false', '4.0.0-1 major true', '3.0.0-1 major true', '2.0.0-1 major true', '1.1.0-2 minor true', '1.1.0-1 minor true']);
  assert.match(offers.offers[0].reason, /updates only from versions >=4\.0\.0/);
  assert.deepEqual(offers.preview.config, [
    { path: 'account', kind: 'renamed', from: 'username', old: 'alice', new: 'alice' },
    { path: 'theme', kind: 'added', new: 'light' },
  ]);
  assert.equal(offers.preview.migrates, true);
  assert.equal((await installation(v)).updateAvailable, '5.0.0 (package 1)');

  const done = await update(v, '1.1.0');
  assert.equal(done.status, 'succeeded', done.error ?? '');
  assert.match(done.message, /from 1\.0\.0 to 1\.1\.0/);
  let inst = await installation(v);
  assert.equal(inst.version, '1.1.0');
  assert.equal(inst.status, 'running');
  assert.deepEqual(inst.config, { account: 'alice', theme: 'light' });
  assert.deepEqual(migrations(v), ['1.1.0']);
  assert.ok(await hasEvent(v, 1), 'the data written before the update is served (signing in as the carried-over account)');
  const { snapshots } = await fh.request('GET', `/api/installations/${v.name}/backups`);
  assert.equal(snapshots.length, 1, 'one pre-update snapshot');
  assert.equal(snapshots[0].tags.version, '1.0.0');
  assert.equal(snapshots[0].tags.reason, 'pre-update');
  assert.match((await containersOf(v)).map((c) => c.image).join(), /versioned-web:1\.1\.0-1-/);

  await writeEvent(v, 2);
  const back = await fh.request('POST', `/api/installations/${v.name}/rollback`);
  const rolled = await fh.waitTask(back.task.id);
  assert.equal(rolled.status, 'succeeded', rolled.error ?? '');
  inst = await installation(v);
  assert.equal(inst.version, '1.0.0');
  assert.deepEqual(inst.config, { username: 'alice' });
  assert.ok(await hasEvent(v, 1));
  assert.equal(await hasEvent(v, 2), false, 'data written after the update is gone with the rollback');
  assert.deepEqual(migrations(v), [], 'the data is as before the migration');
  assert.match((await containersOf(v)).map((c) => c.image).join(), /versioned-web:1\.0\.0-1-/);

  assert.equal((await update(v, '1.1.0')).status, 'succeeded');
  const revision = await update(v, '1.1.0', 2);
  assert.equal(revision.status, 'succeeded', revision.error ?? '');
  inst = await installation(v);
  assert.equal(`${inst.version}-${inst.packageVersion}`, '1.1.0-2');
  assert.deepEqual(migrations(v), ['1.1.0'], 'a packaging revision runs no migration');
  assert.ok(await hasEvent(v, 1));

  assert.equal((await fh.uninstall(v.name)).status, 'succeeded');
  assert.deepEqual(await leftovers(fh, v.name), []);
});

for (const c of [
  { to: '2.0.0', what: 'a failing migration', error: /the migration from 1\.0\.0 to 2\.0\.0 failed \(exit 3\): cannot migrate, the schema is locked/ },
  { to: '3.0.0', what: 'a health check that never passes', error: /did not pass its health check \(GET \/never-healthy\) within 8s/ },
]) {
  test(`${c.what} (${c.to}) rolls back by itself: 1.0.0 serves with its data, the user is told why`, { timeout: 900_000 }, async () => {
    const v = await installVersioned(fh, uniqueName('uf'));
    await writeEvent(v, 1);
    const done = await update(v, c.to);
    assert.equal(done.status, 'rolled_back', `${done.status}: ${done.error}`);
    assert.match(done.error ?? '', c.error);
    assert.match(done.message, new RegExp(`update to ${c.to.replace(/\./g, '\\.')} failed and was rolled back: ${v.name} runs 1\\.0\\.0 again`));
    const inst = await installation(v);
    assert.equal(inst.version, '1.0.0');
    assert.equal(inst.status, 'running');
    assert.deepEqual(inst.config, { username: 'alice' });
    assert.ok(await hasEvent(v, 1), 'the data written before the update is intact');
    assert.deepEqual(migrations(v), [], 'what the new version wrote into the data is undone');
    const containers = await containersOf(v);
    assert.deepEqual(containers.map((x) => x.name), [`fh-${v.name}-web`], 'no migration container is left');
    assert.match(containers[0].image, /versioned-web:1\.0\.0-1-/);
    const { events } = await fh.request('GET', `/api/events?installation=${v.name}`);
    assert.equal(events[0]?.kind, 'update_failed');
    assert.match(events[0].message, /update of .* failed and was rolled back/);
    await writeEvent(v, 2);
    assert.ok(await hasEvent(v, 2), 'it takes writes again');
    assert.equal((await fh.uninstall(v.name)).status, 'succeeded');
  });
}

test('an image that does not build (4.0.0): the update fails before anything changes, the app never stops', { timeout: 900_000 }, async () => {
  const v = await installVersioned(fh, uniqueName('ui'));
  await writeEvent(v, 1);
  const before = await containersOf(v);
  const done = await update(v, '4.0.0');
  assert.equal(done.status, 'failed');
  assert.match(done.message, /update failed before anything changed; .* keeps running 1\.0\.0/);
  assert.match(done.error ?? '', /the image of web \(localhost\/freehold\/versioned-web:4\.0\.0-1-[0-9a-f]+\) could not be made/);
  assert.deepEqual(await containersOf(v), before, 'the same container ran all along');
  const inst = await installation(v);
  assert.equal(inst.version, '1.0.0');
  assert.equal(inst.status, 'running');
  assert.ok(await hasEvent(v, 1));
  assert.equal((await fh.uninstall(v.name)).status, 'succeeded');
});

test('bad update requests: clear 4xx errors, nothing changes', { timeout: 600_000 }, async () => {
  const v = await installVersioned(fh, uniqueName('ub'));
  const refused = async (body: unknown, status: number, message: RegExp, path = 'update', method = 'POST') =>
    assert.rejects(fh.request(method, `/api/installations/${v.name}/${path}`, body), (err: any) => {
      assert.equal(err.status, status, err.message);
      assert.match(err.message, message);
      return true;
    });
  await refused({ to: '5.0.0' }, 400, /runs 1\.0\.0, but 5\.0\.0 updates only from versions >=4\.0\.0; update to an intermediate version first/);
  await refused({ to: '9.9.9' }, 404, /no version 9\.9\.9 of versioned in the catalog \(versions: 5\.0\.0, 4\.0\.0, 3\.0\.0, 2\.0\.0, 1\.1\.0, 1\.1\.0, 1\.0\.0\)/);
  await refused({ to: '1.0.0' }, 400, /already runs versioned 1\.0\.0; 1\.0\.0 is not newer/);
  await refused(undefined, 400, /has no update to roll back/, 'rollback');
  await refused({ mode: 'sometimes' }, 400, /mode/, 'update-policy', 'PUT');
  await refused({ window: { start: '25:00', end: '03:00' } }, 400, /window\/start|window\.start/, 'update-policy', 'PUT');
  await assert.rejects(fh.request('POST', '/api/installations/nope/update', {}), (err: any) => err.status === 404);
  const inst = await installation(v);
  assert.equal(inst.version, '1.0.0');
  const { tasks } = await fh.request('GET', `/api/tasks?installation=${v.name}`);
  assert.deepEqual(tasks.map((t: any) => t.kind), ['install'], 'no task was started');
  assert.equal((await fh.uninstall(v.name)).status, 'succeeded');
});
