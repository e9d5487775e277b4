// SIGKILL of the control plane during a backup and during a restore: after a restart the task
// runs again and finishes, the app serves, its data is the snapshot's, and nothing is left over
// (no second container, no half snapshot).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { radicale } from './helpers/app-cases.js';
import { podman } from './helpers/leftovers.js';
import type { AppContext } from './helpers/app-lifecycle.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start()));
after(async () => fh?.stop());

const crashAt = (failpoint: string, start: () => Promise<string>) => fh.crashAt(failpoint, start);

async function installWithEvent(): Promise<AppContext> {
  const name = uniqueName('bk');
  const { task, installation } = await fh.install('radicale', name, radicale.set);
  assert.equal(task.status, 'succeeded', task.error ?? '');
  const { secrets } = await fh.request('GET', `/api/installations/${name}/credentials`);
  const ctx = { fh, name, domain: `${name}.localhost`, url: installation.url, secrets };
  await radicale.write(ctx);
  return ctx;
}

const snapshotsOf = async (name: string) => (await fh.request('GET', `/api/installations/${name}/backups`)).snapshots;

test('killed during a backup: it is taken again after the restart, one snapshot, the app serves', { timeout: 600_000 }, async () => {
  const ctx = await installWithEvent();
  const task = await crashAt('backup:dumped', async () => (await fh.request('POST', `/api/installations/${ctx.name}/backups`)).task.id);
  assert.equal(task.status, 'succeeded', task.error ?? '');
  assert.equal((await snapshotsOf(ctx.name)).length, 1);
  await radicale.readBack(ctx);
  assert.equal((await fh.uninstall(ctx.name)).status, 'succeeded');
});

for (const point of ['restore:stopped', 'restore:restored']) {
  test(`killed during a restore (${point}): it runs again after the restart and the data is the snapshot's`, { timeout: 600_000 }, async () => {
    const ctx = await installWithEvent();
    const backup = await fh.waitTask((await fh.request('POST', `/api/installations/${ctx.name}/backups`)).task.id);
    assert.equal(backup.status, 'succeeded', backup.error ?? '');
    const [snap] = await snapshotsOf(ctx.name);
    // Lose the event, then restore the snapshot that has it, with a crash in the middle.
    const gone = await fh.https(ctx.domain, '/alice/work/event1.ics', { method: 'DELETE', headers: { authorization: `Basic ${Buffer.from(`alice:${ctx.secrets.password}`).toString('base64')}` } });
    assert.ok(gone.status < 300, `event deleted (${gone.status})`);
    await assert.rejects(radicale.readBack(ctx));
    const task = await crashAt(point, async () => (await fh.request('POST', `/api/installations/${ctx.name}/restore`, { snapshot: snap.shortId })).task.id);
    assert.equal(task.status, 'succeeded', task.error ?? '');
    await radicale.readBack(ctx);
    const containers = await podman.list(`freehold.installation=${ctx.name}`);
    assert.deepEqual(containers.map((c) => c.state), ['running']);
    assert.equal((await snapshotsOf(ctx.name)).length, 1, 'no stray snapshot');
    assert.equal((await fh.uninstall(ctx.name)).status, 'succeeded');
  });
}
