// The OpenTofu driver with the real program on this machine (tofu, else terraform) against a real
// Freehold API in this process: a module of terraform_data resources applied, its outputs read
// back, planned, destroyed; its own error lines quoted; a held lock refused; nothing reaching the
// network (an HTTP(S) proxy that counts what tries to leave: only loopback is reached directly).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openFreehold, type Freehold } from '../../services/freehold.js';
import { buildApi } from '../../api/server.js';
import { OpenTofu, TofuError, errorDiagnostics, type TofuModule } from './opentofu.js';

let fh: Freehold;
let api: FastifyInstance;
let trap: Server;
const escaped: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'fh-opentofu-'));
let token: string;
let driver: OpenTofu;

before(async () => {
  fh = await openFreehold({ dataDir: join(dir, 'data'), catalogDirs: [] });
  token = (await fh.settings.ensureAdminToken())!;
  api = await buildApi(fh);
  await api.listen({ host: '127.0.0.1', port: 0 });
  trap = createServer((req, res) => (escaped.push(`${req.method} ${req.url}`), res.writeHead(502).end()));
  trap.on('connect', (req, socket) => (escaped.push(`CONNECT ${req.url}`), socket.destroy()));
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
  const proxy = `http://127.0.0.1:${(trap.address() as { port: number }).port}`;
  writeFileSync(join(dir, 'empty.tfrc'), '');
  driver = new OpenTofu({
    apiUrl: `http://127.0.0.1:${(api.server.address() as { port: number }).port}`,
    token,
    workRoot: join(dir, 'work'),
    env: { TF_CLI_CONFIG_FILE: join(dir, 'empty.tfrc'), HTTPS_PROXY: proxy, HTTP_PROXY: proxy, https_proxy: proxy, http_proxy: proxy, NO_PROXY: '', no_proxy: '' },
  });
});
after(async () => {
  await api?.close();
  await fh?.close();
  if (trap) await new Promise((r) => trap.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const module = (greeting: string, extra: Record<string, unknown> = {}): TofuModule => ({
  config: {
    variable: { greeting: { type: 'string' }, password: { type: 'string', sensitive: true } },
    resource: { terraform_data: { hello: { input: '${var.greeting}' }, ...extra } },
    output: {
      greeting: { value: '${terraform_data.hello.output}' },
      password: { value: '${var.password}', sensitive: true },
    },
  },
  variables: { greeting, password: 'pw-never-logged' },
});

/** Every file under a directory, with its contents */
const files = (d: string): [string, Buffer][] =>
  readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? files(join(d, n)) : [[join(d, n), readFileSync(join(d, n))] as [string, Buffer]]));

test('opentofu driver: apply, outputs, plan, destroy, with the state kept by Freehold', async () => {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const outputs = await driver.apply('driver-demo', module('hello'), log);
  assert.deepEqual(outputs.greeting, { value: 'hello', sensitive: false, type: 'string' });
  assert.deepEqual(outputs.password, { value: 'pw-never-logged', sensitive: true, type: 'string' });
  assert.ok(lines.some((l) => /Apply complete! Resources: 1 added/.test(l)), lines.join('\n'));

  // What the driver wrote: main.tf.json with the backend, no token, no leftover var file
  const work = join(dir, 'work', 'driver-demo');
  const main = JSON.parse(readFileSync(join(work, 'main.tf.json'), 'utf8'));
  assert.equal(main.terraform.backend.http.address, `${driver.backendFor('driver-demo').address}`);
  assert.match(main.terraform.backend.http.address, /\/api\/tofu\/state\/driver-demo$/);
  for (const [file, body] of files(work)) {
    assert.ok(!body.includes(token), `the admin token is in ${file}`);
    assert.ok(!body.includes('pw-never-logged'), `a variable's value is in ${file}`);
  }
  assert.ok(!lines.join('\n').includes('pw-never-logged') && !lines.join('\n').includes(token), 'a secret reached the log');

  // Freehold has the state (serial 1 after one apply) and nobody holds its lock
  const [view] = (await fh.tofuStates.list()).filter((s) => s.name === 'driver-demo');
  assert.equal(view.lock, null);
  assert.ok((view.serial ?? 0) >= 1);

  assert.deepEqual(await driver.plan('driver-demo', module('hello')), { changes: false });
  assert.deepEqual(await driver.plan('driver-demo', module('bonjour')), { changes: true });
  assert.equal((await driver.apply('driver-demo', module('bonjour'))).greeting.value, 'bonjour');
  assert.equal((await driver.outputs('driver-demo', module('bonjour'))).greeting.value, 'bonjour');

  await driver.destroy('driver-demo', module('bonjour'), log);
  const state = JSON.parse((await fh.tofuStates.get('driver-demo'))!.data);
  assert.deepEqual(state.resources, [], 'destroyed');
  assert.deepEqual(escaped, [], 'nothing tried to reach the network');
});

test('opentofu driver: errors quote the program\'s own error lines; a held lock is refused', async () => {
  await assert.rejects(
    driver.apply('driver-bad', { config: { resource: { terraform_data: { x: { input: '${nosuch.thing.id}' } } } } }),
    (err: unknown) => {
      assert.ok(err instanceof TofuError, String(err));
      assert.match(err.message, /^(terraform|tofu) apply failed \(exit 1\):\nError: Reference to undeclared resource/);
      assert.match(err.message, /A managed resource "nosuch" "thing" has not been declared/);
      return true;
    },
  );
  await fh.tofuStates.lock('driver-locked', JSON.stringify({ ID: 'held-by-test', Operation: 'OperationTypeApply', Who: 'test@here' }));
  await assert.rejects(driver.apply('driver-locked', module('x')), (err: unknown) => {
    assert.ok(err instanceof TofuError);
    assert.match(err.message, /Error: Error acquiring the state lock/);
    assert.match(err.message, /HTTP remote state already locked: ID=held-by-test/);
    return true;
  });
  assert.equal((await fh.tofuStates.show('driver-locked')).lock?.ID, 'held-by-test', 'the lock is untouched');
  await assert.rejects(driver.apply('driver-x', { config: { terraform: { backend: { local: {} } } } }), /must not declare a backend/);
  assert.deepEqual(escaped, [], 'nothing tried to reach the network');
});

test('opentofu driver: error diagnostics with and without box drawing', () => {
  const boxed = '╷\n│ Error: Invalid reference\n│ \n│   on main.tf.json line 1:\n│ detail here\n╵\n╷\n│ Warning: something\n╵';
  assert.deepEqual(errorDiagnostics(boxed), ['Error: Invalid reference\n\n  on main.tf.json line 1:\ndetail here']);
  assert.deepEqual(errorDiagnostics('all good\n'), []);
});
