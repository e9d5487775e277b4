// The HTTP state backend's wire protocol through Freehold's real API (in this process, Fastify's
// inject): the methods terraform uses (GET, POST ?ID=, DELETE, LOCK, UNLOCK) and their status
// codes, Content-MD5, basic auth with the admin token on these routes only, the lock_address
// alternative (POST/DELETE .../lock), and that no other route changed behaviour.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openFreehold, type Freehold } from '../src/services/freehold.js';
import { buildApi } from '../src/api/server.js';

let fh: Freehold;
let app: FastifyInstance;
let token: string;
const dir = mkdtempSync(join(tmpdir(), 'fh-tofu-api-'));

before(async () => {
  fh = await openFreehold({ dataDir: dir, catalogDirs: [] });
  token = (await fh.settings.ensureAdminToken())!;
  app = await buildApi(fh);
});
after(async () => {
  await app?.close();
  await fh?.close();
  rmSync(dir, { recursive: true, force: true });
});

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const md5 = (b: string) => createHash('md5').update(b).digest('base64');
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'LOCK' | 'UNLOCK';
/** A request as terraform's http backend client makes it: basic auth, JSON body with Content-MD5 */
const tf = (method: Method, url: string, body?: string, auth = basic('freehold', token)) =>
  app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: auth, ...(body !== undefined && { 'content-type': 'application/json', 'content-md5': md5(body) }) },
    ...(body !== undefined && { payload: body }),
  });
const lock = (ID: string, Who = 'alice@laptop') => JSON.stringify({ ID, Operation: 'OperationTypeApply', Info: '', Who, Version: '1.11.4', Created: '2026-01-01T00:00:00Z', Path: '' });
const state = (serial: number) => JSON.stringify({ version: 4, terraform_version: '1.11.4', serial, lineage: 'l-1', outputs: {}, resources: [] }, null, 2);

test('tofu api: auth is basic (admin token as password) or Bearer, on the state routes only', async () => {
  const none = await app.inject({ method: 'GET', url: '/api/tofu/states' });
  assert.equal(none.statusCode, 401);
  assert.match(String(none.headers['www-authenticate']), /^Basic realm=/);
  assert.equal((await tf('GET', '/api/tofu/states', undefined, basic('freehold', 'wrong'))).statusCode, 403);
  assert.equal((await tf('GET', '/api/tofu/states', undefined, 'Bearer wrong')).statusCode, 403);
  assert.equal((await tf('GET', '/api/tofu/states', undefined, basic('anyone', token))).statusCode, 200);
  assert.equal((await tf('GET', '/api/tofu/states', undefined, `Bearer ${token}`)).statusCode, 200);
  // Other routes: still Bearer only, JSON bodies still parsed
  assert.equal((await tf('GET', '/api/installations', undefined, basic('freehold', token))).statusCode, 401);
  assert.equal((await tf('GET', '/api/installations', undefined, `Bearer ${token}`)).statusCode, 200);
  const target = await app.inject({ method: 'POST', url: '/api/backup-targets', headers: { authorization: `Bearer ${token}` }, payload: { name: 'x', kind: 'bogus' } });
  assert.equal(target.statusCode, 400);
  assert.match(target.json().error, /bogus|kind/, target.body);
  // The OpenAPI description still builds (LOCK/UNLOCK are not OpenAPI methods: left out of it)
  const openapi = await app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(openapi.statusCode, 200);
  const paths = openapi.json().paths;
  assert.ok(paths['/api/tofu/states'] && paths['/api/tofu/state/{name}'].post, Object.keys(paths).join(' '));
  assert.ok(!JSON.stringify(paths).includes('"lock":'), 'a LOCK operation in the OpenAPI description');
});

