/**
 * The list endpoint under load: `GET /api/installations` with 200 installations, at a constant
 * 200 requests/s for 10 s from a second process (bench/load.ts), through the real API (Fastify,
 * auth, services, SQLite); the drivers below the handlers are fakes (their state is not read by
 * the list anyway).
 */
import { spawn } from 'node:child_process';
import { buildApi } from '../src/api/server.js';
import { openFakeFreehold } from './fake-freehold.js';
import { atMost, info, type Bench, type Row } from './lib.js';

const INSTALLATIONS = Number(process.env.BENCH_API_INSTALLATIONS ?? 200);
const RATE = 200;
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const P99_TARGET_MS = 20;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

function load(url: string, token: string, rate: number, seconds: number): Promise<{ sent: number; ok: number; failed: number; seconds: number; latencies: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./load.ts', import.meta.url).pathname, url, token, String(rate), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited ${code}`))));
  });
}

export const apiBench: Bench = async (log) => {
  log(`api: installing ${INSTALLATIONS} installations (fake drivers)...`);
  const { fh, close } = await openFakeFreehold('api', INSTALLATIONS);
  const api = await buildApi(fh);
  const rows: Row[] = [];
  try {
    const token = (await fh.settings.ensureAdminToken())!;
    await api.listen({ host: '127.0.0.1', port: 0 });
    const address = api.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/installations`;
    const first = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = (await first.json()) as { installations: unknown[] };
    if (body.installations.length !== INSTALLATIONS) throw new Error(`the list has ${body.installations.length} installations, not ${INSTALLATIONS}`);
    const bytes = JSON.stringify(body).length;
    log(`api: warm-up, then ${RATE} requests/s for ${SECONDS} s`);
    await load(url, token, RATE, 2);
    const r = await load(url, token, RATE, SECONDS);
    if (r.failed) throw new Error(`${r.failed} of ${r.sent} requests failed`);
    const l = r.latencies;
    rows.push(atMost(`GET /api/installations, ${INSTALLATIONS} installations, ${RATE} req/s for ${SECONDS} s: p99 latency`, percentile(l, 99), P99_TARGET_MS, (x) => `${x.toFixed(1)} ms`));
    rows.push(info('  p50 / p90 / p99.9 / max', [50, 90, 99.9, 100].map((p) => `${percentile(l, p).toFixed(1)} ms`).join(' / ')));
    rows.push(info('  requests / achieved rate / answer size', `${r.ok} ok, ${(r.sent / r.seconds).toFixed(0)} req/s, ${(bytes / 1024).toFixed(0)} KiB each`));
    return rows;
  } finally {
    await api.close();
    await close();
  }
};
