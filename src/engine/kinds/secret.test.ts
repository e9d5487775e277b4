// The secret resource: generated secrets kept in a secrets backend (the built-in store here),
// records made before the backend kept them carried over unchanged, rotation seen as drift,
// removal, and the versions a snapshot names brought back. Also without a backend (records only).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMasterKey, type MasterKey } from '../../secrets/master-key.js';
import { BuiltinSecrets } from '../../drivers/secrets/builtin.js';
import { KEYPAIR_TYPES } from '../../secrets/generate.js';
import { SecretsError } from '../../secrets/errors.js';
import type { SecretsBackend } from '../../drivers/secrets/types.js';
import { KeypairTypes, type Manifest } from '../../manifest/schema.js';
import { expand } from '../expand.js';
import { inputHash } from '../plan.js';
import type { Json } from '../resource.js';
import type { HostContext } from './context.js';
import { generatedSecretVersions, putBackGeneratedSecret, restoreGeneratedSecrets, rotateGeneratedSecret, secretHandler } from './secret.js';

let dir: string;
let mk: MasterKey;
let backend: SecretsBackend;
let ctx: HostContext;
const noBackend = {} as HostContext;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'freehold-secret-kind-'));
  mk = await openMasterKey(dir, { env: {} });
  backend = new BuiltinSecrets(mk.keyring);
  ctx = { secrets: { backends: () => ({ current: async () => backend, failure: (err: unknown, _k?: unknown, what?: string) => new Error(`${what}: ${(err as Error).message}`) }) } } as unknown as HostContext;
});
after(() => {
  mk.close();
  rmSync(dir, { recursive: true, force: true });
});

const log = () => {};
const apply = (c: HostContext, installation: string, name: string, spec: Json, previous?: Record<string, Json>) =>
  secretHandler.apply({ ctx: c, installation, key: `secret:${name}`, spec, hash: 'h', previous, inputs: {}, log });
const observe = async (c: HostContext, installation: string, name: string, spec: Json, outputs?: Record<string, Json>) =>
  (await secretHandler.observe(c, [{ installation, key: `secret:${name}`, spec, outputs }]))[0];

test('the manifest and the generator agree on the key types', () => assert.deepEqual([...KeypairTypes], [...KEYPAIR_TYPES]));

test("a random secret's resource spec is what it was before key pairs (the same hash: nothing re-applied)", () => {
  const manifest = {
    components: { web: { image: 'x', http: { port: 80 } } },
    secrets: { password: { generate: { random: 18 } }, deploy: { generate: { keypair: 'ed25519' } } },
    version: '1.0.0',
  } as unknown as Manifest;
  const desired = expand({ name: 'a', domain: 'a.localhost', url: 'https://a.localhost', host: 'local', config: {} }, manifest, { web: { ref: 'x' } });
  const password = desired.find((d) => d.key === 'secret:password')!;
  assert.deepEqual(password.spec, { random: 18 });
  assert.equal(inputHash(password, {}), inputHash({ ...password, spec: { random: 18 } }, {}));
  assert.deepEqual(desired.find((d) => d.key === 'secret:deploy')!.spec, { keypair: 'ed25519' });
  assert.ok(desired.find((d) => d.key === 'container:web')!.dependsOn.includes('secret:deploy'));
});

test('made once in the backend, at installations/<installation>/<name>; applying again reads it back', async () => {
  const out = await apply(ctx, 'cal', 'password', { random: 18 });
  assert.match(String(out.value), /^[A-Za-z0-9_-]{24}$/);
  assert.deepEqual(Object.keys(out), ['value'], 'a random secret has the outputs it always had');
  const stored = await backend.get('installations/cal/password');
  assert.deepEqual([stored.version, stored.data.value, stored.data.generator], [1, out.value, 'random:18']);
  assert.deepEqual(await apply(ctx, 'cal', 'password', { random: 18 }, out), out);
  assert.deepEqual(await apply(ctx, 'cal', 'password', { random: 18 }), out, 'found again without a record (a crash before recording)');
  assert.deepEqual(await observe(ctx, 'cal', 'password', { random: 18 }, out), { state: 'present' });
});

