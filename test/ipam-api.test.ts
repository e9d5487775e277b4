// IP pools through the HTTP API and the CLI: a control plane (the real services and SQLite store
// in a temporary directory, no Podman needed for pools) serving the API on loopback, with a
// NetBox pool on the NetBox simulator. Statuses and messages of the bad cases (full pool, pool in
// use, unknown address, wrong token), and the NetBox token in no answer and no CLI output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openFreehold, type Freehold } from '../src/services/freehold.js';
import { buildApi } from '../src/api/server.js';
import { NetboxSimulator } from './simulators/netbox.js';
import { Command } from 'commander';
import { Client } from '../src/cli/client.js';
import { addIpamCommands } from '../src/cli/ipam-commands.js';

const ROOT = new URL('..', import.meta.url).pathname;
let tmp: string;
let fh: Freehold;
let api: FastifyInstance;
let url: string;
let admin: string;
let sim: NetboxSimulator;
let nbToken: string;
/** Every answer and output, to look for the token in at the end */
const seen: string[] = [];

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'freehold-ipam-api-'));
  fh = await openFreehold({ dataDir: join(tmp, 'data'), catalogDirs: [] });
  api = await buildApi(fh);
  admin = (await fh.settings.ensureAdminToken())!;
  await api.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(api.server.address() as { port: number }).port}`;
  sim = await NetboxSimulator.start();
  nbToken = sim.addToken();
});
after(async () => {
  await api?.close();
  await fh?.close();
  await sim?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown, auth = true) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(auth && { authorization: `Bearer ${admin}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  seen.push(text);
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

function cli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--data-dir', join(tmp, 'cli'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_NO_WARNINGS: '1', FREEHOLD_URL: url, FREEHOLD_TOKEN: admin },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => {
      seen.push(out);
      resolve({ code: code ?? 1, out });
    });
  });
}

test('api: built-in pool: add, allocate, list, full, in use, release, remove', async () => {
  assert.equal((await call('GET', '/api/ip-pools', undefined, false)).status, 401);
  const bad = await call('POST', '/api/ip-pools', { name: 'lan', prefixes: ['10.40.0.1/30'] });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.details, [{ path: 'prefixes.0', message: '"10.40.0.1/30" has host bits set; did you mean 10.40.0.0/30?' }]);
  const added = await call('POST', '/api/ip-pools', { name: 'lan', prefixes: ['10.40.0.0/30', 'fd00:40::/64'] });
  assert.equal(added.status, 201);
  assert.deepEqual(added.body.pool.config, { prefixes: ['10.40.0.0/30', 'fd00:40::/64'], reserve: [] });
  const a = await call('POST', '/api/ip-pools/lan/allocations', { owner: 'web', description: 'web' });
  assert.equal(a.status, 201);
  assert.deepEqual([a.body.allocation.address, a.body.allocation.prefixLength, a.body.allocation.owner], ['10.40.0.1', 30, 'web']);
  assert.equal((await call('POST', '/api/ip-pools/lan/allocations', { owner: 'cal' })).status, 201);
  const full = await call('POST', '/api/ip-pools/lan/allocations', { owner: 'git', family: 4 });
  assert.equal(full.status, 409);
  assert.equal(full.body.error, 'pool lan (10.40.0.0/30) is full: 2 of 2 addresses in use; add a prefix or release addresses');
  const v6 = await call('POST', '/api/ip-pools/lan/allocations', { owner: 'git', family: 6 });
  assert.equal(v6.body.allocation.address, 'fd00:40::1');
  const list = await call('GET', '/api/ip-pools/lan/allocations');
  assert.deepEqual(list.body.allocations.map((x: any) => `${x.address} ${x.owner}`), ['10.40.0.1 web', '10.40.0.2 cal', 'fd00:40::1 git']);
  assert.deepEqual((await call('GET', '/api/ip-pools/lan/allocations?owner=cal')).body.allocations.map((x: any) => x.address), ['10.40.0.2']);
  const inUse = await call('DELETE', '/api/ip-pools/lan');
  assert.equal(inUse.status, 409);
  assert.match(inUse.body.error, /IP pool lan still has 3 address\(es\) allocated \(to web, cal, git\): uninstall the installations that hold them, or release them/);
  assert.equal((await call('DELETE', `/api/ip-pools/lan/allocations/${encodeURIComponent('fd00:40::1')}`)).status, 204);
  const unknown = await call('DELETE', '/api/ip-pools/lan/allocations/10.40.0.3');
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.error, /10\.40\.0\.3 is not allocated in pool lan/);
  assert.equal((await call('DELETE', '/api/ip-pools/lan/allocations/10.40.0.1')).status, 204);
  assert.equal((await call('DELETE', '/api/ip-pools/lan/allocations/10.40.0.2')).status, 204);
  assert.equal((await call('DELETE', '/api/ip-pools/lan')).status, 204);
  assert.equal((await call('GET', '/api/ip-pools/lan/allocations')).status, 404);
});

