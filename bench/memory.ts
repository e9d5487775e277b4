/**
 * Resident memory of the control plane, idle with 10 installations of Radicale (real Podman, real
 * Caddy). The product is the built control plane that users run (`node bin/freehold.js up`, from
 * dist/); the development one (`node --import tsx src/cli/main.ts up`, as the tests start it) is
 * shown beside it for information.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '../src/cli/client.js';
import { run } from '../src/lib/spawn.js';
import { TestFreehold } from '../test/helpers/freehold.js';
import { BuiltControlPlane } from '../test/helpers/built-control-plane.js';
import { atMost, info, median, ms, now, sleep, type Bench, type Row } from './lib.js';

const ROOT = new URL('..', import.meta.url).pathname;
const INSTALLATIONS = Number(process.env.BENCH_MEMORY_INSTALLATIONS ?? 10);
/** The figure is read after this long idle... */
const IDLE_MS = Number(process.env.BENCH_MEMORY_IDLE_SECONDS ?? 10) * 1000;
/** ...and, for information, again after this long (V8 gives memory back after some idle time) */
const SETTLED_MS = Number(process.env.BENCH_MEMORY_SETTLED_SECONDS ?? 40) * 1000;
/** Shorter than the default 30 s so that reconcile passes run during the idle time */
const RECONCILE_SECONDS = 5;
const TARGET_MIB = 100;
/** Shown beside it: the launcher's node options without its MALLOC_ARENA_MAX=2 (see docs/benchmarks.md) */
const DEFAULT_VARIANTS = '--max-semi-space-size=1 --optimize-for-size';

const MiB = (kb: number) => kb / 1024;
const showMiB = (x: number) => `${x.toFixed(1)} MiB`;

/** Memory figures of a process, in kB, from /proc/<pid>/status */
function status(pid: number) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  const pss = Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), pss };
}

async function waitTask(client: Client, id: string) {
  for (;;) {
    const { task } = await client.request('GET', `/api/tasks/${id}`);
    if (['succeeded', 'failed', 'rolled_back'].includes(task.status)) return task;
    await sleep(250);
  }
}

/** Installs the installations, idles, samples memory; always uninstalls what it installed */
async function idleWithInstallations(client: Client, pid: number, label: string, log: (l: string) => void) {
  const tag = Math.random().toString(36).slice(2, 6);
  const names = Array.from({ length: INSTALLATIONS }, (_, i) => `m${i}${tag}`);
  const empty = status(pid);
  try {
    log(`memory (${label}): installing ${INSTALLATIONS} Radicale installations`);
    const tasks = await Promise.all(names.map((n) => client.request('POST', '/api/installations', { app: 'radicale', domain: n }).then((r) => waitTask(client, r.task.id))));
    const bad = tasks.filter((t) => t.status !== 'succeeded');
    if (bad.length) {
      const details = await Promise.all(
        bad.map(async (t) => {
          const d = await client.request('GET', `/api/tasks/${t.id}`);
          const failedSteps = d.journal.filter((j: { phase: string }) => j.phase === 'failed').map((j: { resource_key: string; detail: string }) => `${j.resource_key}: ${j.detail}`);
          return `${t.error} [failed steps: ${failedSteps.join('; ')}]`;
        }),
      );
      throw new Error(`${bad.length} install(s) did not succeed: ${details.join(' | ')}`);
    }
    const { installations } = await client.request('GET', '/api/installations');
    const running = installations.filter((i: { name: string; status: string }) => names.includes(i.name) && i.status === 'running').length;
    // For information: a no-op reconcile pass with the real drivers (Podman, iptables, Caddy).
    const reconciles: number[] = [];
    let repairs = 0;
    for (let i = 0; i < 3; i++) {
      const t = now();
      repairs += (await client.request('POST', '/api/reconcile')).tasks.length;
      reconciles.push(now() - t);
    }
    log(`memory (${label}): ${running} running; idle for ${SETTLED_MS / 1000} s`);
    const t0 = Date.now();
    const samples: number[] = [];
    let idle: ReturnType<typeof status> | undefined;
    let peak = 0;
    while (Date.now() - t0 < Math.max(IDLE_MS, SETTLED_MS)) {
      const s = status(pid);
      if (!idle && Date.now() - t0 >= IDLE_MS) idle = s;
      samples.push(Math.round(MiB(s.rss)));
      peak = Math.max(peak, s.rss);
      await sleep(500);
    }
    const settled = status(pid);
    log(`memory (${label}): RSS while idle, MiB every 0.5 s: ${samples.join(' ')}`);
    return { empty, idle: idle ?? settled, settled, peak: Math.max(peak, settled.rss), running, reconcile: median(reconciles), repairs };
  } finally {
    log(`memory (${label}): uninstalling`);
    const ids = await Promise.all(names.map((n) => client.request('DELETE', `/api/installations/${n}`).then((r) => r.task.id as string, () => undefined)));
    await Promise.all(ids.filter((id): id is string => !!id).map((id) => waitTask(client, id)));
  }
}