test('a key pair: private, public and OpenSSH parts that belong together', async () => {
  const out = await apply(ctx, 'cal', 'deploy', { keypair: 'ed25519' });
  assert.deepEqual(Object.keys(out).sort(), ['openssh', 'private', 'public']);
  const derived = createPublicKey(createPrivateKey(String(out.private))).export({ type: 'spki', format: 'pem' });
  assert.equal(derived, out.public);
  assert.match(String(out.openssh), /^ssh-ed25519 AAAA\S+ cal-deploy$/);
  assert.equal((await backend.get('installations/cal/deploy')).data.generator, 'keypair:ed25519');
});

test('a value recorded before the backend kept secrets is moved there unchanged', async () => {
  const recorded = { value: 'made-before-the-backend-0123456789' };
  assert.deepEqual(await observe(ctx, 'old', 'password', { random: 18 }, recorded), { state: 'absent' }, 'not in the backend: repaired');
  const out = await apply(ctx, 'old', 'password', { random: 18 }, recorded);
  assert.deepEqual(out, recorded, 'same outputs: the containers are not even re-created');
  const stored = await backend.get('installations/old/password');
  assert.deepEqual([stored.version, stored.data.value], [1, recorded.value]);
  assert.deepEqual(await observe(ctx, 'old', 'password', { random: 18 }, out), { state: 'present' });
});

test('rotation: a new version in the backend is drift; applying takes it', async () => {
  const first = await apply(ctx, 'rot', 'token', { random: 16 });
  const r = await rotateGeneratedSecret(ctx, 'rot', 'token', { random: 16 }, first);
  assert.deepEqual([r.version, r.previous], [2, 1]);
  const seen = await observe(ctx, 'rot', 'token', { random: 16 }, first);
  assert.deepEqual(seen, { state: 'drifted', reason: 'the secrets backend holds another value (version 2)' });
  const second = await apply(ctx, 'rot', 'token', { random: 16 }, first);
  assert.notEqual(second.value, first.value);
  assert.equal(second.value, r.data.value);
  // A rotation that failed goes back: the previous value becomes current again (a new version).
  const back = await putBackGeneratedSecret(ctx, 'rot', 'token', 1);
  assert.deepEqual(back, { version: 3, changed: true });
  assert.equal((await backend.get('installations/rot/token')).data.value, first.value);
});

test('a new version written in the backend by hand is taken; a value that did not come after the applied one is not', async () => {
  const first = await apply(ctx, 'hand', 'token', { random: 16 });
  await backend.put('installations/hand/token', { value: 'written-in-openbao-by-an-operator', generator: 'random:16' }, { cas: 1 });
  assert.equal((await apply(ctx, 'hand', 'token', { random: 16 }, first)).value, 'written-in-openbao-by-an-operator');
  assert.notEqual(first.value, 'written-in-openbao-by-an-operator');

  // Another backend set, the secret rotated there, then this backend set again: what it holds
  // is older than what the app runs with, so the app's value is written back over it.
  const other = await openMasterKey(join(dir, 'other'), { env: {} });
  try {
    const otherBackend = new BuiltinSecrets(other.keyring);
    const otherCtx = { secrets: { backends: () => ({ current: async () => otherBackend, failure: (e: unknown) => e }) } } as unknown as HostContext;
    const x = await apply(ctx, 'moved', 'token', { random: 16 });
    assert.deepEqual(await observe(otherCtx, 'moved', 'token', { random: 16 }, x), { state: 'absent' });
    assert.deepEqual(await apply(otherCtx, 'moved', 'token', { random: 16 }, x), x, 'carried over unchanged');
    await rotateGeneratedSecret(otherCtx, 'moved', 'token', { random: 16 }, x);
    const y = await apply(otherCtx, 'moved', 'token', { random: 16 }, x);
    assert.notEqual(y.value, x.value);
    const lines: string[] = [];
    assert.equal((await observe(ctx, 'moved', 'token', { random: 16 }, y)).state, 'drifted');
    assert.deepEqual(await secretHandler.apply({ ctx, installation: 'moved', key: 'secret:token', spec: { random: 16 }, hash: 'h', previous: y, inputs: {}, log: (l) => lines.push(l) }), y);
    assert.match(lines[0], /^secret token: the secrets backend held a value never applied here \(version 1; .*\): the value applied so far is current again \(version 2\)$/);
    assert.deepEqual(await observe(ctx, 'moved', 'token', { random: 16 }, y), { state: 'present' });
  } finally {
    other.close();
  }
});

