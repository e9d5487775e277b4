// Generated secrets kept in the secrets backend, end to end: a real control plane installs the
// "keyed" fixture (an ed25519 key pair and a random token, in env and files), and the container
// (podman exec) holds a private key that matches its public key, the same values as the built-in
// store (read here through the keyring); a restart changes nothing; a rotation (API, CLI) gives
// the container new values and the backend a new version; a restore brings back the versions
// the snapshot was taken with; uninstall and a failed install leave nothing in the backend. Then
// with OpenBao (the KV v2 simulator) set as the backend: the values applied so far are carried
// into it unchanged (the container is not re-created), rotated there, and removed from it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { startOpenBaoSimulator, type OpenBaoSimulator } from './simulators/openbao.js';
import { run } from '../src/lib/spawn.js';
import { openMasterKey } from '../src/secrets/master-key.js';
import { BuiltinSecrets } from '../src/drivers/secrets/builtin.js';
import { SecretNotFoundError } from '../src/secrets/errors.js';
import { opensshPublicKey } from '../src/secrets/generate.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkPrerequisites, launch } from './helpers/browser.js';

const FIXTURES = new URL('./fixtures/catalog', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;
let fh: TestFreehold;
let sim: OpenBaoSimulator | undefined;

before(async () => (fh = await TestFreehold.start({ catalogDirs: [FIXTURES] })));
after(async () => {
  await fh?.stop();
  await sim?.stop();
});

/** What the app's container sees: env and files, read from inside it */
async function inContainer(name: string) {
  const c = `fh-${name}-web`;
  const exec = async (...argv: string[]) => (await run(['podman', 'exec', c, ...argv])).stdout;
  const env = async (v: string) => (await exec('printenv', v)).replace(/\n$/, '');
  return {
    token: await env('API_TOKEN'),
    public: await env('DEPLOY_PUBLIC'),
    openssh: await env('DEPLOY_OPENSSH'),
    private: await exec('cat', '/run/freehold/deploy.key'),
    users: await exec('cat', '/run/freehold/users'),
    id: (await run(['podman', 'container', 'inspect', '--format', '{{.Id}}', c])).stdout.trim(),
  };
}

/** A secret as the built-in store holds it (opened here through the keyring, as `freehold up` does) */
async function builtin(path: string) {
  const mk = await openMasterKey(fh.dataDir, { env: {} });
  try {
    const store = new BuiltinSecrets(mk.keyring);
    const s = await store.get(path);
    return { version: s.version, data: s.data };
  } catch (err) {
    if (err instanceof SecretNotFoundError) return undefined;
    throw err;
  } finally {
    mk.close();
  }
}

async function builtinList(folder: string) {
  const mk = await openMasterKey(fh.dataDir, { env: {} });
  try {
    return await new BuiltinSecrets(mk.keyring).list(folder);
  } finally {
    mk.close();
  }
}

/** The key pair belongs together: the private key signs what the public key verifies, and derives the same OpenSSH line */
function assertKeyPair(seen: { private: string; public: string; openssh: string }, name: string) {
  const priv = createPrivateKey(seen.private);
  assert.equal(priv.asymmetricKeyType, 'ed25519');
  const pub = createPublicKey(seen.public);
  assert.equal(createPublicKey(priv).export({ type: 'spki', format: 'pem' }), seen.public);
  assert.ok(verify(null, Buffer.from('freehold'), pub, sign(null, Buffer.from('freehold'), priv)));
  assert.equal(seen.openssh, opensshPublicKey(pub, `${name}-deploy`));
}

const ok = async (p: Promise<{ task: { id: string } }>) => {
  const done = await fh.waitTask((await p).task.id);
  assert.equal(done.status, 'succeeded', done.error ?? done.message);
  return done;
};

test('generated secrets: in the built-in store and the container, kept across a restart, rotated, restored, removed', { timeout: 300_000 }, async () => {
  const name = uniqueName('ks');
  const { task } = await fh.install('keyed', name);
  assert.equal(task.status, 'succeeded', task.error ?? '');

  const first = await inContainer(name);
  assertKeyPair(first, name);
  assert.equal(Buffer.from(first.token, 'base64url').length, 24);
  assert.equal(first.users, `owner:${first.token}\n`);
  const deploy = await builtin(`installations/${name}/deploy`);
  const token = await builtin(`installations/${name}/token`);
  assert.equal(deploy?.version, 1);
  assert.deepEqual(deploy?.data, { private: first.private, public: first.public, openssh: first.openssh, generator: 'keypair:ed25519' });
  assert.deepEqual(token, { version: 1, data: { value: first.token, generator: 'random:24' } });
  assert.deepEqual((await fh.request('GET', `/api/installations/${name}/credentials`)).secrets, { token: first.token }, 'reveal: true still shows the random one');

  // A restart changes nothing: same values, same container, nothing to apply.
  await fh.restart();
  assert.deepEqual(await inContainer(name), first);
  assert.deepEqual((await fh.request('GET', `/api/installations/${name}/plan`)).steps, []);
  assert.equal((await builtin(`installations/${name}/deploy`))?.version, 1);

  // Rotating the key pair through the API: a new version, a new container with it; the token stays.
  const rotated = await ok(fh.request('POST', `/api/installations/${name}/secrets/deploy/rotate`));
  assert.match(rotated.message, /^secret deploy is at version 2/);
  const second = await inContainer(name);
  assertKeyPair(second, name);
  assert.notEqual(second.private, first.private);
  assert.notEqual(second.id, first.id, 'the container was re-created');
  assert.equal(second.token, first.token);
  assert.deepEqual(await builtin(`installations/${name}/deploy`), { version: 2, data: { private: second.private, public: second.public, openssh: second.openssh, generator: 'keypair:ed25519' } });

  // Rotating the token through the CLI.
  const cli = await run([process.execPath, '--import', 'tsx', 'src/cli/main.ts', '--data-dir', fh.dataDir, 'secrets', 'rotate', name, 'token'], { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' }, check: false });
  assert.equal(cli.code, 0, cli.stdout + cli.stderr);
  assert.ok(!(cli.stdout + cli.stderr).includes(first.token));
  const third = await inContainer(name);
  assert.notEqual(third.token, first.token);
  assert.equal(third.users, `owner:${third.token}\n`);
  assert.deepEqual(await builtin(`installations/${name}/token`), { version: 2, data: { value: third.token, generator: 'random:24' } });

  // A secret the app does not have: 404 naming those it has.
  await assert.rejects(fh.request('POST', `/api/installations/${name}/secrets/password/rotate`), (err: any) => {
    assert.equal(err.status, 404);
    assert.match(err.message, new RegExp(`${name} has no secret "password" \\(its secrets: token, deploy\\)`));
    return true;
  });

  // A snapshot records the versions (never a value); a restore brings back the token it was taken with.
  await ok(fh.request('POST', `/api/installations/${name}/backups`));
  const { snapshots } = await fh.request('GET', `/api/installations/${name}/backups`);
  await ok(fh.request('POST', `/api/installations/${name}/secrets/token/rotate`));
  assert.notEqual((await inContainer(name)).token, third.token);
  const restored = await ok(fh.request('POST', `/api/installations/${name}/restore`, { snapshot: snapshots[0].shortId }));
  const fourth = await inContainer(name);
  assert.equal(fourth.token, third.token, 'the token the snapshot was taken with');
  assert.equal(fourth.private, second.private);
  assert.deepEqual(await builtin(`installations/${name}/token`), { version: 4, data: { value: third.token, generator: 'random:24' } });
  const { log } = await fh.request('GET', `/api/tasks/${restored.id}`);
  assert.match(JSON.stringify(log), /secret token: back to the value the snapshot was taken with \(version 2 of \w+; now version 4\)/);

  assert.equal((await fh.uninstall(name)).status, 'succeeded');
  assert.deepEqual(await builtinList(`installations/${name}`), []);

  // A failed install (the health check never passes) leaves no secret behind either.
  const sick = uniqueName('kx');
  assert.equal((await fh.install('unhealthy', sick)).task.status, 'rolled_back');
  assert.deepEqual(await builtinList(`installations/${sick}`), []);
});

test('OpenBao set as the backend: the values applied so far are carried into it unchanged, rotated there, removed from it', { timeout: 300_000 }, async () => {
  const name = uniqueName('kb');
  assert.equal((await fh.install('keyed', name)).task.status, 'succeeded');
  const before = await inContainer(name);

  sim = await startOpenBaoSimulator();
  await fh.request('PUT', '/api/secrets/backend', { kind: 'openbao', url: sim.url, token: sim.rootToken });
  const plan = (await fh.request('GET', `/api/installations/${name}/plan`)).steps;
  assert.deepEqual(plan.map((s: any) => `${s.action} ${s.key}`).sort(), ['repair secret:deploy', 'repair secret:token']);
  await ok(fh.request('POST', `/api/installations/${name}/apply`));
  const peek = (secret: string) => {
    const s = sim!.peek('secret', `freehold/installations/${name}/${secret}`);
    return s && { version: s.current_version, data: s.versions.get(s.current_version)!.data };
  };
  assert.deepEqual(peek('token'), { version: 1, data: { value: before.token, generator: 'random:24' } });
  assert.equal(peek('deploy')?.data?.private, before.private);
  assert.deepEqual(await inContainer(name), before, 'same values: the container was not re-created');

  await ok(fh.request('POST', `/api/installations/${name}/secrets/deploy/rotate`));
  const after = await inContainer(name);
  assertKeyPair(after, name);
  assert.notEqual(after.private, before.private);
  assert.equal(peek('deploy')?.version, 2);
  assert.equal(peek('deploy')?.data?.private, after.private);

  assert.equal((await fh.uninstall(name)).status, 'succeeded');
  assert.equal(peek('token'), undefined);
  assert.equal(peek('deploy'), undefined);
  await fh.request('PUT', '/api/secrets/backend', { kind: 'builtin' });
});

test('the web UI lists the generated secrets (never their values) and rotates one', { timeout: 300_000 }, async () => {
  checkPrerequisites();
  const name = uniqueName('kw');
  assert.equal((await fh.install('keyed', name)).task.status, 'succeeded');
  const before = await inContainer(name);
  const browser = await launch();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${fh.client.url}/signin`);
    await page.getByLabel('Admin token').fill(readFileSync(join(fh.dataDir, 'admin-token'), 'utf8').trim());
    await page.getByLabel('Admin token').press('Enter');
    await page.getByRole('heading', { name: 'Your apps' }).waitFor();
    await page.goto(`${fh.client.url}/installations/${name}`);
    const list = page.getByTestId('generated-secrets');
    await list.waitFor();
    assert.match(await list.locator('[data-secret="token"]').innerText(), /token\s+random/);
    assert.match(await list.locator('[data-secret="deploy"]').innerText(), /deploy\s+key pair, ed25519/);
    await list.locator('[data-secret="token"]').getByRole('button', { name: 'Rotate…' }).click();
    await list.locator('[data-secret="token"]').getByRole('button', { name: 'Rotate', exact: true }).click();
    await page.locator('[data-testid="task"][aria-label="Rotating token"][data-status="succeeded"]').waitFor({ timeout: 120_000 });
    const html = await page.content();
    const after = await inContainer(name);
    assert.notEqual(after.token, before.token);
    assert.equal(after.private, before.private, 'only the token was rotated');
    for (const v of [before.token, after.token, before.private]) assert.ok(!html.includes(v.trim()), 'no secret value on the page');
  } finally {
    await browser.close();
  }
  assert.equal((await fh.uninstall(name)).status, 'succeeded');
});

test('a rotation the app fails with goes back by itself: the previous value is current and applied again', { timeout: 300_000 }, async () => {
  const name = uniqueName('pin');
  const { task } = await fh.install('pinned', name);
  assert.equal(task.status, 'succeeded', task.error ?? '');
  const password = async () => (await run(['podman', 'exec', `fh-${name}-web`, 'printenv', 'APP_PASSWORD'])).stdout.trim();
  const before = await password();
  const stored = await builtin(`installations/${name}/password`);
  assert.ok(stored && before.length >= 18);

  const rotate = await fh.request('POST', `/api/installations/${name}/secrets/password/rotate`);
  const done = await fh.waitTask(rotate.task.id);
  assert.equal(done.status, 'rolled_back', JSON.stringify(done));
  assert.match(done.message, /the app failed with the new value: version \d+'s value is current again/);
  assert.match(done.error ?? '', /exited during start-up[\s\S]*not the password I was set up with/);

  assert.equal(await password(), before, 'the container runs with the previous value again');
  const after = await builtin(`installations/${name}/password`);
  assert.ok(after && after.version > stored!.version, 'the backend keeps the versions: the old value is made current as a new one');
  assert.deepEqual(after.data, stored!.data);
  assert.equal((await fh.https(`${name}.localhost`, '/.web/')).status, 200);
  const inst = await fh.request('GET', `/api/installations/${name}`);
  assert.equal(inst.installation.status, 'running');
  assert.equal((await fh.uninstall(name)).status, 'succeeded');
});
