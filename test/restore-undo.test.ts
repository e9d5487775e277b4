// A restore that fails after it replaced the data undoes itself: the app's files, its database,
// version and config are put back as they were just before, and the app serves again. The
// fixture app refuses to start while /data/refuse-to-start exists; the snapshot holds that file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { VERSIONED_CATALOG } from './helpers/versioned.js';
import { podman } from './helpers/leftovers.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start({ catalogDirs: [VERSIONED_CATALOG] })));
after(async () => fh?.stop());

test('a restore whose app does not start puts back the data, the database and the app as they were', { timeout: 600_000 }, async () => {
  const name = uniqueName('ru');
  const { task } = await fh.install('fragile', name);
  assert.equal(task.status, 'succeeded', task.error ?? '');
  const db = `fh_${name.replace(/-/g, '_')}`;
  const sql = async (statement: string) => {
    const r = await podman.exec('freehold-postgres', ['psql', '-X', '-tA', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', `SET ROLE ${db}; ${statement}`], { user: 'postgres' });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.split('\n').filter((l) => l && l !== 'SET');
  };
  const volume = join(fh.dataDir, 'volumes', name);

  // The snapshot: a row, a file, and what keeps the app from starting.
  await sql("CREATE TABLE notes (v text); INSERT INTO notes VALUES ('in the snapshot')");
  writeFileSync(join(volume, 'marker'), 'snapshot');
  writeFileSync(join(volume, 'refuse-to-start'), '');
  const backup = await fh.waitTask((await fh.request('POST', `/api/installations/${name}/backups`)).task.id);
  assert.equal(backup.status, 'succeeded', backup.error ?? '');
  const [snapshot] = (await fh.request('GET', `/api/installations/${name}/backups`)).snapshots;

  // What the installation holds now, which the failed restore must not lose.
  rmSync(join(volume, 'refuse-to-start'));
  writeFileSync(join(volume, 'marker'), 'current');
  await sql("INSERT INTO notes VALUES ('after the snapshot')");

  const restore = await fh.request('POST', `/api/installations/${name}/restore`, { snapshot: snapshot.shortId });
  const done = await fh.waitTask(restore.task.id);
  assert.equal(done.status, 'rolled_back', JSON.stringify(done));
  assert.match(done.message, new RegExp(`the restore to ${snapshot.shortId} failed and was undone: ${name} serves its data as before`));
  assert.match(done.error ?? '', /exited during start-up|did not pass its health check/);
  const { log } = await fh.request('GET', `/api/tasks/${restore.task.id}`);
  const lines = log.map((l: { line: string }) => l.line);
  assert.ok(lines.includes('putting back what it replaced'), lines.join('\n'));
  assert.ok(lines.some((l: string) => /dumping postgres as it is now/.test(l)), lines.join('\n'));

  assert.equal(readFileSync(join(volume, 'marker'), 'utf8'), 'current');
  assert.equal(existsSync(join(volume, 'refuse-to-start')), false);
  assert.deepEqual((await sql('SELECT v FROM notes ORDER BY v')).sort(), ['after the snapshot', 'in the snapshot']);
  assert.equal((await fh.https(`${name}.localhost`, '/.web/')).status, 200);
  const containers = await podman.list(`freehold.installation=${name}`);
  assert.deepEqual(containers.map((c) => c.state), ['running']);
  const inst = await fh.request('GET', `/api/installations/${name}`);
  assert.equal((inst.installation ?? inst).status, 'running');
  assert.deepEqual(readdirSync(join(fh.dataDir, 'staging')).filter((d) => d.startsWith('restore-')), [], 'no restore scratch left');

  assert.equal((await fh.uninstall(name)).status, 'succeeded');
});
