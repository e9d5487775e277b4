// The secrets backend setting and the OpenTofu state stores on their own (no HTTP, no terraform):
// the configuration sealed in the settings and read back by a new process; states as secrets
// (versions newest first with serial, size and MD5; a damaged one refused); a backend set without
// checking that turns out unreachable; where a state is read from across switches.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpenBaoSimulator, type OpenBaoSimulator } from '../../test/simulators/openbao.js';
import { openStore } from '../store/index.js';
import { Sealer } from '../lib/crypto.js';
import { freePort } from '../lib/net.js';
import { openMasterKey } from '../secrets/master-key.js';
import { openSecretsBackend } from '../drivers/secrets/index.js';
import { Settings } from './settings.js';
import { SecretsBackendError, SecretsBackends } from './secrets-backend.js';
import { SecretsStateStore, StateElsewhereError, TofuStateStores } from './tofu-state-secrets.js';
import { SealedStateStore, TofuStates, md5Base64 } from './tofu-state.js';
import { UserError } from './errors.js';

let sim: OpenBaoSimulator;
before(async () => {
  sim = await startOpenBaoSimulator();
});
after(() => sim?.stop());

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'fh-tofu-secrets-'));
  const mk = await openMasterKey(dir, { env: {} });
  const sealer = new Sealer(mk.sealerKey);
  const db = await openStore(join(dir, 'freehold.db'));
  const logs: string[] = [];
  const make = () => {
    const backends = new SecretsBackends(new Settings(db), sealer, { keyring: mk.keyring }, (m) => logs.push(m));
    const states = new TofuStates(db, new TofuStateStores(db, new SealedStateStore(db, sealer), backends, (m) => logs.push(m)));
    return { backends, states };
  };
  return {
    dir, db, sealer, logs, make, ...make(),
    async done() {
      await db.destroy();
      mk.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const body = (serial: number, secret = 'x') => Buffer.from(JSON.stringify({ version: 4, serial, lineage: 'lin', outputs: { s: { value: secret, type: 'string' } }, resources: [] }));

test('the backend setting: sealed in the settings, read back by a new process, never showing the token', async () => {
  const t = await setup();
  try {
    assert.deepEqual(await t.backends.view(), { kind: 'builtin', settings: { kind: 'builtin', maxVersions: 10 }, configuredAt: null });
    assert.equal((await t.backends.current()).kind, 'builtin');
    const r = await t.backends.configure({ kind: 'openbao', url: sim.url, token: sim.rootToken, prefix: `t${randomBytes(3).toString('hex')}` });
    assert.equal(r.backend.kind, 'openbao');
    assert.ok(!JSON.stringify(r).includes(sim.rootToken));
    const row = (await t.db.selectFrom('settings').select('value').where('key', '=', 'secrets_backend').executeTakeFirstOrThrow()).value;
    assert.ok(row.startsWith('v1:') && !row.includes(sim.rootToken) && !row.includes(sim.url), 'not sealed');
    const again = t.make().backends;
    await again.load();
    assert.equal(again.kind, 'openbao');
    assert.deepEqual(await again.view(), r.backend);
    assert.equal((await again.current()).kind, 'openbao');
    assert.ok(!t.logs.join('\n').includes(sim.rootToken));
    // The same object until it changes
    assert.equal(await again.current(), await again.current());
    await assert.rejects(t.backends.configure({ kind: 'openbao', url: sim.url }), (e: unknown) => e instanceof UserError && e.status === 400 && e.details?.[0].path === 'token');
  } finally {
    await t.done();
  }
});

test('states as secrets: one secret per state, its versions newest first with serial, size and MD5', async () => {
  const b = openSecretsBackend({ kind: 'openbao', url: sim.url, token: sim.rootToken, prefix: 'unit' }, { keyring: undefined as never });
  const s = new SecretsStateStore(b);
  for (let serial = 1; serial <= 3; serial++) {
    const data = body(serial).toString();
    assert.equal(await s.write('n1', data, { md5: md5Base64(data), serial }), serial);
  }
  const versions = await s.versions('n1');
  assert.deepEqual(versions.map((v) => [v.version, v.serial, v.size, v.md5]), [3, 2, 1].map((n) => [n, n, body(n).length, md5Base64(body(n))]));
  assert.equal(JSON.parse((await s.read('n1', 2))!.data).serial, 2);
  assert.equal((await s.read('n1'))!.version, 3);
  assert.equal(sim.peek('secret', 'unit/tofu/n1')?.current_version, 3);
  assert.equal(await s.read('nothing'), undefined);
  assert.deepEqual(await s.versions('nothing'), []);
  // A version whose bytes are not the ones written is refused, never served
  await b.put('tofu/bad', { state: Buffer.from('{"serial":1}').toString('base64'), md5: md5Base64('{"serial":2}'), serial: '1', size: '12' });
  await assert.rejects(s.read('bad'), (e: unknown) => e instanceof SecretsBackendError && e.status === 502 && /is damaged/.test((e as Error).message));
  await s.remove('n1');
  assert.equal(sim.peek('secret', 'unit/tofu/n1'), undefined);
});

test('a backend set without checking that is unreachable: 502 naming it, logged; the states report says not checked', async () => {
  const t = await setup();
  try {
    await t.states.put('a', body(1, 'first'));
    const port = await freePort();
    const r = await t.backends.configure({ kind: 'openbao', url: `http://127.0.0.1:${port}`, token: 's.unit-token-123', verify: false });
    assert.equal(r.backend.kind, 'openbao');
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0], /^1 OpenTofu state\(s\) \(a\): kept in the built-in store/);
    await assert.rejects(t.states.get('a'), (e: unknown) => e instanceof SecretsBackendError && e.status === 502 && (e as Error).message.includes(`OpenTofu state a: OpenBao at http://127.0.0.1:${port} is unreachable`));
    await assert.rejects(t.states.put('a', body(2)), (e: unknown) => e instanceof SecretsBackendError && e.details?.[0].path === 'url');
    assert.ok(t.logs.some((l) => l.includes(`OpenTofu state a: OpenBao at http://127.0.0.1:${port} is unreachable`)), t.logs.join('\n'));
    assert.ok(!t.logs.join('\n').includes('s.unit-token-123'));
  } finally {
    await t.done();
  }
});

