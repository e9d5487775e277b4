// `freehold secrets` end to end, and the promise that credentials never show: an existing unsealed
// master.key is migrated (the same key: what it sealed still opens), sealed with a passphrase,
// checked with a missing, a wrong and a right passphrase (environment, fd, file), rotated.
// Then the OpenBao driver's failures and generated secrets run with known values. Every line
// of output, log and error message is searched for each credential afterwards, and secrets.db for
// the keys and values in the clear.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sealer } from '../src/lib/crypto.js';
import { openMasterKey } from '../src/secrets/master-key.js';
import { GeneratedSecrets } from '../src/secrets/generate.js';
import { openSecretsBackend } from '../src/drivers/secrets/index.js';
import { startOpenBaoSimulator } from './simulators/openbao.js';
import { freePort } from '../src/lib/net.js';

const ROOT = new URL('..', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'freehold-secrets-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const PASSPHRASE = `pass-${randomBytes(6).toString('hex')}-phrase`;
const WRONG = `wrong-${randomBytes(6).toString('hex')}-phrase`;
const TOKEN = `s.${randomBytes(12).toString('hex')}`;
const VALUE = `value-${randomBytes(8).toString('hex')}`;
const known: Record<string, string> = { PASSPHRASE, WRONG, TOKEN, VALUE };
/** Everything printed or thrown during the flows */
const captured: string[] = [];

function cli(dataDir: string, args: string[], o: { env?: NodeJS.ProcessEnv; fd3?: string } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_NO_WARNINGS: '1' };
    delete env.FREEHOLD_PASSPHRASE;
    Object.assign(env, o.env);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--data-dir', dataDir, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe', ...(o.fd3 !== undefined ? (['pipe'] as const) : [])],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    if (o.fd3 !== undefined) {
      const fd3 = child.stdio[3] as NodeJS.WritableStream;
      fd3.on('error', () => undefined);
      fd3.end(o.fd3 + '\n');
    }
    child.on('error', reject);
    child.on('close', (code) => {
      captured.push(stdout, stderr);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

test('secrets CLI: migrate master.key, seal with a passphrase, check, rotate', async () => {
  const dir = join(scratch, 'data');
  mkdirSync(dir, { mode: 0o700 });
  // An installation of before: master.key in the clear, and a value sealed with it
  const legacy = randomBytes(32);
  writeFileSync(join(dir, 'master.key'), legacy.toString('base64') + '\n', { mode: 0o600 });
  const sealedBefore = new Sealer(legacy).seal(VALUE);

  let r = await cli(dir, ['secrets', 'check']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /the master key is not sealed \(it is in the clear in secrets\.db\): seal it with "freehold secrets seal passphrase\|tpm\|tang"/);
  assert.match(r.stderr, /moved master\.key into the keyring/);
  assert.equal(existsSync(join(dir, 'master.key')), false, 'master.key is removed once in the keyring');

  const passFile = join(scratch, 'pass');
  writeFileSync(passFile, PASSPHRASE + '\n', { mode: 0o600 });
  r = await cli(dir, ['secrets', 'seal', 'passphrase', '--new-passphrase-file', passFile]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /master key sealed with a passphrase \(key slot 2\)/);

  r = await cli(dir, ['secrets', 'status']);
  assert.match(r.stdout, /^The master key is sealed\.\n\s+2\s+passphrase\s+passphrase \(scrypt N=2\^17, r=8, p=1\)/);
  assert.doesNotMatch(r.stdout, /plain/);

  r = await cli(dir, ['secrets', 'check']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: the secrets store is sealed: passphrase \(scrypt N=2\^17, r=8, p=1\): no passphrase given\nto open it: start freehold with FREEHOLD_PASSPHRASE set \(or --passphrase-file <file>\)\n$/);

  r = await cli(dir, ['secrets', 'check'], { env: { FREEHOLD_PASSPHRASE: WRONG } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /sealed: passphrase \(.*\): the passphrase is wrong: it does not open the master key\nto open it: give the passphrase the store was sealed with/);

  for (const how of [{ env: { FREEHOLD_PASSPHRASE: PASSPHRASE } }, { args: ['--passphrase-file', '/dev/fd/3'], fd3: PASSPHRASE }]) {
    r = await cli(dir, ['secrets', ...(how.args ?? []), 'check'], { env: how.env, fd3: how.fd3 });
    assert.equal(r.code, 0, `${JSON.stringify(how.args ?? Object.keys(how.env ?? {}))}: ${r.stderr}`);
    assert.match(r.stdout, /the master key opens with passphrase/);
  }

  r = await cli(dir, ['secrets', '--passphrase-file', passFile, 'rotate-master-key']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /new master key [0-9a-f]{16}, sealed 1 way\(s\)/);

  // The Sealer's key is still the one master.key held: what it sealed before still opens
  const mk = await openMasterKey(dir, { passphrase: PASSPHRASE, log: (m) => captured.push(m) });
  try {
    assert.ok(mk.sealerKey.equals(legacy));
    assert.equal(new Sealer(mk.sealerKey).open(sealedBefore), VALUE);
    const master = mk.keyring.withMaster((m) => Buffer.from(m));
    mk.keyring.db.pragma('wal_checkpoint(TRUNCATE)');
    const file = readFileSync(join(dir, 'secrets.db'));
    for (const [name, secret] of [['master key', master], ['sealer key', legacy]] as const) {
      assert.ok(!file.includes(secret), `the ${name} is in secrets.db`);
      assert.ok(!file.includes(Buffer.from(secret.toString('base64'))), `the ${name} is in secrets.db (base64)`);
    }
  } finally {
    mk.close();
  }
});

test('OpenBao and generated secrets with known values', async () => {
  const sim = await startOpenBaoSimulator();
  const dir = mkdtempSync(join(scratch, 'gen-'));
  const mk = await openMasterKey(dir, { env: {} });
  const record = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      captured.push((err as Error).message, String((err as Error).stack));
      return err;
    }
  };
  try {
    sim.addToken('root', TOKEN);
    const good = openSecretsBackend({ kind: 'openbao', url: sim.url, token: TOKEN }, { keyring: mk.keyring });
    await good.put('known/x', { value: VALUE });
    const g = new GeneratedSecrets(good);
    const made = await g.ensure('cal', 'pw', { random: 24 });
    await g.rotate('cal', 'pw');
    // Failures with the token and values in play
    assert.ok(await record(openSecretsBackend({ kind: 'openbao', url: sim.url, token: `${TOKEN}x` }, { keyring: mk.keyring }).get('known/x')));
    assert.ok(await record(openSecretsBackend({ kind: 'openbao', url: `http://127.0.0.1:${await freePort()}`, token: TOKEN }, { keyring: mk.keyring }).put('known/x', { value: VALUE })));
    assert.ok(await record(good.put('known/x', { value: VALUE }, { cas: 7 })));
    assert.ok(await record(good.get('known/x', { version: 99 })));
    sim.seal();
    assert.ok(await record(good.put('known/y', { value: VALUE })));
    sim.unseal();
    captured.push(JSON.stringify(sim.requests));
    known.GENERATED = made.data.value;
    // Built-in store: the value is not in its file in the clear
    const builtin = openSecretsBackend({ kind: 'builtin' }, { keyring: mk.keyring });
    await builtin.put('known/x', { value: VALUE });
    assert.ok(await record(builtin.put('known/x', { value: VALUE }, { cas: 0 })));
    mk.keyring.db.pragma('wal_checkpoint(TRUNCATE)');
    assert.ok(!readFileSync(join(dir, 'secrets.db')).includes(Buffer.from(VALUE)));
  } finally {
    mk.close();
    await sim.stop();
  }
});

test('no credential appears in any output, log or error message', () => {
  assert.ok(captured.length > 20, 'the flows above ran');
  const all = captured.join('\n');
  assert.ok(known.GENERATED, 'a secret was generated');
  for (const [name, secret] of Object.entries(known)) assert.ok(!all.includes(secret), `the ${name} appears in the output`);
});
