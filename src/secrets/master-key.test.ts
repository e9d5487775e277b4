// The master key's life without external tools: made on first start, migrated from master.key,
// sealed with a passphrase, the errors of a missing or wrong passphrase, slots that do not
// belong, and the passphrase removed from the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sealer } from '../lib/crypto.js';
import { addSealing, keyringStatus, openMasterKey, removeSealing, rotateMasterKey } from './master-key.js';
import { Keyring } from './keyring.js';
import { SealedStoreError, SecretsError, WrongPassphraseError } from './errors.js';
import { passphrase } from './sealing/passphrase.js';

const FAST = { N: 2 ** 14 };
const tmp = () => mkdtempSync(join(tmpdir(), 'freehold-mk-'));

test('first start: a new keyring, not sealed, the same Sealer key on every start', async () => {
  const dir = tmp();
  try {
    const logs: string[] = [];
    const a = await openMasterKey(dir, { env: {}, log: (m) => logs.push(m) });
    assert.equal(a.sealed, false);
    assert.equal(a.unlockedBy, 'not sealed: the master key is in the clear in secrets.db');
    assert.match(logs.join('\n'), /made a new master key; it is not sealed yet: run "freehold secrets seal"/);
    assert.equal(statSync(join(dir, 'secrets.db')).mode & 0o777, 0o600);
    const key = Buffer.from(a.sealerKey);
    a.close();
    const b = await openMasterKey(dir, { env: {}, log: (m) => logs.push(m) });
    assert.ok(b.sealerKey.equals(key));
    assert.match(logs.at(-1)!, /^warning: the master key is not sealed/);
    assert.equal(b.unlockedBy, 'not sealed: the master key is in the clear in secrets.db');
    b.close();
    assert.deepEqual(keyringStatus(dir).slots.map((s) => s.kind), ['plain']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migration: master.key becomes the Sealer key, then is removed; sealed data still opens', async () => {
  const dir = tmp();
  try {
    const legacy = randomBytes(32);
    writeFileSync(join(dir, 'master.key'), legacy.toString('base64') + '\n', { mode: 0o600 });
    const sealed = new Sealer(legacy).seal('db password');
    assert.equal(keyringStatus(dir).initialized, false);
    const mk = await openMasterKey(dir, { env: {} });
    assert.ok(mk.sealerKey.equals(legacy));
    assert.equal(existsSync(join(dir, 'master.key')), false);
    await addSealing(mk, 'passphrase', { passphrase: 'a long enough passphrase', ...FAST });
    mk.close();
    const again = await openMasterKey(dir, { passphrase: 'a long enough passphrase' });
    assert.equal(new Sealer(again.sealerKey).open(sealed), 'db password');
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a master.key left by a crash after migration is removed at the next start', async () => {
  const dir = tmp();
  try {
    const mk = await openMasterKey(dir, { env: {} });
    const key = Buffer.from(mk.sealerKey);
    mk.close();
    writeFileSync(join(dir, 'master.key'), key.toString('base64') + '\n');
    (await openMasterKey(dir, { env: {} })).close();
    assert.equal(existsSync(join(dir, 'master.key')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('passphrase: a wrong one is a clear error, not garbage; a short one is refused', async () => {
  const key = randomBytes(32);
  const params = await passphrase.seal(key, { passphrase: 'the right passphrase', ...FAST }, 'id1');
  assert.ok(!JSON.stringify(params).includes(key.toString('base64')));
  const ctx = (p?: string) => ({ masterId: 'id1', passphrase: async () => p });
  assert.ok((await passphrase.unseal(params, ctx('the right passphrase'))).equals(key));
  await assert.rejects(passphrase.unseal(params, ctx('the wrong passphrase')), WrongPassphraseError);
  await assert.rejects(passphrase.unseal(params, ctx(undefined)), /no passphrase given/);
  // Bound to the master key's id: a slot copied from another keyring does not open as this one
  await assert.rejects(passphrase.unseal(params, { ...ctx('the right passphrase'), masterId: 'id2' }), WrongPassphraseError);
  await assert.rejects(passphrase.seal(key, { passphrase: 'short' }, 'id1'), /at least 8 characters/);
  // NFC: the same passphrase typed with combining characters opens it
  const p2 = await passphrase.seal(key, { passphrase: 'caf\u00e9 au lait!', ...FAST }, 'id1');
  assert.ok((await passphrase.unseal(p2, ctx('cafe\u0301 au lait!'))).equals(key));
});

test('sealed store: missing and wrong passphrase; the variables leave the environment', async () => {
  const dir = tmp();
  try {
    const mk = await openMasterKey(dir, { env: {} });
    await addSealing(mk, 'passphrase', { passphrase: 'sealed with this one', ...FAST });
    assert.throws(() => removeSealing(mk, 99), /no key slot 99/);
    assert.throws(() => removeSealing(mk, mk.keyring.slots()[0].id), /the last way of opening the master key cannot be removed/);
    mk.close();
    await assert.rejects(openMasterKey(dir, { env: {} }), (e: unknown) => e instanceof SealedStoreError && e.code === 'sealed' && /no passphrase given/.test(e.message));
    const env: NodeJS.ProcessEnv = { FREEHOLD_PASSPHRASE: 'not this one at all', FREEHOLD_PASSPHRASE_FILE: '/nonexistent', OTHER: 'kept' };
    await assert.rejects(openMasterKey(dir, { env }), (e: unknown) => e instanceof SealedStoreError && /the passphrase is wrong/.test(e.message));
    assert.deepEqual(env, { OTHER: 'kept' });
    const file = join(dir, 'pass');
    writeFileSync(file, 'sealed with this one\n');
    const ok = await openMasterKey(dir, { env: { FREEHOLD_PASSPHRASE_FILE: file } });
    assert.match(ok.unlockedBy, /^passphrase/);
    ok.close();
    await assert.rejects(openMasterKey(dir, { env: { FREEHOLD_PASSPHRASE_FILE: join(dir, 'missing') } }), /cannot read the passphrase file .*missing: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a slot holding another master key is refused; an unknown slot kind is named', async () => {
  const a = tmp();
  const b = tmp();
  try {
    for (const d of [a, b]) {
      const mk = await openMasterKey(d, { env: {} });
      await addSealing(mk, 'passphrase', { passphrase: 'same passphrase here', ...FAST });
      mk.close();
    }
    // b's passphrase slot copied into a (and a's own removed): it opens, but to b's key
    const kb = Keyring.open(b);
    const slot = kb.slots()[0];
    kb.close();
    const ka = Keyring.open(a);
    ka.db.prepare('UPDATE key_slots SET params = ?').run(JSON.stringify(slot.params));
    ka.db.prepare("INSERT INTO key_slots (kind, params, created_at) VALUES ('future', '{}', 'x')").run();
    ka.close();
    await assert.rejects(openMasterKey(a, { passphrase: 'same passphrase here' }), (e: unknown) => {
      assert.ok(e instanceof SealedStoreError);
      assert.match(e.message, /passphrase \(scrypt[^)]*\): the passphrase is wrong/);
      assert.match(e.message, /key slot \d+: this version of Freehold does not know how to open a "future" slot/);
      return true;
    });
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('a keyring rotated by another process is refused, not silently mixed', async () => {
  const dir = tmp();
  try {
    const one = await openMasterKey(dir, { env: {} });
    const two = await openMasterKey(dir, { env: {} });
    await rotateMasterKey(two);
    assert.throws(() => one.keyring.dataKey('kv:x'), (e: unknown) => e instanceof SecretsError && /rotated by another process .*restart freehold/.test(e.message));
    one.close();
    two.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
