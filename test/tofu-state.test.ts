// Freehold as the state backend of the real `terraform` on this machine (a real control plane,
// `freehold up`, in a child process): init, apply, plan with terraform_data; a second concurrent
// apply refused by the lock; terraform force-unlock; state kept across a restart and sealed in
// the SQLite file; the CLI's view. Nothing may reach the network: an HTTP(S) proxy counts what
// tries (terraform reaches loopback directly, never through a proxy).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { terraformProject } from './helpers/terraform.js';
import { TestFreehold } from './helpers/freehold.js';
import { run, type RunResult } from '../src/lib/spawn.js';
import { sleep } from '../src/lib/net.js';

const TERRAFORM = process.env.FREEHOLD_TEST_TERRAFORM ?? 'terraform';
let fh: TestFreehold;
let trap: Server;
const escaped: string[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'freehold-tofu-'));
let env: NodeJS.ProcessEnv;
let token: string;
const value = `hello-${randomBytes(6).toString('hex')}`;
const release = join(scratch, 'release');

before(async () => {
  fh = await TestFreehold.start();
  token = readFileSync(join(fh.dataDir, 'admin-token'), 'utf8').trim();
  trap = createServer((req, res) => (escaped.push(`${req.method} ${req.url}`), res.writeHead(502).end()));
  trap.on('connect', (req, socket) => (escaped.push(`CONNECT ${req.url}`), socket.destroy()));
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
  const proxy = `http://127.0.0.1:${(trap.address() as { port: number }).port}`;
  writeFileSync(join(scratch, 'empty.tfrc'), '');
  env = {
    ...process.env,
    TF_IN_AUTOMATION: '1',
    TF_CLI_CONFIG_FILE: join(scratch, 'empty.tfrc'),
    // Without this terraform calls checkpoint-api.hashicorp.com (seen through the proxy below)
    CHECKPOINT_DISABLE: '1',
    HTTPS_PROXY: proxy,
    HTTP_PROXY: proxy,
    https_proxy: proxy,
    http_proxy: proxy,
    NO_PROXY: '',
    no_proxy: '',
  };
});
after(async () => {
  writeFileSync(release, ''); // lets a stuck provisioner go
  await fh?.stop();
  if (trap) await new Promise((r) => trap.close(r));
  rmSync(scratch, { recursive: true, force: true });
});

/** A working directory with main.tf: the http backend on Freehold (password in the file, as the brief's example), one terraform_data and an output */
function workdir(name: string, input: string, extra = '') {
  return terraformProject(join(scratch, name), { address: `${fh.client.url}/api/tofu/state/demo`, password: token, input, extra });
}

