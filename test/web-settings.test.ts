// The settings pages of the web UI end to end in a real browser (Debian's Chromium through
// playwright-core) against a real control plane: a domain added through the form with the
// PowerDNS provider against a real pdns_server (bad input and a wrong API key first, shown in the
// form; the key never shown back), its records, the drift check and repair, the octoDNS export
// shown and downloaded, removal with force; a built-in IP pool with an address allocated and
// released; the local host's public addresses; the secrets backend; the ACME account against a
// real pebble, and a certificate issued, renewed, revoked and removed from the page. Screenshots
// of each step in test-artifacts/web-settings/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { TestFreehold } from './helpers/freehold.js';
import { checkPrerequisites, launch } from './helpers/browser.js';
import { startPowerDns, type PowerDns } from './helpers/dns-servers.js';
import { startPebble, type Pebble } from './helpers/pebble.js';
import { freePort } from '../src/lib/net.js';

const ROOT = new URL('..', import.meta.url).pathname;
const ARTIFACTS = join(ROOT, 'test-artifacts', 'web-settings');
const ZONE = 'example.test';

let fh: TestFreehold;
let pdns: PowerDns;
let pebble: Pebble | undefined;
let browser: Browser;
let page: Page;
let base: string;
/** Whether the control plane has the certificates API (written at the same time as these pages) */
let hasCertificates = false;