test('rotating a secret recorded before the backend kept it: the old value is version 1', async () => {
  const recorded = { value: 'old-value-000000000000000' };
  const r = await rotateGeneratedSecret(ctx, 'legacy', 'token', { random: 16 }, recorded);
  assert.deepEqual([r.version, r.previous], [2, 1]);
  assert.equal((await backend.get('installations/legacy/token', { version: 1 })).data.value, recorded.value);
  assert.notEqual(r.data.value, recorded.value);
  assert.equal(Buffer.from(r.data.value, 'base64url').length, 16);
});

test('a key pair rotated is another key pair of the same type', async () => {
  const first = await apply(ctx, 'rot', 'deploy', { keypair: 'ed25519' });
  const r = await rotateGeneratedSecret(ctx, 'rot', 'deploy', { keypair: 'ed25519' }, first);
  assert.equal(r.data.generator, 'keypair:ed25519');
  assert.notEqual(r.data.private, first.private);
  const second = await apply(ctx, 'rot', 'deploy', { keypair: 'ed25519' }, first);
  assert.equal(second.openssh, r.data.openssh);
});

test('the manifest changing a secret: a longer random keeps the value; another kind or key type makes a new one', async () => {
  const first = await apply(ctx, 'chg', 's', { random: 16 });
  assert.deepEqual(await apply(ctx, 'chg', 's', { random: 32 }, first), first);
  const pair = await apply(ctx, 'chg', 's', { keypair: 'ed25519' }, first);
  assert.equal(createPrivateKey(String(pair.private)).asymmetricKeyType, 'ed25519');
  const rsa = await apply(ctx, 'chg', 's', { keypair: 'rsa-2048' }, pair);
  assert.equal(createPrivateKey(String(rsa.private)).asymmetricKeyDetails?.modulusLength, 2048);
  assert.equal((await backend.versions('installations/chg/s')).current, 3);
});

test('delete removes the secret with its versions; nothing happens when it is not there', async () => {
  await apply(ctx, 'gone', 'token', { random: 16 });
  await secretHandler.delete({ ctx, installation: 'gone', key: 'secret:token', spec: { random: 16 }, log });
  assert.deepEqual(await backend.list('installations/gone'), []);
  await secretHandler.delete({ ctx, installation: 'gone', key: 'secret:token', spec: { random: 16 }, log });
});