test('api: NetBox pool: token never answered; a wrong token and a full prefix are clear', async () => {
  const id = sim.addPrefix('10.41.0.0/30');
  const wrong = await call('POST', '/api/ip-pools', { name: 'nb', provider: 'netbox', url: sim.url, token: 'deadbeef', prefixIds: [id] });
  assert.equal(wrong.status, 502);
  assert.match(wrong.body.error, /pool nb: NetBox at .* refused the pool's token \(HTTP 403: Invalid token\)/);
  const added = await call('POST', '/api/ip-pools', { name: 'nb', provider: 'netbox', url: sim.url, token: nbToken, prefixIds: [id] });
  assert.equal(added.status, 201);
  assert.deepEqual(added.body.pool.config, { url: sim.url, prefixIds: [id] });
  for (const owner of ['web', 'cal']) assert.equal((await call('POST', '/api/ip-pools/nb/allocations', { owner })).status, 201);
  const full = await call('POST', '/api/ip-pools/nb/allocations', { owner: 'git' });
  assert.equal(full.status, 409);
  assert.match(full.body.error, /^pool nb \(10\.41\.0\.0\/30, NetBox prefix \d+\) is full: 2 of 2 addresses in use; add a prefix or release addresses \(NetBox: An insufficient number of IP addresses/);
  assert.equal((await call('GET', '/api/ip-pools')).status, 200);
  assert.equal((await call('GET', '/api/ip-pools/nb')).status, 200);
});

/**
 * The ip-pools commands in this process, on a fresh program each time (spawning the CLI costs
 * about 2 s a time; one spawn below checks that `freehold` has them)
 */
async function cliHere(args: string[]): Promise<{ code: number; out: string }> {
  const program = new Command('freehold').exitOverride().option('--json');
  const lines: string[] = [];
  const table = (rows: Record<string, unknown>[], cols: string[]) => {
    if (!rows.length) return lines.push('(none)');
    for (const r of rows) lines.push(cols.map((c) => String(r[c] ?? '')).join('  '));
  };
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  let code = 0;
  try {
    addIpamCommands(program, { client: () => new Client(url, admin), print: (v) => lines.push(JSON.stringify(v)), table, json: () => program.opts().json });
    await program.parseAsync(['node', 'freehold', ...args]);
  } catch (err) {
    lines.push(`error: ${(err as Error).message}`);
    code = 1;
  } finally {
    console.log = log;
  }
  const out = lines.join('\n');
  seen.push(out);
  return { code, out };
}

test('cli: ip-pools add, allocate, list, allocations, release, remove; the token file stays secret', async () => {
  let r = await cliHere(['ip-pools', 'add', 'office', '--prefix', '10.42.0.0/29', '--prefix', 'fd00:42::/64', '--reserve', '10.42.0.1']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /IP pool office added: builtin, 10\.42\.0\.0\/29, fd00:42::\/64; reserved 10\.42\.0\.1/);
  r = await cliHere(['ip-pools', 'allocate', 'office', '--owner', 'web']);
  assert.equal(r.out.trim(), '10.42.0.2/29');
  r = await cliHere(['ip-pools', 'allocate', 'office', '--owner', 'web', '--family', '6', '--description', 'v6 of web']);
  assert.equal(r.out.trim(), 'fd00:42::1/64');
  r = await cliHere(['ip-pools', 'allocations', 'office']);
  assert.deepEqual(r.out.split('\n'), ['10.42.0.2/29  web  ', 'fd00:42::1/64  web  v6 of web']);
  const tokenFile = join(tmp, 'netbox-token');
  writeFileSync(tokenFile, `${nbToken}\n`, { mode: 0o600 });
  r = await cliHere(['ip-pools', 'add', 'nbcli', '--provider', 'netbox', '--url', sim.url, '--token-file', tokenFile, '--prefix-id', String(sim.addPrefix('10.43.0.0/30'))]);
  assert.equal(r.code, 0, r.out);
  r = await cliHere(['ip-pools', 'update', 'nbcli', '--add-prefix-id', String(sim.addPrefix('10.43.1.0/30')), '--token-file', tokenFile]);
  assert.match(r.out, /IP pool nbcli changed: netbox, http:\/\/127\.0\.0\.1:\d+ prefixes \d+,\d+/);
  r = await cliHere(['ip-pools', 'update', 'office', '--add-prefix', '10.42.1.0/29', '--unreserve', '10.42.0.1']);
  assert.match(r.out, /IP pool office changed: builtin, 10\.42\.0\.0\/29, fd00:42::\/64, 10\.42\.1\.0\/29$/);
  r = await cliHere(['ip-pools', 'remove', 'office']);
  assert.equal(r.code, 1);
  assert.match(r.out, /error: IP pool office still has 2 address\(es\) allocated \(to web\)/);
  r = await cliHere(['ip-pools', 'release', 'office', '10.42.0.2']);
  assert.equal(r.code, 0, r.out);
  r = await cliHere(['ip-pools', 'release', 'office', 'fd00:42::1']);
  assert.equal(r.code, 0, r.out);
  // the real command: `freehold ip-pools list` has them
  const spawned = await cli(['ip-pools', 'list']);
  assert.equal(spawned.code, 0, spawned.out);
  assert.match(spawned.out, /office\s+builtin\s+10\.42\.0\.0\/29, fd00:42::\/64, 10\.42\.1\.0\/29/);
  assert.match(spawned.out, /nbcli\s+netbox\s+http:\/\/127\.0\.0\.1:\d+ prefixes \d+,\d+/);
  r = await cliHere(['ip-pools', 'remove', 'office']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /IP pool office removed/);
});

test('the NetBox token is in no API answer and no CLI output', () => {
  assert.ok(seen.length > 10);
  for (const s of seen) assert.ok(!s.includes(nbToken), `the token is in: ${s}`);
});
