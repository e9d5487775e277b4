// The built-in secrets store: the backend contract, and what envelope encryption promises:
// values never in the clear in secrets.db, one data key per secret, master-key rotation that
// re-wraps data keys without touching the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMasterKey, rotateMasterKey } from '../../secrets/master-key.js';
import { secretsContract } from './contract.js';
import { openSecretsBackend, SecretNotFoundError } from './index.js';
import { BuiltinSecrets } from './builtin.js';

async function fresh() {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-builtin-'));
  const mk = await openMasterKey(dir, { env: {} });
  return { dir, mk, close: async () => (mk.close(), rmSync(dir, { recursive: true, force: true })) };
}

secretsContract('builtin', async () => {
  const f = await fresh();
  return { backend: openSecretsBackend({ kind: 'builtin' }, { keyring: f.mk.keyring }), close: f.close };
});

test('builtin: values are encrypted at rest, one data key per secret', async () => {
  const f = await fresh();
  try {
    const b = new BuiltinSecrets(f.mk.keyring);
    const secret = 'plain-text-value-8c1f0e';
    await b.put('apps/a/pw', { value: secret });
    await b.put('apps/b/pw', { value: secret });
    f.mk.keyring.db.pragma('wal_checkpoint(TRUNCATE)');
    const file = readFileSync(join(f.dir, 'secrets.db'));
    assert.ok(!file.includes(Buffer.from(secret)), 'the value is in secrets.db in the clear');
    const keys = f.mk.keyring.db.prepare("SELECT scope FROM data_keys WHERE scope LIKE 'kv:%' ORDER BY scope").all();
    assert.deepEqual(keys, [{ scope: 'kv:apps/a/pw' }, { scope: 'kv:apps/b/pw' }]);
    await b.delete('apps/a/pw');
    assert.equal(f.mk.keyring.hasDataKey('kv:apps/a/pw'), false, 'the data key goes with the secret');
  } finally {
    await f.close();
  }
});

test('builtin: keeps the newest maxVersions versions', async () => {
  const f = await fresh();
  try {
    const b = openSecretsBackend({ kind: 'builtin', maxVersions: 3 }, { keyring: f.mk.keyring });
    for (let i = 1; i <= 5; i++) await b.put('x', { v: String(i) });
    const { current, versions } = await b.versions('x');
    assert.equal(current, 5);
    assert.deepEqual(versions.map((v) => v.version), [3, 4, 5]);
    await assert.rejects(b.get('x', { version: 2 }), SecretNotFoundError);
  } finally {
    await f.close();
  }
});

test('builtin: rotating the master key re-wraps data keys and leaves the data as it was', async () => {
  const f = await fresh();
  try {
    const b = new BuiltinSecrets(f.mk.keyring);
    await b.put('a', { v: 'one' });
    await b.put('a', { v: 'two' });
    await b.put('b', { v: 'three' });
    const db = f.mk.keyring.db;
    const data = () => db.prepare('SELECT path, version, hex(ciphertext) AS c FROM kv_versions ORDER BY path, version').all();
    const wrapped = () => db.prepare('SELECT scope, master_id, hex(wrapped) AS w FROM data_keys ORDER BY scope').all() as { master_id: string; w: string }[];
    const beforeData = data();
    const beforeKeys = wrapped();
    const sealerKey = Buffer.from(f.mk.sealerKey);
    await rotateMasterKey(f.mk);
    assert.deepEqual(data(), beforeData, 'the encrypted data changed');
    const afterKeys = wrapped();
    assert.equal(afterKeys.length, beforeKeys.length);
    afterKeys.forEach((k, i) => {
      assert.notEqual(k.w, beforeKeys[i].w);
      assert.notEqual(k.master_id, beforeKeys[i].master_id);
    });
    assert.deepEqual((await b.get('a', { version: 1 })).data, { v: 'one' });
    assert.deepEqual((await b.get('b')).data, { v: 'three' });
    assert.ok(f.mk.sealerKey.equals(sealerKey), "the Sealer's key does not change");
    // And after a restart with the new master key
    f.mk.close();
    const again = await openMasterKey(f.dir, { env: {} });
    try {
      assert.ok(again.sealerKey.equals(sealerKey));
      assert.deepEqual((await new BuiltinSecrets(again.keyring).get('a')).data, { v: 'two' });
    } finally {
      again.close();
    }
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});
