// Backup targets against real servers on loopback: SFTP (OpenSSH's sshd) and S3 (s3rver) round
// trips with a Radicale installation, and the bad inputs of issue 3: a wrong repository password,
// an unreachable SFTP server, a full disk. Each fails with a clear error while the app keeps
// serving and no snapshot is lost. The API never shows a password, key or secret.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { radicale } from './helpers/app-cases.js';
import { startS3, startSshd, sshKey, type Sshd } from './helpers/servers.js';
import { run } from '../src/lib/spawn.js';
import { freePort } from '../src/lib/net.js';

let fh: TestFreehold;
let sshd: Sshd;
const scratch = mkdtempSync(join(tmpdir(), 'freehold-targets-'));
before(async () => {
  [fh, sshd] = await Promise.all([TestFreehold.start(), startSshd()]);
});
after(async () => {
  await Promise.all([fh?.stop(), sshd?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

const install = async (name: string) => {
  const { task, installation } = await fh.install('radicale', name, radicale.set ?? []);
  assert.equal(task.status, 'succeeded', task.error ?? '');
  const { secrets } = await fh.request('GET', `/api/installations/${name}/credentials`);
  return { fh, name, domain: `${name}.localhost`, url: installation.url, secrets };
};
const backup = async (name: string) => fh.waitTask((await fh.request('POST', `/api/installations/${name}/backups`)).task.id);
const useTarget = (name: string, target: string) => fh.request('PUT', `/api/installations/${name}/backup-target`, { target });
const serves = async (ctx: Awaited<ReturnType<typeof install>>) => {
  assert.equal((await fh.https(ctx.domain, '/.web/')).status, 200);
  await radicale.readBack(ctx);
};

/** Every key anywhere in a JSON value */
const keys = (v: unknown): string[] => (v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [...(Array.isArray(v) ? [] : [k]), ...keys(x)]) : []);
const assertNoSecret = (body: unknown, secrets: string[]) => {
  const json = JSON.stringify(body);
  for (const k of keys(body)) assert.doesNotMatch(k, /password|secret|key|cert/i, `field ${k} in ${json}`);
  for (const s of secrets) assert.ok(!json.includes(s.trim()), `a secret is in ${json}`);
};

/** Install, write, back up to the target, destroy, reinstall, restore: the event is back */
async function roundTrip(target: string) {
  const name = uniqueName('tg');
  let ctx = await install(name);
  assert.deepEqual(await useTarget(name, target), { installation: name, target });
  await radicale.write(ctx);
  const done = await backup(name);
  assert.equal(done.status, 'succeeded', done.error ?? '');
  const { snapshots } = await fh.request('GET', `/api/installations/${name}/backups`);
  assert.equal(snapshots.length, 1);
  const { targets } = await fh.request('GET', '/api/backup-targets');
  assert.deepEqual(targets.find((t: any) => t.name === target).installations, [name]);

  assert.equal((await fh.uninstall(name)).status, 'succeeded');
  ctx = await install(name);
  await assert.rejects(radicale.readBack(ctx), 'a fresh installation does not have the data');
  // The choice of target is kept by name: the reinstalled installation finds its snapshots.
  const restore = await fh.request('POST', `/api/installations/${name}/restore`, { snapshot: snapshots[0].shortId });
  const restored = await fh.waitTask(restore.task.id);
  assert.equal(restored.status, 'succeeded', restored.error ?? '');
  await serves(ctx);
  assert.equal((await fh.uninstall(name)).status, 'succeeded');
}

test('the API checks targets field by field and never returns a password, key or secret', async () => {
  await assert.rejects(fh.request('POST', '/api/backup-targets', { name: 'Bad Name', kind: 'sftp', host: 'a b', port: 70000 }), (err: any) => {
    assert.equal(err.status, 400);
    const paths = err.details.map((d: any) => d.path).sort();
    assert.deepEqual(paths, ['host', 'name', 'path', 'port', 'privateKey', 'user']);
    assert.match(err.message, /port must be a TCP port/);
    return true;
  });
  await assert.rejects(fh.request('POST', '/api/backup-targets', { name: 'x', kind: 'ftp' }), /kind must be one of local, sftp, s3/);
  await assert.rejects(fh.request('POST', '/api/backup-targets', { name: 'x', kind: 's3', endpoint: 'ftp://x', bucket: 'b', accessKey: 'a', secretKey: 's' }), (err: any) => {
    assert.equal(err.status, 400);
    assert.deepEqual(err.details.map((d: any) => d.path).sort(), ['bucket', 'endpoint']);
    return true;
  });

  const password = `pw-${randomBytes(8).toString('hex')}`;
  const secretKey = `sk-${randomBytes(16).toString('hex')}`;
  const added = [
    await fh.request('POST', '/api/backup-targets', { name: 'secret-s3', kind: 's3', endpoint: 'https://127.0.0.1:1', bucket: 'bkt', accessKey: 'AKIDTEST', secretKey, password }),
    await fh.request('POST', '/api/backup-targets', { name: 'secret-sftp', kind: 'sftp', host: '127.0.0.1', user: 'u', path: '/r', privateKey: sshd.privateKey, password }),
  ];
  const list = await fh.request('GET', '/api/backup-targets');
  for (const body of [...added, list]) assertNoSecret(body, [password, secretKey, sshd.privateKey, sshd.privateKey.split('\n')[1]]);
  assert.deepEqual(list.targets.map((t: any) => t.name), ['local', 'secret-s3', 'secret-sftp']);
  assert.equal(added[0].target.repo, 's3:https://127.0.0.1:1/bkt');
  await assert.rejects(fh.request('POST', '/api/backup-targets', { name: 'secret-s3', kind: 'local', path: '/x' }), (err: any) => err.status === 409);
  await assert.rejects(fh.request('DELETE', '/api/backup-targets/local'), (err: any) => err.status === 400);
  await assert.rejects(fh.request('DELETE', '/api/backup-targets/nope'), (err: any) => err.status === 404);
  await assert.rejects(useTarget('no-such-installation', 'local'), (err: any) => err.status === 404);
  for (const t of ['secret-s3', 'secret-sftp']) await fh.request('DELETE', `/api/backup-targets/${t}`);
});

test('SFTP (real sshd): snapshot, destroy, reinstall, restore: the event is back', { timeout: 600_000 }, async () => {
  await fh.request('POST', '/api/backup-targets', { name: 'sftp', kind: 'sftp', host: '127.0.0.1', port: sshd.port, user: sshd.user, path: join(sshd.dir, 'repo'), privateKey: sshd.privateKey });
  await roundTrip('sftp');
  assert.ok(existsSync(join(sshd.dir, 'repo', 'config')), 'the repository is on the SFTP server');
});

test('S3 (s3rver): snapshot, destroy, reinstall, restore: the event is back', { timeout: 600_000 }, async () => {
  const s3 = await startS3();
  try {
    await fh.request('POST', '/api/backup-targets', { name: 's3', kind: 's3', endpoint: s3.endpoint, bucket: s3.bucket, accessKey: s3.accessKey, secretKey: s3.secretKey, caCert: s3.caCert });
    await roundTrip('s3');
  } finally {
    await s3.stop();
  }
});

// One installation for the bad inputs: each points it at a broken target, then back.
let bad: Awaited<ReturnType<typeof install>> | undefined;
const badInstallation = async () => {
  if (bad) return bad;
  bad = await install(uniqueName('tb'));
  await radicale.write(bad);
  return bad;
};

test('wrong repository password: the backup fails saying so, the app serves, the repository keeps its snapshot', { timeout: 600_000 }, async () => {
  const repo = join(scratch, 'other-repo');
  const env = { ...process.env, RESTIC_PASSWORD: 'the-real-password', RESTIC_CACHE_DIR: join(scratch, 'cache') };
  await run(['restic', '-r', repo, 'init'], { env });
  writeFileSync(join(scratch, 'file'), 'kept');
  await run(['restic', '-r', repo, 'backup', join(scratch, 'file')], { env });
  await fh.request('POST', '/api/backup-targets', { name: 'wrong-pw', kind: 'local', path: repo, password: 'not-the-password' });

  const ctx = await badInstallation();
  await useTarget(ctx.name, 'wrong-pw');
  const done = await backup(ctx.name);
  assert.equal(done.status, 'failed');
  assert.match(done.error ?? '', /the password of backup repository .*other-repo is wrong/);
  assert.doesNotMatch(JSON.stringify(done), /not-the-password|the-real-password/);
  await serves(ctx);
  const snaps = JSON.parse((await run(['restic', '-r', repo, 'snapshots', '--json'], { env })).stdout);
  assert.equal(snaps.length, 1, 'the repository still has its snapshot');
  await useTarget(ctx.name, 'local');
});

test('unreachable SFTP server: the backup fails saying so, the app serves; a used target cannot be removed', { timeout: 600_000 }, async () => {
  const key = await sshKey(scratch, 'unreachable');
  const closed = await freePort(); // nothing listens there
  await fh.request('POST', '/api/backup-targets', { name: 'gone', kind: 'sftp', host: '127.0.0.1', port: closed, user: 'root', path: '/srv/repo', privateKey: key.privateKey });
  const ctx = await badInstallation();
  await useTarget(ctx.name, 'gone');
  const started = Date.now();
  const done = await backup(ctx.name);
  assert.equal(done.status, 'failed');
  assert.match(done.error ?? '', /backup repository sftp:root@127\.0\.0\.1:\/srv\/repo cannot be reached/);
  assert.ok(Date.now() - started < 60_000, 'fails fast, does not hang');
  await serves(ctx);

  await assert.rejects(fh.request('DELETE', '/api/backup-targets/gone'), (err: any) => {
    assert.equal(err.status, 409);
    assert.match(err.message, new RegExp(`used by ${ctx.name}`));
    return true;
  });
  await useTarget(ctx.name, 'local');
  await fh.request('DELETE', '/api/backup-targets/gone');
});

test('full disk: the backup fails saying so, the app serves, the earlier snapshot still restores', { timeout: 600_000 }, async () => {
  const mnt = join(scratch, 'small');
  mkdirSync(mnt);
  await run(['mount', '-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
  try {
    await fh.request('POST', '/api/backup-targets', { name: 'small', kind: 'local', path: join(mnt, 'repo') });
    const ctx = await badInstallation();
    await useTarget(ctx.name, 'small');
    const first = await backup(ctx.name);
    assert.equal(first.status, 'succeeded', first.error ?? '');
    const [earlier] = (await fh.request('GET', `/api/installations/${ctx.name}/backups`)).snapshots;

    // More than the disk holds, and incompressible.
    writeFileSync(join(fh.dataDir, 'volumes', ctx.name, 'big.bin'), randomBytes(4 * 1024 * 1024));
    const done = await backup(ctx.name);
    assert.equal(done.status, 'failed');
    assert.match(done.error ?? '', /backup repository .*small\/repo is full \(no space left on device\)/);
    await serves(ctx);

    const restore = await fh.request('POST', `/api/installations/${ctx.name}/restore`, { snapshot: earlier.shortId });
    const restored = await fh.waitTask(restore.task.id);
    assert.equal(restored.status, 'succeeded', restored.error ?? '');
    await serves(ctx);
    await useTarget(ctx.name, 'local');
    assert.equal((await fh.uninstall(ctx.name)).status, 'succeeded');
  } finally {
    await run(['umount', mnt], { check: false });
  }
});

test('a restore whose reading fails says why, and the app serves its own data again', { timeout: 600_000 }, async () => {
  const repo = join(scratch, 'fragile-repo');
  await fh.request('POST', '/api/backup-targets', { name: 'fragile', kind: 'local', path: repo });
  const ctx = await install(uniqueName('tr'));
  await radicale.write(ctx);
  await useTarget(ctx.name, 'fragile');
  const first = await backup(ctx.name);
  assert.equal(first.status, 'succeeded', first.error ?? '');
  const [snapshot] = (await fh.request('GET', `/api/installations/${ctx.name}/backups`)).snapshots;
  // The snapshot is listed, but the repository's keys are gone: it can no longer be opened.
  rmSync(join(repo, 'keys'), { recursive: true, force: true });
  mkdirSync(join(repo, 'keys'));

  const restore = await fh.request('POST', `/api/installations/${ctx.name}/restore`, { snapshot: snapshot.shortId });
  const done = await fh.waitTask(restore.task.id);
  assert.equal(done.status, 'failed');
  assert.match(done.error ?? '', /the password of backup repository .*fragile-repo is wrong/);
  const { log } = await fh.request('GET', `/api/tasks/${restore.task.id}`);
  assert.ok(log.some((l: { line: string }) => /nothing was replaced: starting the app again/.test(l.line)), JSON.stringify(log));
  await serves(ctx);
  await useTarget(ctx.name, 'local');
  assert.equal((await fh.uninstall(ctx.name)).status, 'succeeded');
});
