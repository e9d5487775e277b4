// The secrets backend as a setting, and OpenTofu state kept through it: a real control plane
// (`freehold up` in a child process) set to the OpenBao KV v2 simulator (test/simulators/openbao.ts,
// in this process). A wrong token or an unreachable URL is refused with the fix and changes
// nothing; the real `terraform` applies through Freehold's HTTP backend and the state is found in
// the simulator's storage, not in SQLite; a restart serves it again; a state written before the
// switch is still read from the built-in store; going back to builtin never answers "no state"
// for a state kept in OpenBao; OpenBao refusing or sealed at run time is an error naming it and
// the fix. The token never appears in an API answer, a CLI output or a log line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { terraformProject } from './helpers/terraform.js';
import { TestFreehold } from './helpers/freehold.js';
import { startOpenBaoSimulator, type OpenBaoSimulator } from './simulators/openbao.js';
import { run, type RunResult } from '../src/lib/spawn.js';
import { freePort } from '../src/lib/net.js';

const TERRAFORM = process.env.FREEHOLD_TEST_TERRAFORM ?? 'terraform';
const ROOT = new URL('..', import.meta.url).pathname;
let fh: TestFreehold;
let sim: OpenBaoSimulator;
let admin: string;
/** Freehold's OpenBao token: the policy docs/secrets.md gives, nothing more */
let baoToken: string;
const scratch = mkdtempSync(join(tmpdir(), 'freehold-secrets-backend-'));
const value = `hello-${randomBytes(6).toString('hex')}`;
/** Every API answer and CLI output, for the token check at the end */
const seen: string[] = [];
const policy = [
  { path: 'secret/data/freehold/*', capabilities: ['create', 'read', 'update'] },
  { path: 'secret/metadata/freehold/*', capabilities: ['read', 'list', 'delete'] },
  { path: 'secret/metadata/freehold', capabilities: ['list'] },
] as const;