export const memoryBench: Bench = async (log) => {
  const rows: Row[] = [];
  log('memory: building dist/ (tsc)');
  const build = await run([process.execPath, join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json')], { cwd: ROOT, check: false });
  if (build.code !== 0) log(`memory: tsc reported errors (it still emits):\n${build.stdout.split('\n').slice(0, 10).join('\n')}`);
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) throw new Error('the build produced no dist/src/cli/main.js');

  const built = await BuiltControlPlane.start({ reconcileIntervalSeconds: RECONCILE_SECONDS });
  try {
    const m = await idleWithInstallations(built.client, built.pid, 'built', log);
    rows.push(atMost(`control plane RSS, idle ${IDLE_MS / 1000} s with ${m.running} installations (built: bin/freehold.js up, its shebang's node options)`, MiB(m.idle.rss), TARGET_MIB, showMiB));
    rows.push(info(`  built: that RSS = anonymous + file-backed (node binary, libraries); PSS`, `${showMiB(MiB(m.idle.anon))} + ${showMiB(MiB(m.idle.file))}; PSS ${showMiB(MiB(m.idle.pss))}`));
    rows.push(info(`  real drivers: no-op reconcile, ${m.running} installations (median of 3)`, `${ms(m.reconcile)}, ${m.repairs} repair tasks`));
    rows.push(info(`  built: RSS after ${SETTLED_MS / 1000} s idle / just after start (0 installations) / peak while idle`, `${showMiB(MiB(m.settled.rss))} / ${showMiB(MiB(m.empty.rss))} / ${showMiB(MiB(m.peak))}`));
  } finally {
    await built.stop();
  }

  // Variants of the built one, for information: BENCH_MEMORY_VARIANTS="--max-semi-space-size=1;MALLOC_ARENA_MAX=2 --optimize-for-size"
  for (const variant of (process.env.BENCH_MEMORY_VARIANTS ?? DEFAULT_VARIANTS).split(';').map((v) => v.trim()).filter(Boolean)) {
    const words = variant.split(/\s+/);
    const env = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => w.split('=', 2) as [string, string]));
    const cp = await BuiltControlPlane.start({ nodeArgs: words.filter((w) => !/^[A-Z_]+=/.test(w)), env, reconcileIntervalSeconds: RECONCILE_SECONDS });
    try {
      const m = await idleWithInstallations(cp.client, cp.pid, variant, log);
      rows.push(info(`  built, node ${variant}: RSS idle ${IDLE_MS / 1000} s / ${SETTLED_MS / 1000} s with ${m.running}`, `${showMiB(MiB(m.idle.rss))} / ${showMiB(MiB(m.settled.rss))}`));
    } finally {
      await cp.stop();
    }
  }

  if (process.env.BENCH_MEMORY_TSX !== '0') {
    const dev = await TestFreehold.start({ reconcileIntervalSeconds: RECONCILE_SECONDS });
    try {
      const pid = JSON.parse(readFileSync(join(dev.dataDir, 'api.json'), 'utf8')).pid as number;
      const m = await idleWithInstallations(dev.client, pid, 'tsx', log);
      rows.push(info(`  development (node --import tsx src/cli/main.ts up): RSS idle ${IDLE_MS / 1000} s / ${SETTLED_MS / 1000} s with ${m.running}`, `${showMiB(MiB(m.idle.rss))} / ${showMiB(MiB(m.settled.rss))}`));
    } finally {
      await dev.stop();
    }
  }
  return rows;
};