let shots = 0;
async function screenshot(p: Page, name: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await p.screenshot({ path: join(ARTIFACTS, `${String(++shots).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** Sets record sets in PowerDNS directly, through its own API (what a user does by hand) */
async function pdnsSet(rrsets: { name: string; type: string; records: string[] }[]) {
  const res = await fetch(`${pdns.url}/api/v1/servers/localhost/zones/${ZONE}.`, {
    method: 'PATCH',
    headers: { 'X-API-Key': pdns.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({
      rrsets: rrsets.map((r) => ({ name: `${r.name}.${ZONE}.`, type: r.type, ttl: 300, changetype: r.records.length ? 'REPLACE' : 'DELETE', records: r.records.map((content) => ({ content, disabled: false })) })),
    }),
  });
  assert.equal(res.status, 204, await res.text());
}

async function pdnsRecords(name: string, type: string): Promise<string[]> {
  const res = await fetch(`${pdns.url}/api/v1/servers/localhost/zones/${ZONE}.`, { headers: { 'X-API-Key': pdns.apiKey } });
  const zone = (await res.json()) as { rrsets: { name: string; type: string; records: { content: string }[] }[] };
  return (zone.rrsets.find((r) => r.name === `${name}.${ZONE}.` && r.type === type)?.records ?? []).map((r) => r.content).sort();
}

/** Polls until fn returns something truthy */
async function until<T>(fn: () => Promise<T | false | undefined | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`not so after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  checkPrerequisites();
  rmSync(ARTIFACTS, { recursive: true, force: true });
  [fh, pdns] = await Promise.all([TestFreehold.start(), startPowerDns({ zones: [ZONE] })]);
  base = fh.client.url;
  // www points at this machine: the records table shows it, and pebble resolves it through this PowerDNS
  await pdnsSet([{ name: 'www', type: 'A', records: ['127.0.0.1'] }]);
  hasCertificates = await fh.request('GET', '/api/acme/account').then(
    () => true,
    () => false,
  );
  if (hasCertificates) pebble = await startPebble({ httpPort: fh.httpPort, tlsPort: fh.httpsPort, dnsServer: `127.0.0.1:${pdns.dnsPort}` });
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
});

after(async () => {
  await browser?.close().catch(() => {});
  await Promise.all([fh?.stop(), pdns?.stop(), pebble?.stop()]);
});

test('sign in, then Settings from the navigation: the domains section is empty and says what to do', async () => {
  await page.goto(`${base}/signin`);
  await page.getByLabel('Admin token').fill(readFileSync(join(fh.dataDir, 'admin-token'), 'utf8').trim());
  await page.getByLabel('Admin token').press('Enter');
  await page.getByRole('heading', { name: 'Your apps' }).waitFor();
  await page.getByRole('link', { name: 'Freehold settings' }).click();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/settings');
  assert.equal(await page.getByRole('link', { name: 'Domains' }).getAttribute('aria-current'), 'page');
  await page.getByRole('heading', { name: 'No domain yet' }).waitFor();
  await screenshot(page, 'domains-empty');
});

test('add a domain: bad input and a wrong PowerDNS API key are shown in the form; nothing is kept', async () => {
  const form = page.getByTestId('add-domain');
  assert.equal(await form.getByLabel('DNS provider').inputValue(), 'powerdns');
  // The fields follow the provider
  await form.getByLabel('DNS provider').selectOption('rfc2136');
  await form.getByLabel('TSIG secret').waitFor();
  assert.equal(await form.getByLabel('TSIG secret').getAttribute('type'), 'password');
  assert.equal(await form.getByLabel('API key').count(), 0);
  await form.getByLabel('DNS provider').selectOption('powerdns');
  assert.equal(await form.getByLabel('TSIG secret').count(), 0);
  const key = form.getByLabel('API key');
  assert.equal(await key.getAttribute('type'), 'password');

  // Refused by the API with field paths: each message next to its field
  await form.getByLabel('Domain', { exact: true }).fill('bad name');
  await form.getByLabel('API URL').fill(pdns.url);
  await form.getByRole('button', { name: 'Add domain' }).click();
  await form.getByRole('alert').waitFor();
  assert.equal(await form.getByLabel('Domain', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.match(await form.locator('[data-field="name"] .field-error').innerText(), /must be a domain name/);
  assert.match(await form.locator('[data-field="apiKey"] .field-error').innerText(), /is required for powerdns/);
  assert.match(await form.locator('.error-details').innerText(), /name\s+must be a domain name[\s\S]*apiKey\s+is required/);
  await screenshot(page, 'domain-invalid');

  // A wrong key: PowerDNS refuses it, the form says so, and the domain is not kept
  await form.getByLabel('Domain', { exact: true }).fill(ZONE);
  await key.fill('not-the-key');
  await form.getByRole('button', { name: 'Add domain' }).click();
  await form.getByText('The domain was not added').waitFor();
  const error = await form.getByRole('alert').innerText();
  assert.match(error, /powerdns/i);
  assert.match(error, /key|401|unauthori[sz]ed|refused/i);
  assert.match(await form.locator('[data-field="provider"] .field-error').innerText(), /refused the credentials/);
  assert.equal(await form.locator('[data-field="name"] .field-error').count(), 0, 'the old field errors are gone');
  assert.deepEqual((await fh.request('GET', '/api/domains')).domains, []);
  await screenshot(page, 'domain-wrong-key');
});

test('with the right key the domain is added and listed; the key is never shown back', async () => {
  const form = page.getByTestId('add-domain');
  await form.getByLabel('API key').fill(pdns.apiKey);
  await form.getByLabel('TTL of the records (seconds)').fill('600');
  await form.getByRole('button', { name: 'Add domain' }).click();
  await page.getByText(`Domain ${ZONE} added.`).waitFor();
  const row = page.locator(`tr[data-domain="${ZONE}"]`);
  await row.waitFor();
  const text = await row.innerText();
  assert.match(text, /powerdns/);
  assert.ok(text.includes(pdns.url), text);
  assert.match(text, /serverId\s+localhost/);
  assert.match(text, /600 s/);
  assert.equal(await form.getByLabel('API key').inputValue(), '', 'the form forgets the key it sent');
  assert.equal(await form.getByLabel('Domain', { exact: true }).inputValue(), '');
  assert.ok(!(await page.content()).includes(pdns.apiKey), 'the key is nowhere in the page');
  const { domains } = await fh.request('GET', '/api/domains');
  assert.deepEqual(
    domains.map((d: any) => [d.name, d.provider, d.ttl]),
    [[ZONE, 'powerdns', 600]],
  );
  await screenshot(page, 'domain-added');
});

test("the domain's page: its records, then the octoDNS export shown and downloaded", async () => {
  await page.getByRole('link', { name: ZONE, exact: true }).click();
  await page.getByTestId('domain-detail').waitFor();
  assert.equal(new URL(page.url()).pathname, `/settings/domains/${ZONE}`);
  const www = page.locator('[data-testid="records"] tr[data-record="www A"]');
  await www.waitFor();
  assert.match(await www.innerText(), /www\s+A\s+300\s+127\.0\.0\.1/);
  await page.getByRole('button', { name: 'Export (octoDNS)' }).click();
  const yaml = page.getByTestId('domain-export');
  await yaml.waitFor();
  const shown = await yaml.innerText();
  assert.match(shown, /^---\n/);
  assert.match(shown, /^www:\n {2}ttl: 300\n {2}type: A\n {2}value: 127\.0\.0\.1$/m);
  assert.equal(shown.trim(), (await fh.client.request<string>('GET', `/api/domains/${ZONE}/export`)).trim(), 'the page shows what the API exports');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: `Download ${ZONE}.yaml` }).click()]);
  assert.equal(download.suggestedFilename(), `${ZONE}.yaml`);
  assert.equal(readFileSync((await download.path())!, 'utf8').trim(), shown.trim());
  await screenshot(page, 'domain-records-export');
});

