// The CLI against a running control plane: install with live progress, list, status, plan,
// logs, credentials, uninstall; the API's live task events (SSE) and OpenAPI docs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { TestFreehold, uniqueName } from './helpers/freehold.js';

const ROOT = new URL('..', import.meta.url).pathname;
let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start()));
after(async () => fh?.stop());

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--data-dir', fh.dataDir, ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_NO_WARNINGS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

test('cli: install with progress, list, status, plan, logs, credentials, uninstall', { timeout: 600_000 }, async () => {
  const name = uniqueName('cli');
  const install = await cli(['install', 'radicale', '--domain', name, '--set', 'username=bob']);
  assert.equal(install.code, 0, install.out);
  assert.match(install.out, /Installing radicale at https:\/\/.*\.localhost/);
  assert.match(install.out, /create container:web/, 'step log is shown');
  assert.match(install.out, new RegExp(`${name} is running at https://${name}\\.localhost:${fh.httpsPort}`));

  const list = await cli(['list']);
  assert.match(list.out, new RegExp(`${name}\\s+radicale\\s+3\\.1\\.8\\s+running`));
  const status = await cli(['status', name]);
  assert.match(status.out, /status: running/);
  assert.match(status.out, /"username":"bob"/);
  const plan = await cli(['plan', name]);
  assert.match(plan.out, new RegExp(`${name}: up to date`));
  const logs = await cli(['logs', name]);
  assert.equal(logs.code, 0);
  assert.match(logs.out, /Radicale server ready|Listening on/i);
  const creds = await cli(['credentials', name]);
  assert.match(creds.out, /^password: \S{20,}$/m);

  const refused = await cli(['install', 'radicale', '--domain', name]);
  assert.equal(refused.code, 1);
  assert.match(refused.out, /error: an installation named "[a-z0-9]+" already exists/);
  const badSet = await cli(['install', 'radicale', '--domain', uniqueName('x'), '--set', 'username=Not Valid']);
  assert.equal(badSet.code, 1);
  assert.match(badSet.out, /- config\.username: must match pattern/);

  const backup = await cli(['backup', name]);
  assert.equal(backup.code, 0, backup.out);
  assert.match(backup.out, /snapshot [0-9a-f]{8}/);
  const backups = await cli(['backups', name]);
  assert.match(backups.out, /^[0-9a-f]{8}\s+\S+\s+3\.1\.8 \(package 1\)/m);
  const id = /^([0-9a-f]{8})/m.exec(backups.out)![1];
  const restore = await cli(['restore', name, id]);
  assert.equal(restore.code, 0, restore.out);
  assert.match(restore.out, new RegExp(`restored to snapshot ${id}`));
  const unknown = await cli(['restore', name, 'deadbeef']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.out, /error: no snapshot deadbeef/);

  const noConfirm = await cli(['uninstall', name]);
  assert.equal(noConfirm.code, 1);
  assert.match(noConfirm.out, /add --yes to confirm/);
  const un = await cli(['uninstall', name, '--yes']);
  assert.equal(un.code, 0, un.out);
  assert.match((await cli(['list'])).out, /\(none\)/);
});

test('cli: a clear error when Freehold is not running', async () => {
  const r = await cli(['list'], { FREEHOLD_URL: 'http://127.0.0.1:9', FREEHOLD_TOKEN: 'x' });
  assert.equal(r.code, 1);
  assert.match(r.out, /cannot reach Freehold at http:\/\/127\.0\.0\.1:9 .*Is "freehold up" running\?/);
});

test('cli: catalog validate names every problem with its field path', async () => {
  const ok = await cli(['catalog', 'validate', 'catalog/radicale/manifest.yaml']);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /valid manifest for radicale 3\.1\.8/);
  const bad = await cli(['catalog', 'validate', 'test/fixtures/bad-manifest.yaml']);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /components\.web\.http\.port/);
  assert.match(bad.out, /packageVersion/);
});

test('api: live task events over SSE, and OpenAPI docs', { timeout: 600_000 }, async () => {
  const name = uniqueName('sse');
  const { task } = await fh.request('POST', '/api/installations', { app: 'radicale', domain: name });
  const percents: number[] = [];
  const lines: string[] = [];
  let last: any;
  for await (const e of fh.client.events(task.id)) {
    if (e.event === 'update') (percents.push(e.data.percent), (last = e.data));
    else lines.push(e.data.line);
  }
  assert.equal(last.status, 'succeeded');
  assert.equal(percents.at(-1), 100);
  assert.ok(percents.some((p) => p > 0 && p < 100), `intermediate progress seen: ${percents.join(',')}`);
  assert.ok(lines.some((l) => /create container:web/.test(l)));

  const docs = await fetch(`${fh.client.url}/docs/json`);
  assert.equal(docs.status, 200);
  const spec = await docs.json();
  for (const p of ['/api/installations', '/api/installations/{name}', '/api/tasks/{id}/events', '/api/catalog']) assert.ok(spec.paths[p], `${p} documented`);
  assert.equal((await fh.uninstall(name)).status, 'succeeded');
});
