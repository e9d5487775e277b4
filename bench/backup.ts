/**
 * Backups and restores of a Radicale installation holding 1 GiB of data, against bare restic on
 * the same data in the same run. Real control plane (TestFreehold), real Podman, real restic.
 *
 * - Backup: `POST /api/installations/<name>/backups` until the task succeeded, against
 *   `restic backup <the volume directory>` into a fresh repository; each twice (the second with
 *   nothing changed).
 * - Restore: `POST /api/installations/<name>/restore` until the task succeeded (restic restore
 *   while the app stops, swap the files in, converge with the health check), against
 *   `restic restore <id> --target <tmp>` of the bare repository's snapshot.
 * (Update downtime is bench/update.ts.)
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, statfsSync, writeSync } from 'node:fs';
import { randomBytes, randomFillSync } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestFreehold } from '../test/helpers/freehold.js';
import { run } from '../src/lib/spawn.js';
import { atMost, info, median, ms, now, sleep, type Bench, type Row } from './lib.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
/** The data written into the volume: 192 files of 4 MiB and 8 of 32 MiB (1 GiB, 200 files) in 10 directories */
const FILES: number[] = [...Array.from({ length: 192 }, () => 4 * MiB), ...Array.from({ length: 8 }, () => 32 * MiB)];
const DIRS = 10;
/** 1 GiB of data, the two repositories, a bare restore and Freehold's restore scratch */
const FREE_NEEDED = 4.5 * GiB;
const BACKUP_RATIO_TARGET = 1.3;
const SECOND_BACKUP_TARGET_MS = 3000;
const RESTORE_RATIO_TARGET = 0.8;
const POLL_MS = 50;
const RESTORE_ROUNDS = Number(process.env.BENCH_RESTORE_ROUNDS ?? 3);
const TASK_TIMEOUT_MS = 15 * 60_000;

const mbps = (bytes: number, msec: number) => bytes / 1e6 / (msec / 1000);
const secs = (msec: number) => `${(msec / 1000).toFixed(2)} s`;

/** Writes the bulk data: incompressible (random) bytes, 4 MiB at a time */
function writeBulk(dir: string): number {
  const buf = Buffer.alloc(4 * MiB);
  let total = 0;
  FILES.forEach((size, i) => {
    const sub = join(dir, `d${i % DIRS}`);
    mkdirSync(sub, { recursive: true });
    const fd = openSync(join(sub, `f${String(i).padStart(3, '0')}.bin`), 'w');
    try {
      for (let left = size; left > 0; left -= buf.length) {
        randomFillSync(buf);
        writeSync(fd, buf, 0, Math.min(left, buf.length));
      }
    } finally {
      closeSync(fd);
    }
    total += size;
  });
  return total;
}

/** Bytes and files of regular files under dir */
function usage(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const u = usage(p);
      bytes += u.bytes;
      files += u.files;
    } else if (e.isFile()) {
      bytes += statSync(p).size;
      files++;
    }
  }
  return { bytes, files };
}

interface Stage {
  at: number;
  message: string;
}

/**
 * Starts a task through the API and polls it every POLL_MS until it has finished. The clock runs
 * from just before the request; each new task message is recorded with the time it was first seen.
 */
async function timedTask(fh: TestFreehold, path: string, body?: unknown) {
  const t0 = now();
  const r = await fh.request('POST', path, body);
  const posted = now() - t0;
  const stages: Stage[] = [];
  const deadline = t0 + TASK_TIMEOUT_MS;
  while (now() < deadline) {
    const { task } = await fh.request('GET', `/api/tasks/${r.task.id}`);
    const at = now() - t0;
    if (stages.at(-1)?.message !== task.message) stages.push({ at, message: task.message });
    if (['succeeded', 'failed', 'rolled_back'].includes(task.status)) {
      if (task.status !== 'succeeded') throw new Error(`${path}: task ended ${task.status}: ${task.error ?? task.message}`);
      return { ms: at, posted, stages, task };
    }
    await sleep(POLL_MS);
  }
  throw new Error(`${path}: task did not finish within ${TASK_TIMEOUT_MS} ms`);
}

/** Bare restic against one repository, its cache in a fresh directory of its own */
function bareRestic(repo: string, cache: string) {
  const env = { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: randomBytes(24).toString('base64url'), RESTIC_CACHE_DIR: cache };
  return async (args: string[]) => {
    const t0 = now();
    const r = await run(['restic', ...args], { env });
    return { ms: now() - t0, stdout: r.stdout };
  };
}

/** Lets the writes of the previous step reach the disk, so that they do not land in the next timing */
const settle = () => run(['sync']);

