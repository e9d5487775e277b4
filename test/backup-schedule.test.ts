// Scheduled snapshots with retention, a schedule turned off, bad policies refused, and the
// integrity check of a target.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFreehold, uniqueName } from './helpers/freehold.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start({ scheduleIntervalSeconds: 1 })));
after(async () => fh?.stop());

const backupTasks = async (name: string) => (await fh.request('GET', `/api/tasks?installation=${name}`)).tasks.filter((t: any) => t.kind === 'backup');
const snapshots = async (name: string) => (await fh.request('GET', `/api/installations/${name}/backups`)).snapshots;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a schedule takes snapshots by itself and retention keeps only what it says', { timeout: 600_000 }, async () => {
  const name = uniqueName('sch');
  // The default policy: daily, keeping 7 daily, 4 weekly and 6 monthly.
  await fh.request('POST', '/api/installations', { app: 'radicale', domain: name });
  const before = await fh.request('GET', `/api/installations/${name}/backup-policy`);
  assert.deepEqual(before.policy, { enabled: true, everyMinutes: 1440, keep: { daily: 7, weekly: 4, monthly: 6 } });
  const { policy } = await fh.request('PUT', `/api/installations/${name}/backup-policy`, { everyMinutes: 0.05, keep: { last: 2, daily: 0, weekly: 0, monthly: 0 } });
  assert.equal(policy.everyMinutes, 0.05);

  const deadline = Date.now() + 180_000;
  while ((await backupTasks(name)).filter((t: any) => t.status === 'succeeded').length < 4) {
    assert.ok(Date.now() < deadline, 'four scheduled backups within 3 minutes');
    await sleep(500);
  }
  const tasks = await backupTasks(name);
  assert.ok(tasks.every((t: any) => t.params.scheduled === true), 'taken by the schedule');
  while ((await snapshots(name)).length > 2) {
    assert.ok(Date.now() < deadline, 'retention applied');
    await sleep(500);
  }
  assert.ok((await snapshots(name)).length >= 1);

  await fh.request('PUT', `/api/installations/${name}/backup-policy`, { enabled: false });
  await sleep(2000); // a backup already started may still finish
  const count = (await backupTasks(name)).length;
  await sleep(5000);
  assert.equal((await backupTasks(name)).length, count, 'no more backups once the schedule is off');
  assert.equal((await fh.uninstall(name)).status, 'succeeded');
});

test('bad policies are refused with the field; the integrity check of a target runs as a task', { timeout: 300_000 }, async () => {
  const name = uniqueName('pol');
  assert.equal((await fh.install('radicale', name)).task.status, 'succeeded');
  await fh.request('PUT', `/api/installations/${name}/backup-policy`, { enabled: false });
  await assert.rejects(fh.request('PUT', `/api/installations/${name}/backup-policy`, { everyMinutes: 0 }), /everyMinutes/);
  await assert.rejects(fh.request('PUT', `/api/installations/${name}/backup-policy`, { keep: { last: 0, daily: 0, weekly: 0, monthly: 0 } }), /keep at least one snapshot/);
  await assert.rejects(fh.request('PUT', `/api/installations/${name}/backup-policy`, { keep: { daily: -1 } }), /keep\.daily/);
  assert.equal((await fh.waitTask((await fh.request('POST', `/api/installations/${name}/backups`)).task.id)).status, 'succeeded');
  const check = await fh.waitTask((await fh.request('POST', '/api/backup-targets/local/check')).task.id);
  assert.equal(check.status, 'succeeded', check.error ?? '');
  assert.match(check.message, /no errors found/);
  await assert.rejects(fh.request('POST', '/api/backup-targets/nowhere/check'), /no backup target "nowhere"/);
  assert.equal((await fh.uninstall(name)).status, 'succeeded');
});

test('backups that keep failing raise one backup_overdue alert', { timeout: 300_000 }, async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { run } = await import('../src/lib/spawn.js');
  // A repository whose password Freehold does not have: every backup to it fails.
  const scratch = mkdtempSync(join(tmpdir(), 'fh-overdue-'));
  await run(['restic', '-r', join(scratch, 'repo'), 'init'], { env: { ...process.env, RESTIC_PASSWORD: 'not-freeholds', RESTIC_CACHE_DIR: join(scratch, 'cache') } });
  await fh.request('POST', '/api/backup-targets', { name: 'locked', kind: 'local', path: join(scratch, 'repo'), password: 'wrong-one' });
  const name = uniqueName('ovd');
  assert.equal((await fh.install('radicale', name)).task.status, 'succeeded');
  await fh.request('PUT', `/api/installations/${name}/backup-target`, { target: 'locked' });
  await fh.request('PUT', `/api/installations/${name}/backup-policy`, { everyMinutes: 0.05 });
  const overdue = async () => (await fh.request('GET', `/api/events?installation=${name}`)).events.filter((e: any) => e.kind === 'backup_overdue');
  const deadline = Date.now() + 120_000;
  while (!(await overdue()).length) {
    assert.ok(Date.now() < deadline, 'an overdue alert within 2 minutes');
    await sleep(500);
  }
  await sleep(4000);
  const events = await overdue();
  assert.equal(events.length, 1, 'reported once');
  assert.match(events[0].message, new RegExp(`no successful backup of ${name} for .* h`));
  const failed = (await fh.request('GET', `/api/events?installation=${name}`)).events.filter((e: any) => e.kind === 'backup_failed');
  assert.ok(failed.length >= 1 && failed.every((e: any) => /password .* is wrong/.test(e.message)));
  await fh.request('PUT', `/api/installations/${name}/backup-policy`, { enabled: false });
  await fh.request('PUT', `/api/installations/${name}/backup-target`, { target: 'local' });
  assert.equal((await fh.uninstall(name)).status, 'succeeded');
});
