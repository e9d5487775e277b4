// Snapshots that restore: for each catalog app with state, write data through the app, take a
// snapshot, destroy the installation, install it again (empty), restore: the same data is served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { appCases } from './helpers/app-cases.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start()));
after(async () => fh?.stop());

for (const c of appCases) {
  test(`${c.app}: snapshot, destroy, reinstall, restore: the data is back`, { timeout: 900_000 }, async () => {
    const name = uniqueName(`b${c.app.slice(0, 2)}`);
    const install = async () => {
      const { task, installation } = await fh.install(c.app, name, c.set ?? []);
      assert.equal(task.status, 'succeeded', task.error ?? '');
      const { secrets } = await fh.request('GET', `/api/installations/${name}/credentials`);
      return { fh, name, domain: `${name}.localhost`, url: installation.url, secrets };
    };
    let ctx = await install();
    await c.write(ctx);
    await c.readBack(ctx);

    const backup = await fh.request('POST', `/api/installations/${name}/backups`);
    const done = await fh.waitTask(backup.task.id);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    const { snapshots } = await fh.request('GET', `/api/installations/${name}/backups`);
    assert.equal(snapshots.length, 1);
    assert.equal(snapshots[0].tags.app, c.app);
    assert.match(done.message, new RegExp(`snapshot ${snapshots[0].shortId}`));

    assert.equal((await fh.uninstall(name)).status, 'succeeded');
    ctx = await install();
    await assert.rejects(c.readBack(ctx), 'a fresh installation does not have the data');

    const restore = await fh.request('POST', `/api/installations/${name}/restore`, { snapshot: snapshots[0].shortId });
    const restored = await fh.waitTask(restore.task.id);
    assert.equal(restored.status, 'succeeded', restored.error ?? '');
    await c.readBack(ctx);
    assert.equal((await fh.request('GET', `/api/installations/${name}`)).installation.status, 'running');
    assert.equal((await fh.uninstall(name)).status, 'succeeded');
  });
}

test('restore of an unknown snapshot: 404 with what to do, nothing changes', { timeout: 300_000 }, async () => {
  const name = uniqueName('bx');
  assert.equal((await fh.install('radicale', name)).task.status, 'succeeded');
  await assert.rejects(fh.request('POST', `/api/installations/${name}/restore`, { snapshot: 'deadbeef' }), (err: any) => {
    assert.equal(err.status, 404);
    assert.match(err.message, new RegExp(`no snapshot deadbeef of ${name} \\(see "freehold backups ${name}"\\)`));
    return true;
  });
  await assert.rejects(fh.request('POST', `/api/installations/${name}/restore`, { snapshot: 'not an id' }), /is not a snapshot id/);
  assert.equal((await fh.https(`${name}.localhost`, '/.web/')).status, 200);
  assert.equal((await fh.uninstall(name)).status, 'succeeded');
});
