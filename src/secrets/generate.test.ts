// Generated secrets: random strings and key pairs (checked with OpenSSL-backed node:crypto and
// with ssh-keygen), made once per installation through a secrets backend, rotated as versions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../lib/spawn.js';
import { openMasterKey } from './master-key.js';
import { BuiltinSecrets } from '../drivers/secrets/builtin.js';
import { GeneratedSecrets, generateSecret, opensshPublicKey } from './generate.js';
import { SecretNotFoundError } from './errors.js';

test('random: N bytes as base64url, different each time', async () => {
  const a = await generateSecret({ random: 24 });
  const b = await generateSecret({ random: 24 });
  assert.match(a.value, /^[A-Za-z0-9_-]{32}$/);
  assert.equal(Buffer.from(a.value, 'base64url').length, 24);
  assert.notEqual(a.value, b.value);
  assert.equal(a.generator, 'random:24');
  await assert.rejects(generateSecret({ random: 4 }), /from 8 to 512/);
  await assert.rejects(generateSecret({ keypair: 'dsa' as never }), /ed25519, rsa-2048, rsa-4096/);
});

test('ed25519 key pair: PEM private and public that belong together, and an OpenSSH line', async () => {
  const k = await generateSecret({ keypair: 'ed25519' }, { comment: 'cal-deploy' });
  const priv = createPrivateKey(k.private);
  const pub = createPublicKey(k.public);
  assert.equal(priv.asymmetricKeyType, 'ed25519');
  const sig = sign(null, Buffer.from('hello'), priv);
  assert.ok(verify(null, Buffer.from('hello'), pub, sig));
  assert.match(k.openssh, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/=]+ cal-deploy$/);
  assert.equal(k.generator, 'keypair:ed25519');
  // ssh-keygen reads the OpenSSH line and agrees on the key
  const dir = mkdtempSync(join(tmpdir(), 'freehold-gen-'));
  try {
    writeFileSync(join(dir, 'k.pub'), k.openssh + '\n');
    const fp = await run(['ssh-keygen', '-l', '-f', join(dir, 'k.pub')]);
    assert.match(fp.stdout, /^256 SHA256:\S+ cal-deploy \(ED25519\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rsa-2048 key pair: ssh-keygen derives the same OpenSSH public key from the PEM', async () => {
  const k = await generateSecret({ keypair: 'rsa-2048' });
  assert.equal(createPrivateKey(k.private).asymmetricKeyDetails?.modulusLength, 2048);
  const dir = mkdtempSync(join(tmpdir(), 'freehold-gen-'));
  try {
    writeFileSync(join(dir, 'k'), k.private, { mode: 0o600 });
    const derived = await run(['ssh-keygen', '-y', '-f', join(dir, 'k')]);
    assert.equal(derived.stdout.trim().split(' ').slice(0, 2).join(' '), k.openssh.split(' ').slice(0, 2).join(' '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(opensshPublicKey(createPublicKey(k.public)), k.openssh);
});

test('rsa-4096 key pair', async () => {
  const k = await generateSecret({ keypair: 'rsa-4096' });
  assert.equal(createPublicKey(k.public).asymmetricKeyDetails?.modulusLength, 4096);
  assert.match(k.openssh, /^ssh-rsa AAAAB3NzaC1yc2E/);
});

test('GeneratedSecrets: made once, rotated as a new version of the same kind, removed with the installation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-gen-'));
  const mk = await openMasterKey(dir, { env: {} });
  try {
    const g = new GeneratedSecrets(new BuiltinSecrets(mk.keyring));
    const first = await g.ensure('cal', 'admin_password', { random: 16 });
    assert.equal(first.created, true);
    assert.equal(first.version, 1);
    const again = await g.ensure('cal', 'admin_password', { random: 16 });
    assert.deepEqual([again.created, again.version, again.data.value], [false, 1, first.data.value]);

    const rotated = await g.rotate('cal', 'admin_password');
    assert.equal(rotated.version, 2);
    assert.equal(rotated.previous, 1);
    assert.notEqual(rotated.data.value, first.data.value);
    assert.equal(Buffer.from(rotated.data.value, 'base64url').length, 16);
    assert.equal((await g.get('cal', 'admin_password')).data.value, rotated.data.value);
    assert.equal((await g.get('cal', 'admin_password', 1)).data.value, first.data.value, 'the previous version stays readable');

    const key = await g.ensure('cal', 'deploy_key', { keypair: 'ed25519' });
    assert.match(key.data.openssh, / cal-deploy_key$/);
    const newKey = await g.rotate('cal', 'deploy_key');
    assert.notEqual(newKey.data.private, key.data.private);
    assert.equal(createPrivateKey(newKey.data.private).asymmetricKeyType, 'ed25519');

    // Two installs racing: both end with the same secret
    const [a, b] = await Promise.all([g.ensure('race', 'pw', { random: 16 }), g.ensure('race', 'pw', { random: 16 })]);
    assert.equal(a.data.value, b.data.value);

    // A value recorded before (or a clone's source's) is kept rather than a new one made
    const kept = await g.ensure('old', 'pw', { random: 16 }, { initial: { value: 'recorded-before' } });
    assert.deepEqual([kept.created, kept.data.value], [true, 'recorded-before']);
    assert.equal((await g.ensure('old', 'pw', { random: 16 }, { initial: { value: 'other' } })).data.value, 'recorded-before');
    await g.remove('old', 'pw');
    await g.remove('old', 'pw');
    await assert.rejects(g.get('old', 'pw'), SecretNotFoundError);

    assert.deepEqual((await g.removeAll('cal')).sort(), ['admin_password', 'deploy_key']);
    await assert.rejects(g.get('cal', 'admin_password'), SecretNotFoundError);
    await assert.rejects(g.rotate('cal', 'admin_password'), SecretNotFoundError);
  } finally {
    mk.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GeneratedSecrets: putBack makes given data current (a new version, none when it already is); earlier lists the older versions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-gen-'));
  const mk = await openMasterKey(dir, { env: {} });
  try {
    const g = new GeneratedSecrets(new BuiltinSecrets(mk.keyring));
    const first = await g.ensure('cal', 'token', { random: 16 });
    assert.deepEqual(await g.putBack('cal', 'token', first.data), { version: 1, changed: false });
    const rotated = await g.rotate('cal', 'token');
    assert.deepEqual((await g.earlier('cal', 'token')).map((v) => [v.version, v.data.value]), [[1, first.data.value]]);
    assert.deepEqual(await g.putBack('cal', 'token', first.data), { version: 3, changed: true });
    assert.deepEqual((await g.earlier('cal', 'token')).map((v) => v.version), [2, 1]);
    assert.equal((await g.get('cal', 'token')).data.value, first.data.value);
    assert.equal((await g.get('cal', 'token', 2)).data.value, rotated.data.value);
    assert.deepEqual(await g.putBack('cal', 'fresh', { value: 'x' }), { version: 1, changed: true }, 'none yet: the first version');
  } finally {
    mk.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
