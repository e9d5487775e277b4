// The master key sealed by a TPM (swtpm, driven with tpm2-tools): unattended restarts; another TPM
// (another machine) cannot open it; a TPM that is gone or whose PCRs changed falls back to the
// passphrase; rotation re-seals to the TPM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSwtpm, type SoftTpm } from './helpers/swtpm.js';
import { run } from '../src/lib/spawn.js';
import { addSealing, keyringStatus, openMasterKey, rotateMasterKey } from '../src/secrets/master-key.js';
import { Keyring } from '../src/secrets/keyring.js';
import { SealedStoreError } from '../src/secrets/errors.js';

const PASSPHRASE = 'tpm-fallback passphrase 91c2';
let tpm: SoftTpm;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'freehold-tpm-test-'));
  dirs.push(d);
  return d;
};
before(async () => {
  tpm = await startSwtpm();
});
after(async () => {
  await tpm?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function sealed(pcrs?: string) {
  const dir = tmp();
  const mk = await openMasterKey(dir, { env: {} });
  const sealerKey = Buffer.from(mk.sealerKey);
  await addSealing(mk, 'tpm', { tcti: tpm.tcti, ...(pcrs && { pcrs }) });
  await addSealing(mk, 'passphrase', { passphrase: PASSPHRASE, N: 2 ** 14 });
  mk.close();
  return { dir, sealerKey };
}

/** Points the TPM slot at another TPM, as when the disk moves to another machine */
function retarget(dir: string, tcti: string) {
  const k = Keyring.open(dir);
  try {
    const slot = k.slots().find((s) => s.kind === 'tpm')!;
    k.db.prepare('UPDATE key_slots SET params = ? WHERE id = ?').run(JSON.stringify({ ...slot.params, tcti }), slot.id);
  } finally {
    k.close();
  }
}

test('tpm: unattended restart; rotation re-seals to the TPM', async () => {
  const { dir, sealerKey } = await sealed();
  assert.match(keyringStatus(dir).slots[0].description, /^TPM \(swtpm:host=127\.0\.0\.1,port=\d+\)$/);
  const mk = await openMasterKey(dir, { env: {} });
  try {
    assert.match(mk.unlockedBy, /^TPM/);
    assert.ok(mk.sealerKey.equals(sealerKey));
    await rotateMasterKey(Object.assign(mk, { passphrase: async () => PASSPHRASE }));
  } finally {
    mk.close();
  }
  const again = await openMasterKey(dir, { env: {} });
  assert.match(again.unlockedBy, /^TPM/);
  assert.ok(again.sealerKey.equals(sealerKey));
  again.close();
});

test('tpm: another TPM cannot open it; the passphrase can', async () => {
  const { dir, sealerKey } = await sealed();
  const other = await startSwtpm();
  try {
    retarget(dir, other.tcti);
    await assert.rejects(openMasterKey(dir, { env: {} }), (e: unknown) => {
      assert.ok(e instanceof SealedStoreError);
      assert.match(e.message, /TPM \(swtpm:[^)]*\): this TPM \(swtpm:[^)]*\) did not seal this key \(another machine, or the TPM was cleared\)/);
      assert.match(e.message, /passphrase \(scrypt[^)]*\): no passphrase given/);
      return true;
    });
    const mk = await openMasterKey(dir, { env: { FREEHOLD_PASSPHRASE: PASSPHRASE } });
    assert.match(mk.unlockedBy, /^passphrase/);
    assert.ok(mk.sealerKey.equals(sealerKey));
    mk.close();
  } finally {
    await other.stop();
  }
});

test('tpm: a TPM that cannot be reached is named, with what to check', async () => {
  const { dir } = await sealed();
  const gone = await startSwtpm();
  await gone.stop();
  retarget(dir, gone.tcti);
  await assert.rejects(openMasterKey(dir, { env: {} }), (e: unknown) => {
    assert.ok(e instanceof SealedStoreError);
    assert.match(e.message, /TPM \(swtpm:[^)]*\): the TPM \(swtpm:[^)]*\) cannot be reached/);
    assert.match(e.message, /to open it: check the TPM \(is it there, is tpm2-tools installed, is the TCTI right\?\); or start freehold with FREEHOLD_PASSPHRASE set/);
    return true;
  });
});

test('tpm: bound to a PCR, it stops opening when the PCR changes', async () => {
  // PCR 16 is the debug PCR: extending it stands for a changed boot chain
  const { dir, sealerKey } = await sealed('sha256:16');
  const mk = await openMasterKey(dir, { env: {} });
  assert.match(mk.unlockedBy, /^TPM .*bound to PCRs sha256:16/);
  assert.ok(mk.sealerKey.equals(sealerKey));
  mk.close();
  await run(['tpm2_pcrextend', '-T', tpm.tcti, `16:sha256=${'ab'.repeat(32)}`]);
  await assert.rejects(openMasterKey(dir, { env: {} }), /the PCRs it is bound to changed since it was sealed/);
  const p = await openMasterKey(dir, { env: { FREEHOLD_PASSPHRASE: PASSPHRASE } });
  assert.match(p.unlockedBy, /^passphrase/);
  p.close();
  await run(['tpm2_pcrreset', '-T', tpm.tcti, '16']);
});
