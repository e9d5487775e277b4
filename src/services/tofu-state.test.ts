// The OpenTofu state service on its own (no HTTP): versions sealed and kept, the lock semantics of
// the HTTP backend protocol (423/409 with the holder's lock info), forced unlocks, bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/index.js';
import { Sealer } from '../lib/crypto.js';
import { SealedStateStore, StateLockedError, TofuStates, md5Base64 } from './tofu-state.js';
import { UserError } from './errors.js';

async function setup(keep = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'fh-tofu-'));
  const db = await openStore(join(dir, 'db.sqlite'));
  const logs: string[] = [];
  const states = new TofuStates(db, new SealedStateStore(db, new Sealer(randomBytes(32)), keep), (m) => logs.push(m));
  let open = true;
  const close = async () => {
    if (open) await db.destroy();
    open = false;
  };
  return { dir, db, states, logs, close, async done() { await close(); rmSync(dir, { recursive: true, force: true }); } };
}

const stateJson = (serial: number, secret = 'nothing') => Buffer.from(JSON.stringify({ version: 4, serial, lineage: 'lin-1', outputs: { s: { value: secret, type: 'string' } }, resources: [] }));
const lockInfo = (ID: string, Who = 'alice@laptop') => JSON.stringify({ ID, Operation: 'OperationTypeApply', Info: '', Who, Version: '1.11.4', Created: '2026-01-01T00:00:00Z', Path: '' });

/** Asserts that `p` is refused with the protocol's status and the holder's lock info */
async function refused(p: Promise<unknown>, status: 409 | 423, holderId: string) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StateLockedError, String(err));
    assert.equal(err.status, status);
    assert.equal(JSON.parse(err.holder).ID, holderId);
    return true;
  });
}

test('tofu state: stored sealed, read back with its MD5, the last versions kept', async () => {
  const t = await setup(3);
  try {
    assert.equal(await t.states.get('demo'), undefined, 'unknown name');
    const secret = `s3cret-${randomBytes(6).toString('hex')}`;
    for (let serial = 1; serial <= 5; serial++) {
      const r = await t.states.put('demo', stateJson(serial, secret), { contentMd5: md5Base64(stateJson(serial, secret)) });
      assert.deepEqual(r, { version: serial, serial });
    }
    const got = await t.states.get('demo');
    assert.ok(got);
    assert.equal(got.data, stateJson(5, secret).toString());
    assert.equal(got.md5, md5Base64(stateJson(5, secret)));
    const view = await t.states.show('demo');
    assert.equal(view.version, 5);
    assert.equal(view.serial, 5);
    assert.equal(view.lineage, 'lin-1');
    assert.deepEqual(view.versions.map((v) => v.version), [5, 4, 3], 'only the newest 3 are kept');
    assert.equal(JSON.parse((await t.states.getVersion('demo', 3)).data).serial, 3);
    await assert.rejects(t.states.getVersion('demo', 1), /no version 1 \(kept: 5, 4, 3\)/);
    // Nothing of the state is readable in the store's file
    const rows = await t.db.selectFrom('tofu_state_versions').selectAll().execute();
    assert.ok(rows.every((r) => r.state.startsWith('v1:') && !r.state.includes(secret)));
    await t.close();
    assert.ok(!readFileSync(join(t.dir, 'db.sqlite')).includes(secret), 'the secret is in the SQLite file');
  } finally {
    await t.done();
  }
});