test('check finds a record changed by hand and Repair puts it back', async () => {
  // An installation's records, as the engine keeps them (no app is installed for this)
  const db = new Database(join(fh.dataDir, 'freehold.db'));
  try {
    db.prepare('INSERT INTO domain_records (domain, installation, records, updated_at) VALUES (?, ?, ?, ?)').run(
      ZONE,
      'cal',
      JSON.stringify([{ name: 'cal', type: 'A', ttl: 600, values: ['192.0.2.7'] }]),
      new Date().toISOString(),
    );
  } finally {
    db.close();
  }
  await pdnsSet([{ name: 'cal', type: 'A', records: ['198.51.100.66'] }]);
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  const drift = page.getByTestId('drift-list');
  await drift.waitFor();
  assert.match(await drift.innerText(), /cal\s+cal\.example\.test\s+A\s+changed by hand\s+192\.0\.2\.7\s+198\.51\.100\.66/);
  await page.locator('.facts dd').filter({ hasText: /^cal$/ }).waitFor();
  await screenshot(page, 'domain-drift');
  await page.getByRole('button', { name: 'Repair' }).click();
  await page.getByText('1 record set repaired.').waitFor();
  await page.getByTestId('drift-none').waitFor();
  assert.deepEqual(await pdnsRecords('cal', 'A'), ['192.0.2.7']);
  await page.locator('[data-testid="records"] tr[data-record="cal A"]').filter({ hasText: '192.0.2.7' }).waitFor();
  await screenshot(page, 'domain-repaired');
});

test("the domain's TTL changed on its page: the installation's record gets it too", async () => {
  const form = page.getByTestId('change-domain');
  const ttl = form.getByLabel('TTL of the records (seconds)');
  await ttl.fill('0');
  await form.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('[data-field="ttl"] .field-error').waitFor();
  assert.match(await page.locator('[data-field="ttl"] .field-error').innerText(), /must be >= 1/);
  await ttl.fill('60');
  await form.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('.facts dd').filter({ hasText: /^60 s$/ }).waitFor();
  const { records } = await fh.request('GET', `/api/domains/${ZONE}/records`);
  assert.equal(records.find((r: any) => r.name === 'cal' && r.type === 'A')?.ttl, 60);
  await screenshot(page, 'domain-ttl-changed');
});

