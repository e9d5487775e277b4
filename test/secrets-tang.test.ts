// The master key sealed to three real Tang servers (tangd) through clevis, Shamir threshold 2 of 3,
// with a passphrase as the fallback: unattended restarts while 3 and while 2 servers are up; with
// 1 up, a clear "sealed" error without the passphrase and the passphrase opening it with it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { startTang, type TangServer } from './helpers/tang.js';
import { addSealing, keyringStatus, openMasterKey, rotateMasterKey } from '../src/secrets/master-key.js';
import { SealedStoreError, SecretsError } from '../src/secrets/errors.js';
import { BuiltinSecrets } from '../src/drivers/secrets/builtin.js';

const PASSPHRASE = 'correct horse battery staple 7f3a';
const FAST = { N: 2 ** 14 }; // scrypt cost kept low in tests
let servers: TangServer[] = [];
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'freehold-tang-test-'));
  dirs.push(d);
  return d;
};
before(async () => {
  servers = await Promise.all([startTang(), startTang(), startTang()]);
});
after(async () => {
  await Promise.all(servers.map((s) => s.destroy()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A data directory sealed to the 3 servers (2 needed) and a passphrase; its Sealer key and master key */
async function sealedStore() {
  const dir = tmp();
  const mk = await openMasterKey(dir, { env: {} });
  const sealerKey = Buffer.from(mk.sealerKey);
  const master = mk.keyring.withMaster((m) => Buffer.from(m));
  await new BuiltinSecrets(mk.keyring).put('apps/cal/pw', { value: 'tang-protected-value' });
  // One server given with its thumbprint, the others trusted on first use
  await addSealing(mk, 'tang', { servers: [`${servers[0].url}#${servers[0].thp}`, servers[1].url, { url: servers[2].url }], threshold: 2 });
  await addSealing(mk, 'passphrase', { passphrase: PASSPHRASE, ...FAST });
  mk.close();
  return { dir, sealerKey, master };
}

const reopen = async (dir: string, env: NodeJS.ProcessEnv = {}) => {
  const logs: string[] = [];
  const mk = await openMasterKey(dir, { env, log: (m) => logs.push(m) });
  return { mk, logs };
};

test('tang 2 of 3: sealing removes the plain key; restarts unattended with 3 and with 2 servers up', async () => {
  const { dir, sealerKey, master } = await sealedStore();
  const status = keyringStatus(dir);
  assert.equal(status.sealed, true);
  assert.deepEqual(status.slots.map((s) => s.kind), ['tang', 'passphrase']);
  assert.match(status.slots[0].description, /^Tang, 2 of 3: http:\/\/127\.0\.0\.1:\d+, /);
  // The master key is nowhere in the clear in the keyring's files any more
  for (const f of ['secrets.db', 'secrets.db-wal']) {
    if (existsSync(join(dir, f))) {
      const bytes = readFileSync(join(dir, f));
      assert.ok(!bytes.includes(master) && !bytes.includes(Buffer.from(master.toString('base64'))), `the master key is in ${f}`);
    }
  }

  const all = await reopen(dir);
  try {
    assert.match(all.mk.unlockedBy, /^Tang, 2 of 3/);
    assert.equal(all.mk.sealed, true);
    assert.ok(all.mk.sealerKey.equals(sealerKey));
    assert.deepEqual((await new BuiltinSecrets(all.mk.keyring).get('apps/cal/pw')).data, { value: 'tang-protected-value' });
  } finally {
    all.mk.close();
  }

  await servers[2].stop();
  try {
    const two = await reopen(dir);
    try {
      assert.match(two.mk.unlockedBy, /^Tang/);
      assert.ok(two.mk.sealerKey.equals(sealerKey));
    } finally {
      two.mk.close();
    }
  } finally {
    await servers[2].start();
  }
});

test('tang 2 of 3 with 2 servers down: sealed without the passphrase, opened with it', async () => {
  const { dir, sealerKey } = await sealedStore();
  await Promise.all([servers[1].stop(), servers[2].stop()]);
  try {
    await assert.rejects(reopen(dir), (e: unknown) => {
      assert.ok(e instanceof SealedStoreError);
      assert.equal(e.code, 'sealed');
      assert.match(e.message, /^the secrets store is sealed: Tang, 2 of 3: (http:\/\/127\.0\.0\.1:\d+(, )?){3}: 1 of 3 Tang servers reachable, 2 needed \(http:\/\/127\.0\.0\.1:\d+ refused the connection; http:\/\/127\.0\.0\.1:\d+ refused the connection\)/);
      assert.match(e.message, /passphrase \(scrypt[^)]*\): no passphrase given/);
      assert.match(e.message, /\nto open it: bring a Tang server back; or start freehold with FREEHOLD_PASSPHRASE set \(or --passphrase-file <file>\)$/);
      return true;
    });

    const env: NodeJS.ProcessEnv = { FREEHOLD_PASSPHRASE: PASSPHRASE };
    const withPass = await reopen(dir, env);
    try {
      assert.match(withPass.mk.unlockedBy, /^passphrase/);
      assert.ok(withPass.mk.sealerKey.equals(sealerKey));
      assert.equal(env.FREEHOLD_PASSPHRASE, undefined, 'the passphrase is removed from the environment');
      assert.ok(withPass.logs.some((l) => /could not open the master key with Tang, 2 of 3.*1 of 3 Tang servers reachable/.test(l)), withPass.logs.join('\n'));
      assert.ok(!withPass.logs.join('\n').includes(PASSPHRASE));
    } finally {
      withPass.mk.close();
    }

    await assert.rejects(reopen(dir, { FREEHOLD_PASSPHRASE: 'not the passphrase at all' }), (e: unknown) => {
      assert.ok(e instanceof SealedStoreError);
      assert.match(e.message, /passphrase \(scrypt[^)]*\): the passphrase is wrong/);
      assert.ok(!e.message.includes('not the passphrase at all'));
      return true;
    });
  } finally {
    await Promise.all([servers[1].start(), servers[2].start()]);
  }
});

test('tang: a server that takes connections but never answers does not hold start-up', async () => {
  const { dir, sealerKey } = await sealedStore();
  await servers[2].stop();
  const held = new Set<Socket>();
  const silent = createServer((socket) => {
    held.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(servers[2].port, '127.0.0.1', () => r()));
  try {
    const started = Date.now();
    const { mk } = await reopen(dir);
    try {
      assert.match(mk.unlockedBy, /^Tang/);
      assert.ok(mk.sealerKey.equals(sealerKey));
    } finally {
      mk.close();
    }
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  } finally {
    for (const socket of held) socket.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
    await servers[2].start();
  }
});

test('tang: sealing needs every server up (or its thumbprint); a wrong thumbprint is refused', async () => {
  const dir = tmp();
  const mk = await openMasterKey(dir, { env: {} });
  try {
    await servers[2].stop();
    await assert.rejects(addSealing(mk, 'tang', { servers: servers.map((s) => s.url), threshold: 2 }), (e: unknown) => {
      assert.ok(e instanceof SecretsError);
      assert.match(e.message, /^Tang server http:\/\/127\.0\.0\.1:\d+ refused the connection: every server must be up to seal/);
      return true;
    });
    await servers[2].start();
    await assert.rejects(addSealing(mk, 'tang', { servers: [`${servers[0].url}#${servers[1].thp}`] }), /clevis could not seal/);
    await assert.rejects(addSealing(mk, 'tang', { servers: servers.map((s) => s.url), threshold: 4 }), /threshold must be between 1 and the number of Tang servers \(3\)/);
    assert.deepEqual(keyringStatus(dir).slots.map((s) => s.kind), ['plain'], 'nothing was added by the failures');
  } finally {
    mk.close();
  }
});

test('tang: rotating the master key re-seals to the same servers and passphrase', async () => {
  const { dir, sealerKey } = await sealedStore();
  const mk = (await reopen(dir, { FREEHOLD_PASSPHRASE: PASSPHRASE })).mk;
  const before = keyringStatus(dir).masterKeyId;
  try {
    const r = await rotateMasterKey(mk);
    assert.equal(r.slots, 2);
    assert.notEqual(r.masterKeyId, before);
  } finally {
    mk.close();
  }
  const again = await reopen(dir);
  try {
    assert.match(again.mk.unlockedBy, /^Tang/);
    assert.ok(again.mk.sealerKey.equals(sealerKey));
    assert.deepEqual((await new BuiltinSecrets(again.mk.keyring).get('apps/cal/pw')).data, { value: 'tang-protected-value' });
  } finally {
    again.mk.close();
  }
  await Promise.all([servers[0].stop(), servers[1].stop()]);
  try {
    const p = await reopen(dir, { FREEHOLD_PASSPHRASE: PASSPHRASE });
    assert.match(p.mk.unlockedBy, /^passphrase/);
    p.mk.close();
  } finally {
    await Promise.all([servers[0].start(), servers[1].start()]);
  }
});