test('tofu api: the HTTP backend protocol, status by status', async () => {
  const url = '/api/tofu/state/proto';
  assert.equal((await tf('GET', url)).statusCode, 404, 'unknown state');
  // LOCK a new name: 200; GET then says "no state yet" (204)
  const taken = await tf('LOCK', url, lock('A'));
  assert.equal(taken.statusCode, 200);
  assert.equal((await tf('GET', url)).statusCode, 204);
  // LOCK by another: 423 with the holder's lock info as the body
  const held = await tf('LOCK', url, lock('B', 'bob@ci'));
  assert.equal(held.statusCode, 423);
  assert.deepEqual(JSON.parse(held.body), JSON.parse(lock('A')));
  // Updates: without the ID 423, another ID 409, the holder's 200
  assert.equal((await tf('POST', url, state(1))).statusCode, 423);
  const wrong = await tf('POST', `${url}?ID=B`, state(1));
  assert.equal(wrong.statusCode, 409);
  assert.equal(JSON.parse(wrong.body).ID, 'A');
  assert.equal((await tf('POST', `${url}?ID=A`, state(1))).statusCode, 200);
  // GET: the bytes as sent, with their MD5
  const got = await tf('GET', url);
  assert.equal(got.statusCode, 200);
  assert.equal(got.body, state(1));
  assert.equal(got.headers['content-md5'], md5(state(1)));
  // A damaged body (Content-MD5 mismatch) is refused
  const damaged = await app.inject({ method: 'POST', url: `${url}?ID=A`, headers: { authorization: basic('f', token), 'content-type': 'application/json', 'content-md5': md5('other') }, payload: state(2) });
  assert.equal(damaged.statusCode, 400);
  assert.match(damaged.json().error, /Content-MD5/);
  // UNLOCK: another ID 409 + holder; the holder's 200
  const badUnlock = await tf('UNLOCK', url, lock('B'));
  assert.equal(badUnlock.statusCode, 409);
  assert.equal(JSON.parse(badUnlock.body).ID, 'A');
  assert.equal((await tf('UNLOCK', url, lock('A'))).statusCode, 200);
  assert.equal((await tf('UNLOCK', url, lock('A'))).statusCode, 200, 'again: nothing to unlock is fine');
  // Unlocked: PUT (update_method = "PUT") without ID
  assert.equal((await tf('PUT', url, state(2))).statusCode, 200);
  // terraform force-unlock: UNLOCK with an empty body releases any lock
  assert.equal((await tf('LOCK', url, lock('C', 'crashed@ci'))).statusCode, 200);
  assert.equal((await app.inject({ method: 'UNLOCK' as 'GET', url, headers: { authorization: basic('f', token), 'content-type': 'application/json', 'content-md5': md5('') }, payload: '' })).statusCode, 200);
  // The lock_address alternative: POST/DELETE .../lock
  assert.equal((await tf('POST', `${url}/lock`, lock('D'))).statusCode, 200);
  assert.equal((await tf('POST', `${url}/lock`, lock('E'))).statusCode, 423);
  assert.equal((await tf('DELETE', `${url}/lock`, lock('E'))).statusCode, 409);
  assert.equal((await tf('DELETE', `${url}/lock?force=true`)).statusCode, 200);
  // Listing and versions (never the contents)
  const list = (await tf('GET', '/api/tofu/states')).json();
  assert.equal(list.backend, 'builtin');
  const proto = list.states.find((s: any) => s.name === 'proto');
  assert.deepEqual({ version: proto.version, serial: proto.serial, lineage: proto.lineage, lock: proto.lock }, { version: 2, serial: 2, lineage: 'l-1', lock: null });
  assert.ok(!JSON.stringify(list).includes('terraform_version'));
  const shown = (await tf('GET', '/api/tofu/states/proto')).json();
  assert.deepEqual(shown.state.versions.map((v: any) => v.version), [2, 1]);
  const v1 = await tf('GET', '/api/tofu/states/proto/versions/1');
  assert.equal(v1.body, state(1));
  // DELETE: 200, then gone
  assert.equal((await tf('DELETE', url)).statusCode, 200);
  assert.equal((await tf('GET', url)).statusCode, 404);
  // Bad names and bodies: 400 with a message
  assert.equal((await tf('POST', '/api/tofu/state/bad..name%2F', state(1))).statusCode, 400);
  const notJson = await tf('POST', '/api/tofu/state/x', '{"serial":');
  assert.equal(notJson.statusCode, 400);
  assert.match(notJson.json().error, /not JSON/);
});
