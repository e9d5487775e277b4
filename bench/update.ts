/**
 * Update of Radicale: the seconds during which requests fail while the update task replaces the
 * container, seen by a client that sends `GET /.web/` through Caddy over HTTPS every 100 ms (each
 * with a 15 s timeout: an answer Caddy held while the port was down is slow, not failed). Real control plane (TestFreehold), real Podman, real Caddy, real restic.
 *
 * Two cases, each with its own control plane and a catalog generated at run time in a temp
 * directory from the real catalog/radicale/manifest.yaml (`build:` made absolute):
 * - package: 3.1.8 package 1 -> 3.1.8 package 2 (a packaging revision: no migration; the image
 *   tag differs, so the container is really replaced);
 * - upstream: 3.1.8 -> 3.1.9 with a trivial migrate hook (`sh -c true` on web), so the migration
 *   container runs between the old container's removal and the new one's start.
 * Updates only go up, so every round updates a fresh installation of 3.1.8 package 1. One
 * warm-up round per case, not counted, builds the new version's image (so no round counts an image
 * build) and creates the restic repository (the first backup).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestFreehold } from '../test/helpers/freehold.js';
import { Catalog } from '../src/services/catalog.js';
import { freePort } from '../src/lib/net.js';
import { run } from '../src/lib/spawn.js';
import { atMost, failed, info, median, ms, now, sleep, type Bench, type Row } from './lib.js';

const ROOT = new URL('..', import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_UPDATE_ROUNDS ?? 3);
const POLL_EVERY_MS = 100;
/** A slow answer is not a failure: Caddy holds requests (up to 10 s) while the app's port is down */
const POLL_TIMEOUT_MS = 15_000;
/** Polls before the update (all must succeed) and after the task's end (to see the recovery) */
const BEFORE_MS = 1000;
const AFTER_MS = 1500;
const TARGET_MS = 2000;
const FROM = { version: '3.1.8', packageVersion: 1 };

const secs = (msec: number) => `${(msec / 1000).toFixed(2)} s`;

interface Case {
  key: 'package' | 'upstream';
  title: string;
  to: { version: string; packageVersion: number };
  /** The next version's manifest, from the real one */
  next: (manifest: string) => string;
}

const CASES: Case[] = [
  {
    key: 'package',
    title: 'packaging revision 3.1.8-1 -> 3.1.8-2 (no migration)',
    to: { version: '3.1.8', packageVersion: 2 },
    next: (m) => m.replace(/^packageVersion: \d+$/m, 'packageVersion: 2'),
  },
  {
    key: 'upstream',
    title: 'upstream version 3.1.8 -> 3.1.9 (migrate hook `sh -c true`)',
    to: { version: '3.1.9', packageVersion: 1 },
    next: (m) => `${m.replace(/^version: "3\.1\.8"$/m, 'version: "3.1.9"').trimEnd()}\nhooks:\n  migrate:\n    component: web\n    command: [sh, -c, "true"]\n`,
  },
];

/**
 * A catalog in a temp directory: radicale/manifest.yaml = the real one (its build context made
 * absolute); `addNext()` adds radicale/versions/next/manifest.yaml = the case's next version.
 * Each step is checked by loading the catalog as the control plane will.
 */