before(async () => {
  sim = await startOpenBaoSimulator();
  baoToken = sim.addToken(policy.map((p) => ({ path: p.path, capabilities: [...p.capabilities] })));
  fh = await TestFreehold.start();
  admin = readFileSync(join(fh.dataDir, 'admin-token'), 'utf8').trim();
});
after(async () => {
  await fh?.stop();
  await sim?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(`${fh.client.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  seen.push(text);
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

const cli = async (...args: string[]): Promise<RunResult> => {
  const r = await run([process.execPath, '--import', 'tsx', 'src/cli/main.ts', '--data-dir', fh.dataDir, ...args], { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' }, check: false });
  seen.push(r.stdout, r.stderr);
  return r;
};

const env = () => ({ ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: join(scratch, 'empty.tfrc'), TF_HTTP_PASSWORD: admin });
const tf = (cwd: string, ...args: string[]) => run([TERRAFORM, ...args], { cwd, env: env(), check: false, timeoutMs: 60_000 });
const ok = async (cwd: string, ...args: string[]) => {
  const r = await tf(cwd, ...args);
  assert.equal(r.code, 0, `terraform ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
};

/** A working directory: the http backend on Freehold (the password from TF_HTTP_PASSWORD), one terraform_data and an output */
function workdir(name: string, state: string, input: string) {
  writeFileSync(join(scratch, 'empty.tfrc'), '');
  return terraformProject(join(scratch, name), { address: `${fh.client.url}/api/tofu/state/${state}`, input });
}

/** The rows of the built-in state store for a state (read-only, beside the running control plane) */
function sqliteVersions(name: string): number {
  const db = new Database(join(fh.dataDir, 'freehold.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM tofu_state_versions WHERE name = ?').get(name) as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The state as the simulator stores it (the newest version's data) */
function inOpenBao(name: string) {
  const s = sim.peek('secret', `freehold/tofu/${name}`);
  if (!s) return undefined;
  const data = s.versions.get(s.current_version)?.data as Record<string, string>;
  return { version: s.current_version, data, state: JSON.parse(Buffer.from(data.state, 'base64').toString('utf8')) };
}

const stateBody = (serial: number, secret: string, lineage = 'lin-old') => JSON.stringify({ version: 4, terraform_version: '1.11.4', serial, lineage, outputs: { s: { value: secret, type: 'string' } }, resources: [] });
let old: string;

test('default: the built-in backend; a state written now stays in the built-in store', async () => {
  const r = await api('GET', '/api/secrets/backend');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { backend: { kind: 'builtin', settings: { kind: 'builtin', maxVersions: 10 }, configuredAt: null } });
  old = `before-${randomBytes(4).toString('hex')}`;
  assert.equal((await api('POST', '/api/tofu/state/old', stateBody(1, old))).status, 200);
  assert.equal(sqliteVersions('old'), 1);
  assert.equal((await api('GET', '/api/tofu/states')).json.backend, 'builtin');
});

test('a wrong token is refused (502, naming OpenBao, its URL and the fix); nothing changes', async () => {
  const wrong = `s.wrong-${randomBytes(8).toString('hex')}`;
  const r = await api('PUT', '/api/secrets/backend', { kind: 'openbao', url: sim.url, token: wrong });
  assert.equal(r.status, 502, r.text);
  assert.match(r.json.error, /the OpenBao backend was not kept \(nothing changed\)/);
  assert.ok(r.json.error.includes(`OpenBao at ${sim.url} refused`), r.json.error);
  assert.match(r.json.error, /the token is wrong or expired.*give Freehold a valid token/);
  assert.deepEqual(r.json.details, [{ path: 'token', message: 'permission_denied' }]);
  assert.ok(!r.text.includes(wrong), 'the token is in the answer');
  assert.equal((await api('GET', '/api/secrets/backend')).json.backend.kind, 'builtin');
  assert.ok(!fh.output.includes(wrong), 'the token is in the log');
});

test('an unreachable URL is refused naming it; invalid input is a 400 with field paths', async () => {
  const port = await freePort();
  const r = await api('PUT', '/api/secrets/backend', { kind: 'openbao', url: `http://127.0.0.1:${port}`, token: baoToken });
  assert.equal(r.status, 502, r.text);
  assert.ok(r.json.error.includes(`OpenBao at http://127.0.0.1:${port} is unreachable (refused the connection): check that OpenBao runs there`), r.json.error);
  assert.deepEqual(r.json.details, [{ path: 'url', message: 'unreachable' }]);
  const bad = await api('PUT', '/api/secrets/backend', { kind: 'openbao', url: 'ftp://x' });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.json.details.map((d: any) => d.path).sort(), ['token', 'url']);
  const unknown = await api('PUT', '/api/secrets/backend', { kind: 'vault9', tokenFile: '/etc/shadow' });
  assert.equal(unknown.status, 400);
  assert.equal((await api('GET', '/api/secrets/backend')).json.backend.kind, 'builtin');
});

test('set to OpenBao through the CLI (token from a file); the view never shows the token', async () => {
  const tokenFile = join(scratch, 'bao-token');
  writeFileSync(tokenFile, `${baoToken}\n`, { mode: 0o600 });
  const set = await cli('secrets', 'backend', 'set', 'openbao', '--url', sim.url, '--token-file', tokenFile);
  assert.equal(set.code, 0, set.stderr);
  assert.ok(set.stdout.includes(`secrets backend: openbao (url=${sim.url} mount=secret prefix=freehold)`), set.stdout);
  // The state written before is reported: kept in the built-in store, read from there
  assert.match(set.stdout, /note: 1 OpenTofu state\(s\) \(old\): kept in the built-in store \(freehold\.db\); nothing was copied/);
  const r = await api('GET', '/api/secrets/backend');
  assert.equal(r.json.backend.kind, 'openbao');
  assert.deepEqual(r.json.backend.settings, { kind: 'openbao', url: sim.url, mount: 'secret', prefix: 'freehold', namespace: null, customCa: false });
  assert.ok(r.json.backend.configuredAt);
  const shown = await cli('secrets', 'backend');
  assert.match(shown.stdout, /^secrets backend: openbao \(url=http:\/\/127\.0\.0\.1:\d+ mount=secret prefix=freehold\), set /);
  assert.equal((await api('GET', '/api/tofu/states')).json.backend, 'openbao');
});

test('a state from before the switch is read from the built-in store, and goes to OpenBao with its next write', async () => {
  const got = await api('GET', '/api/tofu/state/old');
  assert.equal(got.status, 200);
  assert.equal(JSON.parse(got.text).outputs.s.value, old);
  assert.equal(inOpenBao('old'), undefined, 'copied without a write');
  assert.equal((await api('POST', '/api/tofu/state/old', stateBody(2, `${old}-2`))).status, 200);
  assert.equal(inOpenBao('old')?.state.serial, 2);
  assert.equal(JSON.parse((await api('GET', '/api/tofu/state/old')).text).serial, 2);
});

let dir: string;
test('terraform applies through Freehold and the state is in OpenBao, not in SQLite; a restart serves it', async () => {
  dir = workdir('main', 'demo', value);
  await ok(dir, 'init', '-input=false', '-no-color');
  const apply = await ok(dir, 'apply', '-auto-approve', '-input=false', '-no-color');
  assert.match(apply.stdout, /Apply complete! Resources: 1 added/);
  const stored = inOpenBao('demo');
  assert.ok(stored, 'no state in the simulator');
  assert.equal(stored.state.outputs.x.value, value);
  assert.equal(stored.state.resources[0].type, 'terraform_data');
  assert.ok(sim.requests.some((r) => r.method === 'POST' && r.path === '/v1/secret/data/freehold/tofu/demo' && r.status === 200));
  assert.equal(sqliteVersions('demo'), 0, 'a version of the state is in SQLite');
  const files = Buffer.concat(['freehold.db', 'freehold.db-wal'].map((f) => join(fh.dataDir, f)).flatMap((f) => { try { return [readFileSync(f)]; } catch { return []; } }));
  assert.ok(!files.includes(value), "the state's output value is in freehold.db");
  const listed = (await api('GET', '/api/tofu/states/demo')).json.state;
  assert.equal(listed.version, stored.version);
  assert.deepEqual(listed.versions.map((v: any) => v.version), [stored.version]);

  await fh.restart();
  const plan = await tf(dir, 'plan', '-detailed-exitcode', '-input=false', '-no-color');
  assert.equal(plan.code, 0, `changes after the restart:\n${plan.stdout}\n${plan.stderr}`);
  assert.equal(JSON.parse((await ok(dir, 'output', '-json')).stdout).x.value, value);
  assert.equal((await api('GET', '/api/secrets/backend')).json.backend.kind, 'openbao');
});

test('at run time: a token OpenBao refuses, or OpenBao sealed, is an error naming it and the fix', async () => {
  sim.addToken([], baoToken); // the same token, now allowed nothing
  try {
    const r = await api('GET', '/api/tofu/state/demo');
    assert.equal(r.status, 502, r.text);
    assert.ok(r.json.error.startsWith(`OpenTofu state demo: OpenBao at ${sim.url} refused to read secret freehold/tofu/demo (403: permission denied)`), r.json.error);
    assert.match(r.json.error, /give Freehold a valid token/);
    const plan = await tf(dir, 'plan', '-input=false', '-no-color', '-lock=false');
    assert.notEqual(plan.code, 0, 'terraform went on without its state');
  } finally {
    sim.addToken(policy.map((p) => ({ path: p.path, capabilities: [...p.capabilities] })), baoToken);
  }
  sim.seal();
  try {
    const r = await api('GET', '/api/tofu/state/demo');
    assert.equal(r.status, 503, r.text);
    assert.match(r.json.error, /OpenBao at .* is sealed .*bao operator unseal/);
  } finally {
    sim.unseal();
  }
  assert.equal((await api('GET', '/api/tofu/state/demo')).status, 200);
  assert.match(fh.output, /\[freehold\] OpenTofu state demo: OpenBao at http:\/\/127\.0\.0\.1:\d+ refused to read secret freehold\/tofu\/demo/);
});

test('back to builtin: a state kept in OpenBao is never answered as "no state"; OpenBao again serves it', async () => {
  const r = await api('PUT', '/api/secrets/backend', { kind: 'builtin' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.backend.kind, 'builtin');
  assert.ok(r.json.notes.some((n: string) => /2 OpenTofu state\(s\) \(demo, old\): their newest version is in OpenBao and not in the built-in store/.test(n)), JSON.stringify(r.json.notes));
  const got = await api('GET', '/api/tofu/state/demo');
  assert.equal(got.status, 503, got.text);
  assert.match(got.json.error, /newest version .* is not in the built-in store \(freehold\.db\), the current secrets backend: it was written while another secrets backend was configured/);
  const plan = await tf(dir, 'plan', '-input=false', '-no-color', '-lock=false');
  assert.notEqual(plan.code, 0, 'terraform planned against an empty state');

  const again = await api('PUT', '/api/secrets/backend', { kind: 'openbao', url: sim.url, token: baoToken });
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.json.notes, []);
  const plan2 = await tf(dir, 'plan', '-detailed-exitcode', '-input=false', '-no-color');
  assert.equal(plan2.code, 0, `${plan2.stdout}\n${plan2.stderr}`);
});

test('the OpenBao token is in no API answer, CLI output or log line', () => {
  assert.ok(seen.length > 10);
  for (const s of seen) assert.ok(!s.includes(baoToken), `the token is in: ${s.slice(0, 300)}`);
  assert.ok(!fh.output.includes(baoToken), 'the token is in the control plane log');
  assert.ok(fh.output.includes('[freehold] secrets backend set to openbao'), fh.output);
});
