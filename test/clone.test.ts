// Clone: a snapshot of one installation becomes a second, independent installation (its own
// database, user and data): a write to one does not appear in the other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { mediawiki, wordpress } from './helpers/app-cases.js';
import { leftovers } from './helpers/leftovers.js';
import type { AppCase, AppContext } from './helpers/app-lifecycle.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start()));
after(async () => fh?.stop());

async function context(name: string, url: string): Promise<AppContext> {
  const { secrets } = await fh.request('GET', `/api/installations/${name}/credentials`);
  return { fh, name, domain: `${name}.localhost`, url, secrets };
}

for (const c of [mediawiki, wordpress] as AppCase[]) {
  test(`${c.app}: clone a snapshot into an independent installation`, { timeout: 900_000 }, async () => {
    const a = uniqueName('ca');
    const b = uniqueName('cb');
    const installed = await fh.install(c.app, a, c.set ?? []);
    assert.equal(installed.task.status, 'succeeded', installed.task.error ?? '');
    const ctxA = await context(a, installed.installation.url);
    await c.write(ctxA);
    const backup = await fh.waitTask((await fh.request('POST', `/api/installations/${a}/backups`)).task.id);
    assert.equal(backup.status, 'succeeded', backup.error ?? '');
    const [snap] = (await fh.request('GET', `/api/installations/${a}/backups`)).snapshots;

    const cloned = await fh.request('POST', `/api/installations/${a}/clone`, { snapshot: snap.shortId, domain: b });
    const task = await fh.waitTask(cloned.task.id);
    assert.equal(task.status, 'succeeded', task.error ?? '');
    const ctxB = await context(b, cloned.installation.url);
    await c.readBack({ ...ctxB, name: a }); // B serves A's data...

    await c.write(ctxB); // ...and from now on lives its own life
    await c.readBack(ctxB);
    await c.readBack(ctxA);
    await assert.rejects(c.readBack({ ...ctxA, name: b }), 'a write to the clone does not appear in the original');

    for (const n of [a, b]) {
      assert.equal((await fh.uninstall(n)).status, 'succeeded');
      assert.deepEqual(await leftovers(fh, n), []);
    }
  });
}

test('clone of an unknown snapshot or onto a taken name: refused, nothing made', async () => {
  const a = uniqueName('cx');
  assert.equal((await fh.install('radicale', a)).task.status, 'succeeded');
  await assert.rejects(fh.request('POST', `/api/installations/${a}/clone`, { snapshot: 'deadbeef', domain: uniqueName('cy') }), /no snapshot deadbeef/);
  await assert.rejects(fh.request('POST', `/api/installations/${a}/clone`, { snapshot: 'deadbeef' }), /domain/);
  assert.deepEqual((await fh.request('GET', '/api/installations')).installations.map((i: any) => i.name), [a]);
  assert.equal((await fh.uninstall(a)).status, 'succeeded');
});