function makeCatalog(c: Case): { dir: string; nextImage: string; addNext: () => void } {
  const real = readFileSync(join(ROOT, 'catalog/radicale/manifest.yaml'), 'utf8');
  if (!/^version: "3\.1\.8"$/m.test(real) || !/^packageVersion: 1$/m.test(real)) throw new Error('catalog/radicale is no longer 3.1.8 package 1; update bench/update.ts');
  const current = real.replace(/^(\s*build:\s*).*$/m, `$1${join(ROOT, 'catalog/radicale/image')}`);
  const dir = mkdtempSync(join(tmpdir(), 'freehold-bench-update-catalog-'));
  mkdirSync(join(dir, 'radicale'));
  writeFileSync(join(dir, 'radicale/manifest.yaml'), current);
  const load = (versions: number) => {
    const catalog = new Catalog([dir]);
    if (catalog.problems.length) throw new Error(`generated catalog: ${catalog.problems.map((p) => p.error).join('; ')}`);
    if (catalog.versions('radicale').length !== versions) throw new Error(`generated catalog holds ${catalog.versions('radicale').length} versions of radicale, not ${versions}`);
    return catalog;
  };
  const from = load(1).find('radicale', FROM.version, FROM.packageVersion);
  if (!from) throw new Error(`generated catalog does not hold ${FROM.version}-${FROM.packageVersion}`);
  // Only to know the next image's tag: a catalog of its own, in a directory deleted at once.
  const probe = mkdtempSync(join(tmpdir(), 'freehold-bench-update-probe-'));
  let nextImage: string;
  try {
    mkdirSync(join(probe, 'radicale'));
    writeFileSync(join(probe, 'radicale/manifest.yaml'), c.next(current));
    const to = new Catalog([probe]).find('radicale', c.to.version, c.to.packageVersion);
    if (!to) throw new Error(`the next manifest is not ${c.to.version}-${c.to.packageVersion}`);
    nextImage = to.images.web.ref;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
  if (nextImage === from.images.web.ref) throw new Error('both versions have the same image tag');
  return {
    dir,
    nextImage,
    addNext: () => {
      mkdirSync(join(dir, 'radicale/versions/next'), { recursive: true });
      writeFileSync(join(dir, 'radicale/versions/next/manifest.yaml'), c.next(current));
      load(2);
    },
  };
}

interface Poll {
  /** Epoch ms when sent and when answered (or failed) */
  sent: number;
  done: number;
  ok: boolean;
  detail: string;
}

/** Sends GET /.web/ to <domain> through Caddy every POLL_EVERY_MS, each on its own clock, until stopped */
function startPoller(fh: TestFreehold, domain: string) {
  const agent = new Agent({ keepAlive: true, ca: readFileSync(fh.caFile) });
  const polls: Poll[] = [];
  const inflight = new Set<Promise<void>>();
  const once = () => {
    const p: Poll = { sent: Date.now(), done: 0, ok: false, detail: '' };
    polls.push(p);
    const pr = new Promise<void>((resolve) => {
      const end = (ok: boolean, detail: string) => {
        if (p.done) return;
        Object.assign(p, { done: Date.now(), ok, detail });
        clearTimeout(timer);
        resolve();
      };
      const req = request(
        {
          host: domain,
          servername: domain,
          port: fh.httpsPort,
          path: '/.web/',
          headers: { host: `${domain}:${fh.httpsPort}` },
          agent,
          lookup: (_h, opts, cb) => ((opts as { all?: boolean }).all ? (cb as any)(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)),
        },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => end(res.statusCode === 200, `HTTP ${res.statusCode}`));
          res.on('error', (err) => end(false, err.message));
        },
      );
      const timer = setTimeout(() => req.destroy(new Error('timeout')), POLL_TIMEOUT_MS);
      req.on('error', (err) => end(false, err.message));
      req.end();
    });
    inflight.add(pr);
    void pr.then(() => inflight.delete(pr));
  };
  once();
  const interval = setInterval(once, POLL_EVERY_MS);
  return {
    polls,
    async stop(): Promise<Poll[]> {
      clearInterval(interval);
      await Promise.all(inflight);
      agent.destroy();
      return polls;
    },
  };
}

/** Failure spans: from a failed poll's sending to the sending of the next successful one */
function failureSpans(polls: Poll[]): { from: number; to: number; failed: number }[] {
  const spans: { from: number; to: number; failed: number }[] = [];
  let open: { from: number; to: number; failed: number } | undefined;
  for (const p of [...polls].sort((a, b) => a.sent - b.sent)) {
    if (!p.ok) {
      open ??= { from: p.sent, to: NaN, failed: 0 };
      open.failed++;
    } else if (open) {
      open.to = p.sent;
      spans.push(open);
      open = undefined;
    }
  }
  if (open) spans.push(open);
  return spans;
}

interface UpdateRound {
  /** Sum of failure spans */
  downtime: number;
  failedPolls: number;
  polls: number;
  /** The slowest successful answer (requests Caddy held while the container was replaced) */
  slowest: number;
  spans: number;
  errors: string[];
  /** From the POST to the task's end */
  task: number;
  /** From the POST until the old container's removal began (snapshot, images, switch, plan) */
  beforeStop: number;
  /** Phases in ms: snapshot, prepare (images, switch, plan up to container:web), rm, migrate, run, health, after */
  phases: Record<string, number>;
  /** The first failure after the removal began / the recovery after the container was healthy */
  firstFailAfterRm: number;
  recoveredAfterHealthy: number;
}