test('where a state is read from across switches: never an older version, never "no state"', async () => {
  const t = await setup();
  const prefix = `sw${randomBytes(3).toString('hex')}`;
  const bao = { kind: 'openbao', url: sim.url, token: sim.rootToken, prefix };
  try {
    await t.states.put('s', body(1, 'v1'));
    await t.backends.configure(bao);
    // Read from the built-in store until written
    assert.equal(JSON.parse((await t.states.get('s'))!.data).serial, 1);
    assert.deepEqual((await t.states.show('s')).versions.map((v) => v.version), [1]);
    await t.states.put('s', body(2, 'v2'));
    assert.equal(sim.peek('secret', `${prefix}/tofu/s`)?.current_version, 1);
    assert.equal(JSON.parse((await t.states.get('s'))!.data).serial, 2);
    // Back to builtin: its copy is older, so it is not served
    const back = await t.backends.configure({ kind: 'builtin' });
    assert.match(back.notes.join('\n'), /1 OpenTofu state\(s\) \(s\): their newest version is in OpenBao and not in the built-in store/);
    await assert.rejects(t.states.get('s'), (e: unknown) => e instanceof StateElsewhereError && e.status === 503);
    // Written while builtin: then OpenBao's copy is the older one
    await t.states.put('s', body(3, 'v3'));
    await t.backends.configure(bao);
    assert.equal(JSON.parse((await t.states.get('s'))!.data).serial, 3, 'served from the built-in store, the newest');
    // A lock-only state (no version yet) is "no state" wherever
    await t.states.lock('empty', JSON.stringify({ ID: 'l1' }));
    assert.equal(await t.states.get('empty'), null);
    // Removing a state removes it from both
    await t.states.remove('s');
    assert.equal(sim.peek('secret', `${prefix}/tofu/s`), undefined);
    assert.equal((await t.db.selectFrom('tofu_state_versions').select('name').where('name', '=', 's').execute()).length, 0);
  } finally {
    await t.done();
  }
});