const tf = (cwd: string, ...args: string[]): Promise<RunResult> => run([TERRAFORM, ...args], { cwd, env, check: false, timeoutMs: 60_000 });
const ok = async (cwd: string, ...args: string[]) => {
  const r = await tf(cwd, ...args);
  assert.equal(r.code, 0, `terraform ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
};
const output = async (cwd: string) => JSON.parse((await ok(cwd, 'output', '-json')).stdout).x?.value;
const demo = async () => (await fh.request('GET', '/api/tofu/states')).states.find((s: any) => s.name === 'demo');

const cli = (...args: string[]): Promise<RunResult> =>
  run([process.execPath, '--import', 'tsx', 'src/cli/main.ts', '--data-dir', fh.dataDir, ...args], { cwd: new URL('..', import.meta.url).pathname, env: { ...process.env, NODE_NO_WARNINGS: '1' }, check: false });

let main: string;
/** The configuration of the state after the concurrent applies (x and slow) */
let full: string;

test('terraform: init (nothing downloaded), apply, plan without changes, change and apply again', async () => {
  main = workdir('main', value);
  const init = await ok(main, 'init', '-input=false', '-no-color');
  assert.match(init.stdout, /Successfully configured the backend "http"/);
  assert.match(init.stdout, /terraform\.io\/builtin\/terraform is built in to Terraform/);
  assert.ok(!existsSync(join(main, '.terraform', 'providers')), 'a provider was installed');
  const apply = await ok(main, 'apply', '-auto-approve', '-input=false', '-no-color');
  assert.match(apply.stdout, /Apply complete! Resources: 1 added/);
  assert.equal(await output(main), value);
  assert.equal((await tf(main, 'plan', '-detailed-exitcode', '-input=false', '-no-color')).code, 0, 'no changes');

  const first = await demo();
  assert.equal(first.lock, null, 'unlocked after the apply');
  writeFileSync(join(main, 'main.tf'), readFileSync(join(main, 'main.tf'), 'utf8').replace(`"${value}"`, `"${value}-2"`));
  assert.equal((await tf(main, 'plan', '-detailed-exitcode', '-input=false', '-no-color')).code, 2, 'changes to apply');
  await ok(main, 'apply', '-auto-approve', '-input=false', '-no-color');
  assert.equal(await output(main), `${value}-2`);
  const second = await demo();
  assert.ok(second.serial > first.serial && second.version > first.version, JSON.stringify({ first, second }));
  assert.deepEqual(escaped, [], 'nothing tried to reach the network');
});

test('terraform: a second concurrent apply is refused by the lock, showing the holder', async () => {
  // Apply A holds the lock while its provisioner waits for the release file
  const slow = `
resource "terraform_data" "slow" {
  input = "slow"
  provisioner "local-exec" {
    command = "i=0; until [ -e '${release}' ] || [ $i -ge 600 ]; do sleep 0.1; i=$((i+1)); done"
  }
}
`;
  const a = workdir('a', `${value}-2`, slow);
  full = a;
  const b = workdir('b', `${value}-2`, slow);
  await ok(a, 'init', '-input=false', '-no-color');
  await ok(b, 'init', '-input=false', '-no-color');
  const applyA = tf(a, 'apply', '-auto-approve', '-input=false', '-no-color');
  let holder: any;
  for (let i = 0; i < 200 && !holder; i++) {
    holder = (await demo()).lock;
    if (!holder) await sleep(50);
  }
  assert.ok(holder, 'apply A did not take the lock');
  assert.equal(holder.Operation, 'OperationTypeApply');

  try {
    const refused = await tf(b, 'apply', '-auto-approve', '-input=false', '-no-color', '-lock-timeout=0s');
    assert.equal(refused.code, 1);
    // terraform wraps its messages at 78 columns
    const said = refused.stderr.replace(/\s+/g, ' ');
    assert.match(said, /Error: Error acquiring the state lock/);
    assert.ok(said.includes(`HTTP remote state already locked: ID=${holder.ID}`), refused.stderr);
    assert.equal((await demo()).lock?.ID, holder.ID, 'A still holds the lock');

    // The CLI shows who holds it
    const states = await cli('tofu', 'states');
    assert.equal(states.code, 0, states.stderr);
    assert.ok(states.stdout.includes(`${holder.Who} (OperationTypeApply ${holder.ID})`), states.stdout);
    assert.match(states.stdout, /^demo\s+\d+\s+\d+\s+/m);
  } finally {
    writeFileSync(release, '');
  }
  const doneA = await applyA;
  assert.equal(doneA.code, 0, doneA.stderr);
  assert.match(doneA.stdout, /Apply complete! Resources: 1 added/);
  assert.equal((await demo()).lock, null);
  assert.deepEqual(escaped, [], 'nothing tried to reach the network');
});

test('terraform: a lock taken through the API refuses apply; force-unlock and the CLI release it', async () => {
  const info = JSON.stringify({ ID: 'api-lock-1', Operation: 'OperationTypeApply', Info: '', Who: 'ops@elsewhere', Version: '1.11.4', Created: new Date().toISOString(), Path: '' });
  const res = await fetch(`${fh.client.url}/api/tofu/state/demo`, { method: 'LOCK', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: info });
  assert.equal(res.status, 200);
  const refused = await tf(main, 'plan', '-input=false', '-no-color', '-lock-timeout=0s');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr.replace(/\s+/g, ' '), /Error acquiring the state lock .*already locked: ID=api-lock-1/);
  // terraform force-unlock sends UNLOCK with no lock info: Freehold takes it as forced
  await ok(main, 'force-unlock', '-force', 'api-lock-1');
  assert.equal((await demo()).lock, null);
  // The CLI: without --force or --id it refuses; with --force it releases
  await fetch(`${fh.client.url}/api/tofu/state/demo`, { method: 'LOCK', headers: { authorization: `Bearer ${token}` }, body: info });
  assert.match((await cli('tofu', 'unlock', 'demo')).stderr, /--force/);
  const unlocked = await cli('tofu', 'unlock', 'demo', '--force');
  assert.equal(unlocked.code, 0, unlocked.stderr);
  assert.match(unlocked.stdout, /demo: released the lock of ops@elsewhere \(OperationTypeApply api-lock-1\)/);
  assert.equal((await demo()).lock, null);
});

test('terraform: the state survives a restart of the control plane and is sealed on disk', async () => {
  assert.equal((await tf(full, 'plan', '-detailed-exitcode', '-input=false', '-no-color')).code, 0, 'no changes before the restart');
  await fh.restart();
  const plan = await tf(full, 'plan', '-detailed-exitcode', '-input=false', '-no-color');
  assert.equal(plan.code, 0, `changes after the restart:\n${plan.stdout}\n${plan.stderr}`);
  assert.equal(await output(full), `${value}-2`);
  // The output value is in every kept version of the state, never in clear in the store's files
  const versions = (await fh.request('GET', '/api/tofu/states/demo')).state.versions;
  assert.ok(versions.length >= 3, JSON.stringify(versions));
  const files = ['freehold.db', 'freehold.db-wal'].map((f) => join(fh.dataDir, f)).filter((f) => existsSync(f));
  const stored = Buffer.concat(files.map((f) => readFileSync(f)));
  // These are the right files (the lineage is kept in clear, to list states), and the value is not in them
  assert.ok(stored.includes((await demo()).lineage), 'the lineage is not in the store files: wrong files?');
  assert.ok(!stored.includes(value), `the state's output value is readable in ${files.join(' or ')}`);
  assert.deepEqual(escaped, [], 'nothing tried to reach the network');
});
