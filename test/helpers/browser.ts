/**
 * A real browser for the web UI's tests: Debian's Chromium driven by playwright-core (Playwright's
 * own browser downloads are not used). Screenshots go to test-artifacts/web-ui/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = new URL('../..', import.meta.url).pathname;
export const CHROMIUM = process.env.FREEHOLD_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'web-ui');
export const WEB_DIST = join(ROOT, 'web', 'dist');

/** Fails with what to do when the web UI is not built or Chromium is not installed */
export function checkPrerequisites() {
  if (!existsSync(join(WEB_DIST, 'index.html'))) throw new Error('web/dist is missing: build the web UI first with "npm run build" at the root (it builds web/; its dependencies come from "npm ci" in web/, see scripts/setup.sh)');
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it with "apt-get install -y chromium" (scripts/setup.sh does)`);
}

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** base64 SHA-256 of a certificate's public key (what --ignore-certificate-errors-spki-list takes) */
export function spkiHash(pemFile: string): string {
  const der = new X509Certificate(readFileSync(pemFile)).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/**
 * Launches Chromium (a fresh profile each time). `trust`: certificate files (Caddy's local root
 * and intermediate) whose keys the browser accepts in a chain, so that https://<name>.localhost is
 * checked against Caddy's CA only, without accepting every certificate.
 */
export async function launch(opts: { trust?: string[] } = {}): Promise<Browser> {
  const args = [...ARGS, '--host-resolver-rules=MAP *.localhost 127.0.0.1'];
  const hashes = (opts.trust ?? []).filter(existsSync).map(spkiHash);
  if (hashes.length) args.push(`--ignore-certificate-errors-spki-list=${hashes.join(',')}`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 60_000 });
}

let shots = 0;
/** A full-page screenshot under test-artifacts/web-ui/, numbered in the order taken */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${String(++shots).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
