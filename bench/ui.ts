/**
 * The web UI: (1) the initial JavaScript of web/dist (the module script and its preloads, as
 * index.html loads them), gzipped; (2) the dashboard with 200 installations, in Debian's Chromium
 * through playwright-core, served by the real API (auth, services, SQLite, the built UI) over 200
 * installations made with fake drivers: from the start of the navigation to all 200 rows shown
 * and the filter answering a keystroke.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildApi } from '../src/api/server.js';
import { checkPrerequisites, launch, WEB_DIST } from '../test/helpers/browser.js';
import { openFakeFreehold } from './fake-freehold.js';
import { atMost, info, list, median, type Bench, type Row } from './lib.js';

const JS_TARGET = 300 * 1024;
const DASHBOARD_TARGET_MS = 500;
const INSTALLATIONS = 200;
const ROUNDS = Number(process.env.BENCH_UI_ROUNDS ?? 5);

/** The scripts index.html loads before anything else: module scripts and modulepreloads */
function initialScripts(): string[] {
  const html = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/<script[^>]+type="module"[^>]+src="([^"]+)"/g), ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g)].map((m) => m[1]);
  return [...new Set(refs)].map((r) => join(WEB_DIST, r.replace(/^\//, '')));
}

export const uiBench: Bench = async (log) => {
  checkPrerequisites();
  const rows: Row[] = [];
  const scripts = initialScripts();
  const gz = scripts.map((f) => gzipSync(readFileSync(f)).length);
  const total = gz.reduce((a, b) => a + b, 0);
  rows.push(atMost('web UI: initial JavaScript, gzipped', total, JS_TARGET, (x) => `${(x / 1024).toFixed(1)} KB`, `${scripts.length} file(s)`));

  log(`ui: installing ${INSTALLATIONS} installations (fake drivers)...`);
  const { fh, close } = await openFakeFreehold('ui', INSTALLATIONS);
  const api = await buildApi(fh);
  const browser = await launch();
  try {
    const token = (await fh.settings.ensureAdminToken())!;
    await api.listen({ host: '127.0.0.1', port: 0 });
    const address = api.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const page = await browser.newPage();
    await page.goto(`${base}/signin`);
    await page.evaluate((t) => localStorage.setItem('freehold.adminToken', t), token);
    const times: number[] = [];
    for (let r = 0; r <= ROUNDS; r++) {
      await page.goto('about:blank');
      const started = Date.now();
      await page.goto(`${base}/`, { waitUntil: 'commit' });
      await page.waitForFunction((n) => document.querySelectorAll('tr[data-name]').length === n, INSTALLATIONS, { polling: 'raf' });
      // Interactive: a keystroke in the filter narrows the list.
      await page.getByLabel('Filter').fill('app19');
      await page.waitForFunction(() => document.querySelectorAll('tr[data-name]').length === 11, undefined, { polling: 'raf' });
      if (r > 0) times.push(Date.now() - started); // the first round warms the caches
    }
    const fromPage = await page.evaluate(() => Math.round(performance.now()));
    rows.push(atMost(`web UI: dashboard with ${INSTALLATIONS} installations, navigation -> rendered and filterable (median of ${ROUNDS})`, median(times), DASHBOARD_TARGET_MS, (x) => `${Math.round(x)} ms`, `runs: ${list(times)}`));
    rows.push(info('  measured from Playwright (wall clock), including its own round trips', `the last page ran ${fromPage} ms at the end`));
    return rows;
  } finally {
    await browser.close();
    await api.close();
    await close();
  }
};