export const backupBench: Bench = async (log) => {
  const tmp = tmpdir();
  const { bavail, bsize } = statfsSync(tmp);
  if (bavail * bsize < FREE_NEEDED) throw new Error(`${tmp} has ${(bavail * bsize / GiB).toFixed(1)} GiB free; the backup benchmark needs ${FREE_NEEDED / GiB} GiB`);
  const fh = await TestFreehold.start();
  const name = `bk${Math.random().toString(36).slice(2, 6)}`;
  let work = '';
  try {
    work = mkdtempSync(join(tmp, 'freehold-bench-backup-'));
    log(`backup: installing Radicale as ${name} (builds its image if missing)`);
    const installed = await fh.install('radicale', name);
    if (installed.task.status !== 'succeeded') throw new Error(`install of ${name} ended ${installed.task.status}: ${installed.task.error}`);
    const volume = join(fh.dataDir, 'volumes', name);

    log(`backup: writing ${FILES.length} files of random data (${FILES.reduce((a, b) => a + b, 0) / GiB} GiB) into ${volume}/bulk`);
    const tw = now();
    writeBulk(join(volume, 'bulk'));
    await settle();
    const written = now() - tw;
    const data = usage(volume);
    log(`backup: written in ${secs(written)}; the volume holds ${data.files} files, ${data.bytes} bytes`);

    // Bare restic: a fresh repository and a fresh cache directory in the work directory, on the
    // same filesystem as Freehold's (its repository <dataDir>/backups/local, its cache
    // <dataDir>/cache/restic, also fresh).
    const bare = bareRestic(join(work, 'repo'), join(work, 'cache'));
    await bare(['init']);
    const open = await bare(['cat', 'config']);

    // Freehold's repository is made on the first use of the target (here: listing the
    // installation's snapshots, as `freehold backups <name>` does), not counted in the backup.
    const tl = now();
    await fh.request('GET', `/api/installations/${name}/backups`);
    const repoCreate = now() - tl;

    const load0 = loadavg()[0];
    await settle();
    log('backup: bare restic backup (first)');
    const bare1 = await bare(['backup', volume]);
    const bareSnapshot = /snapshot ([0-9a-f]{8,64}) saved/.exec(bare1.stdout)?.[1];
    if (!bareSnapshot) throw new Error(`restic backup named no snapshot: ${bare1.stdout.trim().split('\n').slice(-3).join(' ')}`);
    await settle();
    log(`backup: freehold backup (first); bare took ${secs(bare1.ms)}`);
    const fh1 = await timedTask(fh, `/api/installations/${name}/backups`);
    await settle();
    log(`backup: bare restic backup (nothing changed); freehold took ${secs(fh1.ms)}`);
    const bare2 = await bare(['backup', volume]);
    await settle();
    log(`backup: freehold backup (nothing changed); bare took ${secs(bare2.ms)}`);
    const fh2 = await timedTask(fh, `/api/installations/${name}/backups`);
    log(`backup: freehold second backup took ${secs(fh2.ms)}`);

    const { snapshots } = await fh.request('GET', `/api/installations/${name}/backups`);
    if (snapshots.length !== 2) throw new Error(`expected 2 snapshots of ${name}, found ${snapshots.length}`);
    // Each side restores its first snapshot (the second holds the same files).
    const fhSnapshot = snapshots[1].id as string;

    // Restores repeat (each side restores its first snapshot again), alternating which goes first.
    const bareTarget = join(work, 'restore');
    const bareRestores: number[] = [];
    const fhRestores: Awaited<ReturnType<typeof timedTask>>[] = [];
    const doBare = async () => {
      await settle();
      const r = await bare(['restore', bareSnapshot, '--target', bareTarget]);
      const got = usage(bareTarget);
      if (got.bytes < data.bytes) throw new Error(`bare restore gave ${got.bytes} bytes, expected ${data.bytes}`);
      rmSync(bareTarget, { recursive: true, force: true });
      bareRestores.push(r.ms);
    };
    const doFh = async () => {
      await settle();
      const r = await timedTask(fh, `/api/installations/${name}/restore`, { snapshot: fhSnapshot });
      const got = usage(volume);
      if (got.files !== data.files || got.bytes !== data.bytes) throw new Error(`after the restore the volume holds ${got.files} files, ${got.bytes} bytes; expected ${data.files}, ${data.bytes}`);
      const web = await fh.https(`${name}.localhost`, '/.web/');
      if (web.status !== 200) throw new Error(`Radicale answers ${web.status} after the restore`);
      fhRestores.push(r);
      // Freehold deletes the replaced data after the task, in the background; it is done before
      // the next measurement, as the bare side's rmSync above is.
      const discarded = join(fh.dataDir, 'staging', 'discarded');
      while (existsSync(discarded) && readdirSync(discarded).length) await sleep(50);
    };
    for (let i = 0; i < RESTORE_ROUNDS; i++) {
      if (i % 2 === 0) (await doBare(), await doFh());
      else (await doFh(), await doBare());
      log(`backup: restore round ${i + 1}/${RESTORE_ROUNDS}: bare ${secs(bareRestores.at(-1)!)}, freehold ${secs(fhRestores.at(-1)!.ms)}`);
    }
    const load1 = loadavg()[0];

    const bareRestore = median(bareRestores);
    const fhRestore = median(fhRestores.map((r) => r.ms));
    const bareTput = mbps(data.bytes, bareRestore);
    const fhTput = mbps(data.bytes, fhRestore);
    const restoreRatio = fhTput / bareTput;
    // Where the restore's time went: the POST, then from one task message to the next (as polled
    // every 50 ms), medians over the rounds. "open" is the repository probe (`restic cat config`).
    const phases = (r: (typeof fhRestores)[number]) => {
      const out: Record<string, number> = { 'POST (open + restic snapshots)': r.posted };
      r.stages.forEach((s, i) => {
        const phase =
          s.message === 'restoring' || s.message === 'stopping the app and reading the snapshot' ? 'open + restic restore (the app stops meanwhile)'
          : s.message === 'restoring the data' ? 'swap the files'
          : /^restoring .* to /.test(s.message) ? 'queued'
          : /^restored to/.test(s.message) ? 'done'
          : 'converge: start + health check';
        out[phase] = (out[phase] ?? 0) + (r.stages[i + 1]?.at ?? r.ms) - (i === 0 ? r.posted : s.at);
      });
      delete out.done;
      return out;
    };
    const phaseNames = [...new Set(fhRestores.flatMap((r) => Object.keys(phases(r))))];

    const rows: Row[] = [
      atMost('backup, 1 GiB volume, / bare restic backup of the same data', fh1.ms / bare1.ms, BACKUP_RATIO_TARGET, (x) => `${x.toFixed(2)}x`, `${secs(fh1.ms)} / ${secs(bare1.ms)}`),
      atMost('second backup, nothing changed', fh2.ms, SECOND_BACKUP_TARGET_MS, secs, `bare restic ${secs(bare2.ms)}`),
      {
        figure: 'restore throughput, / bare restic restore of the same data',
        target: `>= ${RESTORE_RATIO_TARGET}x`,
        result: `${restoreRatio.toFixed(2)}x (${fhTput.toFixed(0)} MB/s / ${bareTput.toFixed(0)} MB/s)`,
        pass: restoreRatio >= RESTORE_RATIO_TARGET,
      },
      info('  data', `${data.files} files, ${(data.bytes / GiB).toFixed(3)} GiB in the volume (192 x 4 MiB + 8 x 32 MiB random, 10 dirs, under bulk/; written and synced in ${secs(written)})`),
      info('  freehold backups: POST answered / task done (first, second)', `${ms(fh1.posted)} / ${ms(fh1.ms)}, ${ms(fh2.posted)} / ${ms(fh2.ms)}`),
      info(`  restore, ${data.bytes} B, median of ${RESTORE_ROUNDS}`, `freehold ${secs(fhRestore)} (${fhRestores.map((r) => secs(r.ms)).join(', ')}), bare ${secs(bareRestore)} (${bareRestores.map(secs).join(', ')})`),
      // The app stops as the reading starts: it is down from then until its health check passes.
      info('  the app is down during a restore (stop as the reading starts, to healthy), median', secs(median(fhRestores.map((r) => r.ms - r.posted)))),
      info('  freehold restore phases, median ms', phaseNames.map((p) => `${p} ${Math.round(median(fhRestores.map((r) => phases(r)[p] ?? 0)))}`).join(', ')),
      (() => {
        const reading = median(fhRestores.map((r) => phases(r)['open + restic restore (the app stops meanwhile)'] ?? NaN));
        return info('  restore throughput of the reading phase alone (open + restic restore), / bare', `${(bareRestore / reading).toFixed(2)}x (${mbps(data.bytes, reading).toFixed(0)} MB/s)`);
      })(),
      info('  restic opening a repository (cat config, bare): the cost of each restic call', ms(open.ms)),
      info("  freehold's repository creation, first use of the target (not counted)", ms(repoCreate)),
      info('  backup ratio with the repository creation counted', `${((fh1.ms + repoCreate) / bare1.ms).toFixed(2)}x`),
      info('  load average (1 min) before / after', `${load0.toFixed(2)} / ${load1.toFixed(2)}`),
    ];
    return rows;
  } finally {
    await fh.uninstall(name).catch(() => undefined);
    await fh.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }
};
