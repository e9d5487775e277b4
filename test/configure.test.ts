// Changing an installation's configuration: checked against its schema (a 400 naming the option),
// applied as a task that replaces the container with the new files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { VERSIONED_CATALOG, hasEvent, installVersioned, installation, writeEvent } from './helpers/versioned.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start({ catalogDirs: [VERSIONED_CATALOG] })));
after(async () => fh?.stop());

test('configure: a new user name reaches the app (the old one no longer signs in); a bad value is refused naming the option', { timeout: 600_000 }, async () => {
  const v = await installVersioned(fh, uniqueName('cf'));
  await writeEvent(v, 1);
  await assert.rejects(fh.request('PUT', `/api/installations/${v.name}/config`, { config: { nickname: 'x' } }), (err: any) => {
    assert.equal(err.status, 400);
    assert.match(err.message, /config\.nickname is not an option of versioned/);
    return true;
  });
  await assert.rejects(fh.request('PUT', `/api/installations/${v.name}/config`, { config: { username: 42 } }), /config\.username must be string/);

  const r = await fh.request('PUT', `/api/installations/${v.name}/config`, { set: ['username=bob'] });
  const done = await fh.waitTask(r.task.id);
  assert.equal(done.status, 'succeeded', done.error ?? '');
  assert.deepEqual((await installation(v)).config, { username: 'bob' });
  const asBob = await fh.https(v.domain, '/bob/', { method: 'PROPFIND', headers: { authorization: `Basic ${Buffer.from(`bob:${v.password}`).toString('base64')}`, depth: '0' } });
  assert.equal(asBob.status, 207, 'the new user name signs in');
  await assert.rejects(hasEvent(v, 1), /HTTP 401/, 'the old one no longer does');
  assert.equal((await fh.uninstall(v.name)).status, 'succeeded');
});