test('removing a domain that installations have records on asks first and says what stays', async () => {
  await page.getByRole('link', { name: 'Domains', exact: true }).first().click();
  const row = page.locator(`tr[data-domain="${ZONE}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /\bcal\b/, 'the installation with records there is listed');
  await row.getByRole('button', { name: `Remove ${ZONE}…` }).click();
  const confirm = page.getByRole('alertdialog');
  assert.match(await confirm.innerText(), /cal has records on example\.test[\s\S]*no longer managed by Freehold/);
  await screenshot(page, 'domain-remove-confirm');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await fh.request('GET', '/api/domains')).domains.length, 1, 'Cancel removes nothing');
  await row.getByRole('button', { name: `Remove ${ZONE}…` }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: `Remove ${ZONE} anyway` }).click();
  await page.getByRole('heading', { name: 'No domain yet' }).waitFor();
  assert.deepEqual((await fh.request('GET', '/api/domains')).domains, []);
  assert.deepEqual(await pdnsRecords('cal', 'A'), ['192.0.2.7'], 'the records stay in DNS');
});

test('IP pools: a bad prefix is shown at its field; a built-in pool added, an address allocated and released, the pool removed', async () => {
  await page.getByRole('link', { name: 'IP pools' }).click();
  await page.getByRole('heading', { name: 'No IP pool yet' }).waitFor();
  const form = page.getByTestId('add-pool');
  await form.getByLabel('Name').fill('lan');
  await form.getByLabel('Prefixes').fill('10.40.0.1/30');
  await form.getByRole('button', { name: 'Add pool' }).click();
  await form.getByText('The pool was not added').waitFor();
  assert.match(await form.locator('[data-field="prefixes"] .field-error').innerText(), /0: "10\.40\.0\.1\/30" has host bits set; did you mean 10\.40\.0\.0\/30\?/);
  await form.getByLabel('Prefixes').fill('10.40.0.0/30\nfd00:40::/64');
  await form.getByRole('button', { name: 'Add pool' }).click();
  const pool = page.locator('[data-pool="lan"]');
  await pool.waitFor();
  assert.match(await pool.innerText(), /10\.40\.0\.0\/30, fd00:40::\/64/);
  await pool.getByText('No address allocated').waitFor(); // the allocations load after the pool

  await pool.getByText('Allocate an address by hand').click();
  await pool.getByLabel('Owner').fill('web');
  await pool.getByRole('button', { name: 'Allocate', exact: true }).click();
  await pool.getByTestId('allocated').waitFor();
  assert.match(await pool.getByTestId('allocated').innerText(), /10\.40\.0\.1\/30/);
  const row = pool.locator('tr[data-address="10.40.0.1"]');
  await row.waitFor();
  assert.match(await row.innerText(), /10\.40\.0\.1\s+10\.40\.0\.0\/30\s+web/);
  await pool.getByLabel('Family').selectOption('6');
  await pool.getByLabel('Owner').fill('cal');
  await pool.getByRole('button', { name: 'Allocate', exact: true }).click();
  await pool.locator('tr[data-address="fd00:40::1"]').waitFor();
  await screenshot(page, 'ip-pool-allocated');

  // In use: removal is refused with the API's reason
  await pool.getByRole('button', { name: 'Remove pool lan…' }).click();
  await pool.getByRole('alertdialog').getByRole('button', { name: 'Remove lan' }).click();
  await pool.getByText('Could not remove the pool').waitFor();
  assert.match(await pool.locator('.error-box').innerText(), /still has 2 address\(es\) allocated \(to web, cal\)/);
  await screenshot(page, 'ip-pool-in-use');
  await pool.getByRole('button', { name: 'Release 10.40.0.1' }).click();
  await row.waitFor({ state: 'detached' });
  await pool.getByRole('button', { name: 'Release fd00:40::1' }).click();
  await pool.getByText('No address allocated').waitFor();
  await pool.getByRole('button', { name: 'Remove pool lan…' }).click();
  await pool.getByRole('alertdialog').getByRole('button', { name: 'Remove lan' }).click();
  await page.getByRole('heading', { name: 'No IP pool yet' }).waitFor();
  assert.deepEqual((await fh.request('GET', '/api/ip-pools')).pools, []);
});

test("Hosts: the local host's public addresses, a bad one refused at its field, then saved and listed", async () => {
  await page.getByRole('link', { name: 'Hosts' }).click();
  const row = page.locator('tr[data-host="local"]');
  await row.waitFor();
  assert.match(await row.getByTestId('host-public').innerText(), /not set/);
  await row.getByRole('button', { name: 'Edit the public address of local' }).click();
  const form = page.getByTestId('host-form');
  await form.getByLabel('Public addresses', { exact: true }).fill('203.0.113.10, not-an-address');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.getByText('Not saved').waitFor();
  assert.equal(await form.getByLabel('Public addresses', { exact: true }).getAttribute('aria-invalid'), 'true');
  await screenshot(page, 'host-invalid');
  await form.getByLabel('Public addresses', { exact: true }).fill('203.0.113.10, 2001:db8::10');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.waitFor({ state: 'detached' });
  await row.getByTestId('host-public').filter({ hasText: '2001:db8::10' }).waitFor();
  assert.match(await row.getByTestId('host-public').innerText(), /^203\.0\.113\.10, 2001:db8::10$/);
  const { hosts } = await fh.request('GET', '/api/hosts');
  assert.deepEqual(hosts.find((h: any) => h.id === 'local').public, { addresses: ['203.0.113.10', '2001:db8::10'] });
  await screenshot(page, 'host-public');
  // A public name instead
  await row.getByRole('button', { name: 'Edit the public address of local' }).click();
  await form.getByLabel('A public name (CNAME record)').check();
  await form.getByLabel('Public name', { exact: true }).fill('home.example.net');
  await form.getByRole('button', { name: 'Save' }).click();
  await row.getByTestId('host-public').filter({ hasText: 'CNAME to home.example.net' }).waitFor();
});

test('Secrets backend: built-in in use; OpenBao that cannot be reached is refused and nothing changes', async () => {
  await page.getByRole('link', { name: 'Secrets backend' }).click();
  const kind = page.getByTestId('secrets-kind');
  await kind.waitFor();
  assert.equal(await kind.getAttribute('data-kind'), 'builtin');
  assert.match(await kind.innerText(), /builtin/);
  await screenshot(page, 'secrets-builtin');
  const form = page.getByTestId('secrets-form');
  await form.getByLabel('OpenBao / Vault (KV version 2)').check();
  const token = form.getByLabel('Token', { exact: true });
  assert.equal(await token.getAttribute('type'), 'password');
  await form.getByLabel('URL', { exact: true }).fill(`http://127.0.0.1:${await freePort()}`);
  await token.fill('s.not-a-real-token-1234');
  await form.getByRole('button', { name: 'Switch to OpenBao' }).click();
  await form.getByText('The backend was not changed').waitFor();
  const error = await form.getByRole('alert').innerText();
  assert.match(error, /127\.0\.0\.1/);
  assert.ok(!error.includes('s.not-a-real-token-1234'), 'the token is not in the error');
  assert.match(await form.locator('[data-field="url"] .field-error').innerText(), /cannot be reached/);
  assert.equal((await fh.request('GET', '/api/secrets/backend')).backend.kind, 'builtin');
  assert.equal(await kind.getAttribute('data-kind'), 'builtin');
  await screenshot(page, 'secrets-openbao-unreachable');
});

test('Certificates: the ACME account against a real pebble (its CA bundle needed), then a certificate issued, renewed, revoked and removed', { timeout: 120_000 }, async (t) => {
  if (!hasCertificates || !pebble) return t.skip('the control plane has no certificates API');
  await page.getByRole('link', { name: 'Certificates' }).click();
  const account = page.getByTestId('acme-account');
  await account.getByText('No ACME account yet').waitFor();
  await account.getByLabel('Another ACME directory').check();
  await account.getByLabel('Directory URL').fill(pebble.directoryUrl);
  await account.getByLabel('Contact email').fill('admin@example.test');
  // Without the CA bundle, pebble's HTTPS certificate is not trusted
  await account.getByRole('button', { name: 'Save account' }).click();
  await account.getByText('The account was not saved').waitFor();
  assert.match(await account.getByRole('alert').innerText(), /certificate|TLS|trust|self.signed|issuer/i);
  await screenshot(page, 'acme-untrusted');
  await account.getByLabel('CA bundle (optional)').fill(pebble.caBundle);
  await account.getByRole('button', { name: 'Save account' }).click();
  await account.getByText('ACME account saved.').waitFor();
  const facts = account.getByTestId('acme-current');
  await facts.waitFor();
  const text = await facts.innerText();
  assert.ok(text.includes(pebble.directoryUrl), text);
  assert.match(text, /admin@example\.test/);
  assert.match(text, /Registered\s+https:\/\/127\.0\.0\.1:\d+\/my-account\//);
  assert.match(text, /CA bundle\s+kept/);
  assert.equal(await account.getByLabel('CA bundle (optional)').inputValue(), '', 'the bundle is not filled in again');
  const { account: saved } = await fh.request('GET', '/api/acme/account');
  assert.equal(saved.directoryUrl, pebble.directoryUrl);
  await screenshot(page, 'acme-account');

  // A name the API refuses, at its field
  const issue = page.getByTestId('issue-form');
  await issue.getByLabel('Domains', { exact: true }).fill('not a name!');
  await issue.getByRole('button', { name: 'Issue' }).click();
  await issue.getByText('No certificate was issued').waitFor();
  assert.equal(await issue.getByLabel('Domains', { exact: true }).getAttribute('aria-invalid'), 'true');

  // HTTP-01 through the control plane's edge: pebble resolves www.example.test through PowerDNS
  await issue.getByLabel('Domains', { exact: true }).fill(`www.${ZONE}`);
  await issue.getByRole('button', { name: 'Issue' }).click();
  await issue.getByText(`Certificate for www.${ZONE} issued`).waitFor({ timeout: 90_000 });
  const { certificates } = await fh.request('GET', '/api/certificates');
  assert.equal(certificates.length, 1);
  const cert = certificates[0];
  const row = page.locator(`tr[data-certificate="${cert.id}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(`www\\.${ZONE.replace('.', '\\.')}[\\s\\S]*http-01[\\s\\S]*valid`));
  await screenshot(page, 'certificate-issued');

  await row.getByRole('button', { name: 'Renew', exact: true }).click();
  const renewed = await until(async () => {
    const c = (await fh.request('GET', '/api/certificates')).certificates[0];
    return c.serial !== cert.serial && c;
  }, 90_000);
  await row.getByRole('button', { name: 'Renew', exact: true }).and(page.locator(':enabled')).waitFor();
  assert.equal((await pebble.certStatus(renewed.serial)).Status, 'Valid');

  await row.getByRole('button', { name: 'Revoke…' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke' }).click();
  await row.locator('.badge').filter({ hasText: 'revoked' }).waitFor({ timeout: 60_000 });
  assert.equal((await pebble.certStatus(renewed.serial)).Status, 'Revoked');
  await screenshot(page, 'certificate-revoked');

  await row.getByRole('button', { name: 'Remove…' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Remove', exact: true }).click();
  await page.getByRole('heading', { name: 'No certificate yet' }).waitFor();
  assert.deepEqual((await fh.request('GET', '/api/certificates')).certificates, []);
});

test('on a phone-sized screen the settings tables become cards', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('link', { name: 'Hosts' }).click();
  await page.locator('tr[data-host="local"]').waitFor();
  assert.equal(await page.locator('[data-testid="hosts"] thead').isVisible(), false);
  await screenshot(page, 'hosts-phone');
  await page.setViewportSize({ width: 1280, height: 900 });
});