/** Installs Radicale 3.1.8 package 1 as <name> */
async function install(fh: TestFreehold, name: string) {
  const installed = await fh.request('POST', '/api/installations', { app: 'radicale', domain: name, version: FROM.version });
  const it = await fh.waitTask(installed.task.id);
  if (it.status !== 'succeeded') throw new Error(`install of ${name} ended ${it.status}: ${it.error}`);
  const { installation } = await fh.request('GET', `/api/installations/${name}`);
  if (installation.version !== FROM.version || installation.packageVersion !== FROM.packageVersion) throw new Error(`${name} runs ${installation.version}-${installation.packageVersion}, not ${FROM.version}-${FROM.packageVersion}`);
}

/** Polls <name> through Caddy, updates it, and uninstalls it */
async function updateRound(fh: TestFreehold, c: Case, name: string, log: (l: string) => void, dump: boolean): Promise<UpdateRound> {
  const domain = `${name}.localhost`;
  const deadline = Date.now() + 30_000;
  while ((await fh.https(domain, '/.web/').then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error(`${domain} does not answer 200 after its install`);
    await sleep(50);
  }

  const poller = startPoller(fh, domain);
  await sleep(BEFORE_MS);
  const posted = Date.now();
  const r = await fh.request('POST', `/api/installations/${name}/update`, { to: c.to.version, packageVersion: c.to.packageVersion });
  const task = await fh.waitTask(r.task.id);
  await sleep(AFTER_MS);
  const polls = await poller.stop();
  if (task.status !== 'succeeded') throw new Error(`update of ${name} ended ${task.status}: ${task.error}`);
  const before = polls.filter((p) => p.sent < posted);
  if (before.some((p) => !p.ok)) throw new Error(`requests failed before the update: ${before.filter((p) => !p.ok).map((p) => p.detail).join(', ')}`);

  const detail = await fh.request('GET', `/api/tasks/${r.task.id}`);
  const lines = detail.log as { at: string; line: string }[];
  const journal = detail.journal as { resource_key: string; phase: string; at: string }[];
  if (dump) for (const l of lines) log(`update:   ${l.at.slice(11)} ${l.line}`);
  const lineAt = (re: RegExp) => {
    const l = lines.find((x) => re.test(x.line));
    return l ? Date.parse(l.at) : NaN;
  };
  const journalAt = (key: string, phase: string) => {
    const j = journal.find((x) => x.resource_key === key && x.phase === phase);
    return j ? Date.parse(j.at) : NaN;
  };
  const t = {
    snapshot: lineAt(/^pre-update snapshot /),
    container: journalAt('container:web', 'intent'),
    rm: lineAt(/^replacing /),
    migrate: lineAt(/^migrating /),
    run: lineAt(/^running fh-/),
    wait: lineAt(/^waiting for /),
    healthy: journalAt('container:web', 'done'),
    end: Date.parse(detail.task.updatedAt),
  };
  if ([t.snapshot, t.rm, t.run, t.wait, t.healthy].some(Number.isNaN)) throw new Error(`unexpected task log of the update of ${name}: ${lines.map((l) => l.line).join(' | ')}`);
  const afterRm = Number.isNaN(t.migrate) ? t.run : t.migrate;
  const phases: Record<string, number> = {
    'snapshot': t.snapshot - posted,
    'images + switch + plan': t.rm - t.snapshot,
    'podman rm -f (old)': afterRm - t.rm,
    ...(!Number.isNaN(t.migrate) && { 'migration container': t.run - t.migrate }),
    'podman run (new)': t.wait - t.run,
    'health check': t.healthy - t.wait,
    'after (route, records)': t.end - t.healthy,
  };
  const spans = failureSpans(polls);
  const last = polls.at(-1)!;
  const downtime = spans.reduce((a, s) => a + (Number.isNaN(s.to) ? last.sent - s.from : s.to - s.from), 0);
  if (spans.some((s) => Number.isNaN(s.to))) log(`update: ${name}: requests still failing at the end of the poll`);
  const firstFail = polls.find((p) => !p.ok);
  const recovered = spans.length ? spans.at(-1)!.to : NaN;
  const errors = [...new Set(polls.filter((p) => !p.ok).map((p) => p.detail))];
  if (dump && firstFail) {
    // The polls around the failures, on the task's clock: 0 = the removal of the old container began.
    const rel = (x: number) => `${x - t.rm >= 0 ? '+' : ''}${Math.round(x - t.rm)}`;
    log(`update:   task clock (ms from "replacing"): podman rm -f until ${rel(Number.isNaN(t.migrate) ? t.run : t.migrate)}, run ${rel(t.run)}, waiting ${rel(t.wait)}, healthy ${rel(t.healthy)}${Number.isNaN(t.migrate) ? '' : `, migration from ${rel(t.migrate)}`}`);
    for (const p of polls.filter((p) => p.sent >= firstFail.sent - 250 && p.sent <= recovered + 150)) {
      log(`update:   poll sent ${rel(p.sent)} ms, ${p.ok ? 'ok' : 'FAILED'} after ${p.done - p.sent} ms: ${p.detail}`);
    }
  }

  const un = await fh.uninstall(name);
  if (un.status !== 'succeeded') throw new Error(`uninstall of ${name} ended ${un.status}: ${un.error}`);
  return {
    downtime,
    failedPolls: polls.filter((p) => !p.ok).length,
    slowest: Math.max(0, ...polls.filter((p) => p.ok).map((p) => p.done - p.sent)),
    polls: polls.length,
    spans: spans.length,
    errors,
    task: t.end - posted,
    beforeStop: t.rm - posted,
    phases,
    firstFailAfterRm: firstFail ? firstFail.sent - t.rm : NaN,
    recoveredAfterHealthy: recovered - t.healthy,
  };
}

/**
 * One case: its own catalog and control plane. The installations of all rounds (and the warm-up)
 * are made first, while the catalog holds only 3.1.8 package 1 (an install of "3.1.8" takes its
 * newest package, and an installation keeps the manifest it was installed with); then the next
 * version is added and the control plane restarted to load it (Caddy and the apps run on); then
 * the warm-up round and ROUNDS counted ones, one installation each.
 */
async function runCase(c: Case, log: (l: string) => void): Promise<{ rounds: UpdateRound[]; nextImage: string; load: [number, number] }> {
  const { dir, nextImage, addNext } = makeCatalog(c);
  const fh = await TestFreehold.start({ catalogDirs: [dir] });
  const tag = Math.random().toString(36).slice(2, 6);
  const names = [`uw${c.key[0]}${tag}`, ...Array.from({ length: ROUNDS }, (_, i) => `u${c.key[0]}${i}${tag}`)];
  try {
    log(`update: ${c.key}: installing ${names.length} Radicale ${FROM.version}-${FROM.packageVersion} (one for the warm-up, one per round)`);
    for (const n of names) await install(fh, n);
    addNext();
    await fh.restart();
    log(`update: ${c.key}: warm-up round, not counted (builds ${nextImage} if missing; the first backup creates the repository)`);
    const w = await updateRound(fh, c, names[0], log, true);
    log(`update: ${c.key}: warm-up: ${secs(w.downtime)} failing, ${w.failedPolls} failed polls, task ${secs(w.task)}`);
    const load0 = loadavg()[0];
    const rounds: UpdateRound[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const r = await updateRound(fh, c, names[i + 1], log, i === 0);
      rounds.push(r);
      log(`update: ${c.key}: round ${i + 1}/${ROUNDS}: ${secs(r.downtime)} failing (${r.failedPolls}/${r.polls} polls, ${r.spans} span(s): ${r.errors.join(', ')}), task ${secs(r.task)}, before the stop ${secs(r.beforeStop)}; ${Object.entries(r.phases).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')} ms`);
    }
    return { rounds, nextImage, load: [load0, loadavg()[0]] };
  } finally {
    const { installations } = await fh.request('GET', '/api/installations').catch(() => ({ installations: [] }));
    for (const i of installations as { name: string }[]) await fh.uninstall(i.name).catch(() => undefined);
    await fh.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `podman stop` (default 10 s timeout) and `podman rm -f` of a Radicale container run by hand,
 * serving: how long each takes and the exit code (137: killed after the timeout).
 */
async function stopByHand(image: string): Promise<{ stop: number; stopExit: string; rm: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-bench-stop-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'users'), 'owner:bench-password\n', { mode: 0o600 });
  const name = `fhbench-stop${Math.random().toString(36).slice(2, 6)}`;
  const start = async () => {
    const port = await freePort();
    await run(['podman', 'run', '-d', '--replace', '--name', name, '--pull=never', '--publish', `127.0.0.1:${port}:5232/tcp`, '--read-only', '--read-only-tmpfs=false', '--tmpfs', '/tmp', '--tmpfs', '/run', '--volume', `${join(dir, 'data')}:/data:rw,U`, '--volume', `${join(dir, 'users')}:/run/freehold/users:ro,U`, '--memory', '256m', '--user', 'radicale', image]);
    for (let i = 0; i < 200; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/.web/`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status === 200, () => false);
      if (ok) return;
      await sleep(50);
    }
    throw new Error('the hand-run Radicale did not answer');
  };
  try {
    await start();
    let t0 = now();
    await run(['podman', 'stop', name]);
    const stop = now() - t0;
    const stopExit = (await run(['podman', 'inspect', '-f', '{{.State.ExitCode}}', name])).stdout.trim();
    await start();
    t0 = now();
    await run(['podman', 'rm', '-f', '-v', '--ignore', name]);
    return { stop, stopExit, rm: now() - t0 };
  } finally {
    await run(['podman', 'rm', '-f', '--ignore', name], { check: false });
    rmSync(dir, { recursive: true, force: true });
  }
}

export const updateBench: Bench = async (log) => {
  const rows: Row[] = [];
  const images: string[] = [];
  const fromImage = new Catalog([join(ROOT, 'catalog')]).find('radicale', FROM.version, FROM.packageVersion)?.images.web.ref;
  try {
    for (const c of CASES) {
      const figure = `Radicale update, ${c.title}: seconds during which requests fail (GET via Caddy every ${POLL_EVERY_MS} ms), median of ${ROUNDS}`;
      try {
        const { rounds, nextImage, load } = await runCase(c, log);
        images.push(nextImage);
        const med = (f: (r: UpdateRound) => number) => median(rounds.map(f));
        const each = (f: (r: UpdateRound) => number, show: (x: number) => string) => rounds.map((r) => show(f(r))).join(', ');
        const phaseNames = Object.keys(rounds[0].phases);
        rows.push(
          atMost(figure, med((r) => r.downtime), TARGET_MS, secs, `rounds ${each((r) => r.downtime, secs)}`),
          info('  failed polls / polls (each round)', rounds.map((r) => `${r.failedPolls}/${r.polls}`).join(', ') + `; ${rounds.map((r) => r.spans).join(', ')} span(s); ${[...new Set(rounds.flatMap((r) => r.errors))].join(', ')}`),
          info('  slowest successful answer (median; each round)', `${secs(med((r) => r.slowest))}; ${each((r) => r.slowest, secs)}`),
          info('  update task, POST -> succeeded (median; each round)', `${secs(med((r) => r.task))}; ${each((r) => r.task, secs)}`),
          info('  of which before the old container stops (snapshot + images + switch), median; each', `${secs(med((r) => r.beforeStop))}; ${each((r) => r.beforeStop, secs)}`),
          info('  task phases, median ms', phaseNames.map((p) => `${p} ${Math.round(med((r) => r.phases[p]))}`).join(', ')),
          info('  first failed poll after the removal began / last failure to the new container healthy, median ms', `${Math.round(med((r) => r.firstFailAfterRm))} / ${Math.round(med((r) => r.recoveredAfterHealthy))}`),
          info('  load average (1 min) before / after the rounds', `${load[0].toFixed(2)} / ${load[1].toFixed(2)}`),
        );
      } catch (err) {
        rows.push(failed(figure, `<= ${secs(TARGET_MS)}`, err));
      }
    }
    if (fromImage) {
      try {
        const s = await stopByHand(fromImage);
        rows.push(info('  hand-run Radicale container: podman stop (-t 10) / exit code / podman rm -f', `${ms(s.stop)} / ${s.stopExit} (${s.stopExit === '137' || s.stop > 9000 ? 'killed after the 10 s timeout' : 'ended on SIGTERM'}) / ${ms(s.rm)}`));
      } catch (err) {
        rows.push(info('  hand-run Radicale container: podman stop', `not measured: ${(err as Error).message}`));
      }
    }
    return rows;
  } finally {
    // The next versions' tags were made for this run only (same image as 3.1.8-1): untag them.
    for (const image of images) await run(['podman', 'rmi', image], { check: false });
  }
};
