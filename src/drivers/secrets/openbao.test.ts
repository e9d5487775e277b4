// The OpenBao KV v2 driver against the KV v2 simulator (test/simulators/openbao.ts): the backend
// contract, then the faults: a bad token, a policy that does not allow, a sealed server, an
// unreachable one, a mount that is not KV v2. No error message holds the token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOpenBaoSimulator, type OpenBaoSimulator } from '../../../test/simulators/openbao.js';
import { freePort } from '../../lib/net.js';
import { secretsContract } from './contract.js';
import { openSecretsBackend, SecretNotFoundError, SecretsError, secretsBackends } from './index.js';

let sim: OpenBaoSimulator;
before(async () => {
  sim = await startOpenBaoSimulator({ mounts: ['secret', 'kv'] });
});
after(() => sim?.stop());

const deps = { keyring: undefined as never };
const backend = (o: Record<string, unknown> = {}) => openSecretsBackend({ kind: 'openbao', url: sim.url, token: sim.rootToken, ...o }, deps);
const noToken = (token: string) => (e: unknown) => {
  assert.ok(e instanceof SecretsError, String(e));
  assert.ok(!e.message.includes(token), `the token is in: ${e.message}`);
  return true;
};

secretsContract('openbao', async () => ({ backend: backend(), close: async () => undefined }));

test('openbao: secrets live under the prefix in the mount, as KV v2 data', async () => {
  const b = backend({ mount: 'kv', prefix: 'fh/test' });
  await b.put('cal/admin', { value: 'x' });
  const s = sim.peek('kv', 'fh/test/cal/admin');
  assert.equal(s?.current_version, 1);
  assert.deepEqual(s?.versions.get(1)?.data, { value: 'x' });
  assert.ok(sim.requests.some((r) => r.method === 'POST' && r.path === '/v1/kv/data/fh/test/cal/admin'));
});

test('openbao: a soft-deleted version is reported as deleted, not as missing', async () => {
  const b = backend();
  await b.put('soft/x', { v: '1' });
  await b.put('soft/x', { v: '2' });
  // Soft delete of the newest version, as `bao kv delete` does
  const res = await fetch(`${sim.url}/v1/secret/data/freehold/soft/x`, { method: 'DELETE', headers: { 'x-vault-token': sim.rootToken } });
  assert.equal(res.status, 204);
  await assert.rejects(b.get('soft/x'), (e: unknown) => e instanceof SecretNotFoundError && /version 2 .* was deleted/.test(e.message));
  assert.deepEqual((await b.get('soft/x', { version: 1 })).data, { v: '1' });
  assert.deepEqual((await b.versions('soft/x')).versions.map((v) => v.deleted), [false, true]);
});

test('openbao: a wrong token is a 403 naming OpenBao and the fix, without the token', async () => {
  const token = 's.wrong-token-0123456789';
  const b = backend({ token });
  for (const op of [() => b.get('a'), () => b.put('a', { v: '1' }), () => b.versions('a'), () => b.delete('a'), () => b.check()])
    await assert.rejects(op(), (e: unknown) => noToken(token)(e) && (e as SecretsError).code === 'permission_denied' && /OpenBao at http:\/\/127\.0\.0\.1:\d+ refused .*403.*token/.test((e as Error).message));
});

test('openbao: a policy that allows reading but not writing', async () => {
  const token = sim.addToken([
    { path: 'secret/data/freehold/*', capabilities: ['read'] },
    { path: 'secret/metadata/freehold/*', capabilities: ['read', 'list'] },
  ]);
  await backend().put('ro/x', { v: 'seen' });
  const b = backend({ token });
  assert.deepEqual((await b.get('ro/x')).data, { v: 'seen' });
  await assert.rejects(b.put('ro/x', { v: 'no' }), (e: unknown) => noToken(token)(e) && /refused to write secret freehold\/ro\/x \(403: permission denied\).*"create" and "update"/.test((e as Error).message));
  await assert.rejects(b.delete('ro/x'), (e: unknown) => (e as SecretsError).code === 'permission_denied');
});

test('openbao: a sealed server is a 503 saying to unseal it', async () => {
  const b = backend();
  sim.seal();
  try {
    await assert.rejects(b.get('x'), (e: unknown) => (e as SecretsError).code === 'backend_sealed' && /sealed.*bao operator unseal/.test((e as Error).message));
  } finally {
    sim.unseal();
  }
});

test('openbao: an unreachable server is reported with its URL and what to do', async () => {
  const port = await freePort();
  const token = 's.unreachable-token-abc';
  const b = openSecretsBackend({ kind: 'openbao', url: `http://127.0.0.1:${port}`, token }, deps);
  await assert.rejects(
    b.get('x'),
    (e: unknown) =>
      noToken(token)(e) &&
      (e as SecretsError).code === 'unreachable' &&
      (e as Error).message.includes(`OpenBao at http://127.0.0.1:${port} is unreachable (refused the connection)`) &&
      /check that OpenBao runs there/.test((e as Error).message),
  );
});

test('openbao: a mount that does not exist', async () => {
  await assert.rejects(backend({ mount: 'nope' }).put('x', { v: '1' }), /could not write secret freehold\/x \(HTTP 404: no handler for route.*no KV mount "nope"; enable one/);
});

test('openbao: configuration is checked, and the token is never shown', () => {
  const p: { path: string; message: string }[] = [];
  secretsBackends.openbao.parse({ url: 'ftp://x', mount: '../x' }, p);
  assert.deepEqual(p.map((x) => x.path).sort(), ['mount', 'token', 'url']);
  const c = secretsBackends.openbao.parse({ url: 'https://bao.example.org:8200', token: 's.secret-token' }, []);
  assert.deepEqual(secretsBackends.openbao.view(c), { kind: 'openbao', url: 'https://bao.example.org:8200', mount: 'secret', prefix: 'freehold', namespace: null, customCa: false });
  const q: { path: string; message: string }[] = [];
  secretsBackends.openbao.parse({ url: 'https://user:pw@bao.example.org', token: 't' }, q);
  assert.equal(q[0]?.path, 'url');
});

test('openbao: a mount that requires check-and-set is not mistaken for a conflict', async () => {
  await fetch(`${sim.url}/v1/kv/config`, { method: 'POST', headers: { 'x-vault-token': sim.rootToken }, body: JSON.stringify({ cas_required: true }) });
  try {
    const b = backend({ mount: 'kv', prefix: 'casreq' });
    await assert.rejects(b.put('x', { v: '1' }), (e: unknown) => (e as SecretsError).code === 'backend_error' && /HTTP 400: check-and-set parameter required/.test((e as Error).message));
    assert.equal((await b.put('x', { v: '1' }, { cas: 0 })).version, 1);
  } finally {
    await fetch(`${sim.url}/v1/kv/config`, { method: 'POST', headers: { 'x-vault-token': sim.rootToken }, body: JSON.stringify({ cas_required: false }) });
  }
});
