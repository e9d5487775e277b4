/**
 * Install of Radicale, its image already built, from the install command to the first HTTP 200
 * on /.web/ through Caddy, against a hand-run `podman run` of the same image to its first 200.
 * Real Podman, real Caddy, a real control plane (TestFreehold). Rounds alternate which goes first.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestFreehold } from '../test/helpers/freehold.js';
import { Catalog } from '../src/services/catalog.js';
import { freePort } from '../src/lib/net.js';
import { run } from '../src/lib/spawn.js';
import { atMost, info, list, median, ms, now, sleep, type Bench, type Row } from './lib.js';

const ROOT = new URL('..', import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_INSTALL_ROUNDS ?? 7);
const POLL_MS = 50;
const TIMEOUT_MS = 120_000;
const RATIO_TARGET = 1.5;

/** Calls probe every POLL_MS until it answers 200; resolves with the time it did, from t0 */
async function firstOk(t0: number, probe: () => Promise<number>): Promise<number> {
  let last = '';
  while (now() - t0 < TIMEOUT_MS) {
    try {
      const status = await probe();
      if (status === 200) return now() - t0;
      last = `HTTP ${status}`;
    } catch (err) {
      last = ((err as Error).cause as Error)?.message ?? (err as Error).message;
    }
    await sleep(POLL_MS);
  }
  throw new Error(`no HTTP 200 within ${TIMEOUT_MS} ms: ${last}`);
}

interface FreeholdRound {
  firstOk: number;
  /** Until the POST answered: checks, preflight (runtime and edge pings), task created */
  post: number;
  /** From the POST to the install task's end, from the task's own timestamps */
  taskDone: number;
  /** Time spent in each resource step (intent to done), by key */
  steps: Record<string, number>;
}

async function installRound(fh: TestFreehold, name: string): Promise<FreeholdRound> {
  const domain = `${name}.localhost`;
  const wall0 = Date.now();
  const t0 = now();
  const r = await fh.request('POST', '/api/installations', { app: 'radicale', domain: name });
  const post = now() - t0;
  const first = await firstOk(t0, () => fh.https(domain, '/.web/').then((res) => res.status));
  const task = await fh.waitTask(r.task.id);
  if (task.status !== 'succeeded') throw new Error(`install of ${name} ended ${task.status}: ${task.error}`);
  const detail = await fh.request('GET', `/api/tasks/${r.task.id}`);
  const steps: Record<string, number> = {};
  const intents = new Map<string, number>();
  for (const j of detail.journal as { resource_key: string; phase: string; at: string }[]) {
    if (j.phase === 'intent') intents.set(j.resource_key, Date.parse(j.at));
    else if (j.phase === 'done' && intents.has(j.resource_key)) steps[j.resource_key] = Date.parse(j.at) - intents.get(j.resource_key)!;
  }
  const uninstall = await fh.uninstall(name);
  if (uninstall.status !== 'succeeded') throw new Error(`uninstall of ${name} ended ${uninstall.status}: ${uninstall.error}`);
  return { firstOk: first, post, taskDone: Date.parse(detail.task.updatedAt) - wall0, steps };
}

/**
 * `podman run` by hand, with the flags Freehold gives the container (read-only root, tmpfs /tmp
 * and /run, a data directory at /data, the users file, memory limit, user), on Podman's default
 * network, the port published on loopback.
 */
async function podmanRound(image: string, name: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-bench-podman-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  writeFileSync(join(dir, 'users'), 'owner:bench-password\n', { mode: 0o600 });
  const port = await freePort();
  try {
    const t0 = now();
    const started = run([
      'podman', 'run', '-d', '--rm', '--name', name, '--pull=never',
      '--publish', `127.0.0.1:${port}:5232/tcp`,
      '--read-only', '--read-only-tmpfs=false', '--tmpfs', '/tmp', '--tmpfs', '/run',
      '--volume', `${data}:/data:rw,U`, '--volume', `${join(dir, 'users')}:/run/freehold/users:ro,U`,
      '--memory', '256m', '--user', 'radicale',
      image,
    ]);
    let failure: Error | undefined;
    started.catch((err) => (failure = err));
    const first = await firstOk(t0, async () => {
      if (failure) throw failure;
      const res = await fetch(`http://127.0.0.1:${port}/.web/`, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      return res.status;
    });
    await started;
    return first;
  } finally {
    await run(['podman', 'rm', '-f', '--ignore', name], { check: false });
    rmSync(dir, { recursive: true, force: true });
  }
}

export const installBench: Bench = async (log) => {
  const image = new Catalog([join(ROOT, 'catalog')]).get('radicale').images.web.ref;
  const fh = await TestFreehold.start();
  const tag = Math.random().toString(36).slice(2, 6);
  try {
    // Warm-up, not counted: builds the image if it is missing, makes Caddy's local CA, and runs
    // each path once.
    log(`install: warm-up (builds ${image} if missing)`);
    await installRound(fh, `bw${tag}`);
    await podmanRound(image, `fhbench-w${tag}`);

    const fhTimes: FreeholdRound[] = [];
    const podTimes: number[] = [];
    const load0 = loadavg()[0];
    for (let r = 0; r < ROUNDS; r++) {
      const doFh = async () => fhTimes.push(await installRound(fh, `b${r}${tag}`));
      const doPod = async () => podTimes.push(await podmanRound(image, `fhbench-${r}${tag}`));
      if (r % 2 === 0) (await doFh(), await doPod());
      else (await doPod(), await doFh());
      log(`install: round ${r + 1}/${ROUNDS}: freehold ${ms(fhTimes.at(-1)!.firstOk)}, podman run ${ms(podTimes.at(-1)!)}`);
    }
    const f = median(fhTimes.map((x) => x.firstOk));
    const p = median(podTimes);
    const stepKeys = Object.keys(fhTimes[0].steps);
    const rows: Row[] = [
      atMost(`Radicale install -> first 200 via Caddy, / podman run -> first 200 (median of ${ROUNDS})`, f / p, RATIO_TARGET, (x) => `${x.toFixed(2)}x`, `${ms(f)} / ${ms(p)}`),
      info('  freehold install -> first 200 (each round)', `${list(fhTimes.map((x) => x.firstOk))} ms`),
      info('  podman run -> first 200 (each round)', `${list(podTimes)} ms`),
      info('  freehold: POST answered / task succeeded (medians)', `${ms(median(fhTimes.map((x) => x.post)))} / ${ms(median(fhTimes.map((x) => x.taskDone)))}`),
      info('  install steps, median ms', stepKeys.map((k) => `${k} ${Math.round(median(fhTimes.map((x) => x.steps[k] ?? 0)))}`).join(', ')),
      info('  image / podman run flags', `${image}; same flags as Freehold, default network`),
      info('  load average (1 min) before / after the rounds', `${load0.toFixed(2)} / ${loadavg()[0].toFixed(2)}`),
    ];
    return rows;
  } finally {
    // After a failed round: uninstall what is left, so that no container or network outlives the run.
    const { installations } = await fh.request('GET', '/api/installations').catch(() => ({ installations: [] }));
    for (const i of installations as { name: string }[]) await fh.uninstall(i.name).catch(() => undefined);
    await fh.stop();
  }
};
