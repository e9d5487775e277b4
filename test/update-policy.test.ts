// Updates by policy: off by default; patch does not take a minor release; minor does, but only
// inside its maintenance window.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { VERSIONED_CATALOG, hasEvent, installVersioned, installation, writeEvent } from './helpers/versioned.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start({ catalogDirs: [VERSIONED_CATALOG], scheduleIntervalSeconds: 1 })));
after(async () => fh?.stop());

const hhmm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
const inHours = (h: number) => hhmm(new Date(Date.now() + h * 3600_000));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a policy updates by itself within its window, never beyond its mode', { timeout: 900_000 }, async () => {
  const v = await installVersioned(fh, uniqueName('pol'));
  await fh.request('PUT', `/api/installations/${v.name}/backup-policy`, { enabled: false });
  await writeEvent(v, 1);
  const policy = `/api/installations/${v.name}/update-policy`;
  const updates = async () => (await fh.request('GET', `/api/tasks?installation=${v.name}`)).tasks.filter((t: any) => t.kind === 'update');

  assert.deepEqual((await fh.request('GET', policy)).policy, { mode: 'off' });
  await fh.request('PUT', policy, { mode: 'patch' });
  await sleep(4000);
  assert.deepEqual(await updates(), [], 'patch does not take 1.1.0, a minor release');

  const outside = await fh.request('PUT', policy, { mode: 'minor', window: { start: inHours(2), end: inHours(3) } });
  assert.deepEqual(outside.policy, { mode: 'minor', window: { start: inHours(2), end: inHours(3) } });
  await sleep(4000);
  assert.deepEqual(await updates(), [], 'not outside its window');

  await fh.request('PUT', policy, { window: { start: inHours(-1), end: inHours(1) } });
  const deadline = Date.now() + 120_000;
  let started: any[] = [];
  while (!started.length && Date.now() < deadline) {
    await sleep(500);
    started = await updates();
  }
  assert.equal(started.length, 1, 'the policy started an update');
  const done = await fh.waitTask(started[0].id);
  assert.equal(done.status, 'succeeded', done.error ?? '');
  assert.equal(done.params.scheduled, true);
  const inst = await installation(v);
  assert.equal(`${inst.version}-${inst.packageVersion}`, '1.1.0-2', 'the newest minor release, at its newest packaging');
  assert.ok(await hasEvent(v, 1));
  await sleep(3000);
  assert.equal((await updates()).length, 1, 'no further update: 2.0.0 and later are major releases');
  assert.equal((await fh.uninstall(v.name)).status, 'succeeded');
});