test('a snapshot names versions; a restore (or a clone, from its source) brings them back', async () => {
  const declared = { token: { generate: { random: 16 } }, deploy: { generate: { keypair: 'ed25519' as const } } };
  const token = await apply(ctx, 'snap', 'token', { random: 16 });
  await apply(ctx, 'snap', 'deploy', { keypair: 'ed25519' });
  const versions = await generatedSecretVersions(ctx, 'snap', { ...declared, missing: { generate: { random: 8 } } });
  assert.deepEqual(Object.keys(versions), ['token', 'deploy']);
  assert.equal(versions.token.version, 1);
  assert.equal(versions.token.createdAt, (await backend.get('installations/snap/token')).createdAt);
  await rotateGeneratedSecret(ctx, 'snap', 'token', { random: 16 });
  const lines: string[] = [];
  await restoreGeneratedSecrets(ctx, { from: 'snap', to: 'snap', versions, declared, log: (l) => lines.push(l) });
  assert.equal((await backend.get('installations/snap/token')).data.value, token.value);
  assert.equal((await backend.get('installations/snap/token')).version, 3);
  assert.equal((await backend.get('installations/snap/deploy')).version, 1, 'unchanged: no new version');
  assert.deepEqual(lines, ['secret token: back to the value the snapshot was taken with (version 1 of snap; now version 3)']);

  // A clone: its own secrets are replaced by its source's of the snapshot.
  await apply(ctx, 'copy', 'deploy', { keypair: 'ed25519' });
  await restoreGeneratedSecrets(ctx, { from: 'snap', to: 'copy', versions, declared, log });
  assert.equal((await backend.get('installations/copy/deploy')).data.private, (await backend.get('installations/snap/deploy')).data.private);
  assert.equal((await backend.get('installations/copy/token')).data.value, token.value);

  // A version no longer kept: the current value stays, and the log says so.
  lines.length = 0;
  await restoreGeneratedSecrets(ctx, { from: 'snap', to: 'snap', versions: { token: { version: 99, createdAt: versions.token.createdAt } }, declared, log: (l) => lines.push(l) });
  assert.match(lines[0], /^secret token: version 99 of snap, which the snapshot was taken with, is no longer kept/);
  // Version 1 of an installation made again under the same name is not the snapshot's.
  await secretHandler.delete({ ctx, installation: 'snap', key: 'secret:token', spec: { random: 16 }, log });
  await new Promise((r) => setTimeout(r, 5));
  const again = await apply(ctx, 'snap', 'token', { random: 16 });
  await rotateGeneratedSecret(ctx, 'snap', 'token', { random: 16 });
  lines.length = 0;
  await restoreGeneratedSecrets(ctx, { from: 'snap', to: 'snap', versions, declared, log: (l) => lines.push(l) });
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^secret token: version 1 of snap, .* \(aged out, or snap was removed or made again since\); the current value stays$/);
  assert.notEqual((await backend.get('installations/snap/token')).data.value, again.value, 'still the rotated one');
  // Secrets the restored manifest does not declare are left alone.
  await restoreGeneratedSecrets(ctx, { from: 'snap', to: 'other', versions, declared: {}, log });
  assert.deepEqual(await backend.list('installations/other'), []);
});

test('a backend that fails: applying says what it was doing; observing reports nothing wrong', async () => {
  const failing = {
    secrets: {
      backends: () => ({
        current: async () => ({ get: async () => { throw new SecretsError('unreachable', 'OpenBao at https://bao:8200 is unreachable'); } }),
        failure: (err: unknown, _k?: unknown, what?: string) => new Error(`${what}: ${(err as Error).message}`),
      }),
    },
  } as unknown as HostContext;
  await assert.rejects(apply(failing, 'x', 'token', { random: 16 }), { message: 'secret token of x: OpenBao at https://bao:8200 is unreachable' });
  assert.deepEqual(await observe(failing, 'x', 'token', { random: 16 }, { value: 'v' }), { state: 'present' });
});

test('without a backend (a context made without the control plane): kept in the records only', async () => {
  const out = await apply(noBackend, 'bench', 'token', { random: 24 });
  assert.equal(Buffer.from(String(out.value), 'base64url').length, 24);
  assert.deepEqual(await apply(noBackend, 'bench', 'token', { random: 24 }, out), out);
  assert.deepEqual(await observe(noBackend, 'bench', 'token', { random: 24 }, out), { state: 'present' });
  assert.deepEqual(await observe(noBackend, 'bench', 'token', { random: 24 }, undefined), { state: 'absent' });
  const pair = await apply(noBackend, 'bench', 'deploy', { keypair: 'ed25519' });
  assert.deepEqual(Object.keys(pair).sort(), ['openssh', 'private', 'public']);
  await secretHandler.delete({ ctx: noBackend, installation: 'bench', key: 'secret:token', spec: { random: 24 }, log });
  await assert.rejects(rotateGeneratedSecret(noBackend, 'bench', 'token', { random: 24 }, out), /cannot be rotated/);
  assert.deepEqual(await backend.list('installations/bench'), []);
});