test('tofu state: lock semantics of the HTTP backend protocol', async () => {
  const t = await setup();
  try {
    await t.states.put('demo', stateJson(1));
    // LOCK: taken; the same ID again is fine (a retried request); another ID gets 423 + the holder
    assert.equal((await t.states.lock('demo', lockInfo('A'))).ID, 'A');
    assert.equal((await t.states.lock('demo', lockInfo('A'))).ID, 'A');
    await refused(t.states.lock('demo', lockInfo('B', 'bob@ci')), 423, 'A');
    assert.equal((await t.states.list())[0].lock?.Who, 'alice@laptop');
    // Updates while locked: the holder's ID only (none: 423, another: 409)
    await refused(t.states.put('demo', stateJson(2)), 423, 'A');
    await refused(t.states.put('demo', stateJson(2), { lockId: 'B' }), 409, 'A');
    assert.equal((await t.states.put('demo', stateJson(2), { lockId: 'A' })).version, 2);
    await refused(t.states.remove('demo'), 423, 'A');
    // UNLOCK: another ID gets 409 + the holder; the holder's releases
    await refused(t.states.unlock('demo', { body: lockInfo('B') }), 409, 'A');
    await refused(t.states.unlock('demo', {}), 409, 'A');
    assert.equal((await t.states.unlock('demo', { body: lockInfo('A') }))?.ID, 'A');
    assert.equal(await t.states.unlock('demo', { body: lockInfo('A') }), null, 'unlocking what is not locked is fine');
    assert.equal((await t.states.show('demo')).lock, null);
    // Unlocked: updates need no ID (and one left over from an earlier lock does no harm)
    assert.equal((await t.states.put('demo', stateJson(3))).version, 3);
    assert.equal((await t.states.put('demo', stateJson(4), { lockId: 'A' })).version, 4);
    // Forced: ?force, or an empty UNLOCK (terraform force-unlock sends no lock info)
    await t.states.lock('demo', lockInfo('C', 'crashed@ci'));
    assert.equal((await t.states.unlock('demo', { force: true }))?.ID, 'C');
    await t.states.lock('demo', lockInfo('D', 'crashed@ci'));
    await refused(t.states.unlock('demo', { body: lockInfo('E'), emptyIsForce: true }), 409, 'D');
    assert.equal((await t.states.unlock('demo', { body: '', emptyIsForce: true }))?.ID, 'D');
    assert.ok(t.logs.some((l) => l.includes('forced open') && l.includes('crashed@ci')), t.logs.join('\n'));
    // A lock on a name without state: GET says "none yet" (null), not unknown
    await t.states.lock('fresh', lockInfo('F'));
    assert.equal(await t.states.get('fresh'), null);
    // Concurrent LOCKs: exactly one wins
    const results = await Promise.allSettled(['G1', 'G2', 'G3', 'G4'].map((id) => t.states.lock('race', lockInfo(id))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    // DELETE by the holder, then gone
    await t.states.lock('demo', lockInfo('H'));
    await t.states.remove('demo', { lockId: 'H' });
    assert.equal(await t.states.get('demo'), undefined);
    assert.deepEqual(await t.states.store.versions('demo'), []);
  } finally {
    await t.done();
  }
});

test('tofu state: bad input is refused with a clear error', async () => {
  const t = await setup();
  try {
    const bad = (p: Promise<unknown>, re: RegExp) => assert.rejects(p, (e: unknown) => e instanceof UserError && re.test(e.message));
    await bad(t.states.put('demo', Buffer.from('{"serial": 1')), /not JSON/);
    await bad(t.states.put('demo', Buffer.from('[1]')), /JSON object/);
    await bad(t.states.put('demo', Buffer.from([0x7b, 0xff, 0x7d])), /not UTF-8/);
    await bad(t.states.put('demo', stateJson(1), { contentMd5: md5Base64('other') }), /Content-MD5/);
    await bad(t.states.put('../etc', stateJson(1)), /invalid state name/);
    await bad(t.states.lock('demo', 'not json'), /not JSON/);
    await bad(t.states.lock('demo', '{"Who": "x"}'), /"ID"/);
    await bad(t.states.lock('demo', ''), /needs the lock info/);
    await assert.rejects(t.states.unlock('nothere', { force: true }), /no OpenTofu state named nothere/);
    assert.deepEqual(await t.states.list(), [], 'nothing was stored');
  } finally {
    await t.done();
  }
});
