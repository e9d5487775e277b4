/**
 * The contract every secrets backend passes (run by builtin.test.ts and openbao.test.ts):
 * put/get, versions, check-and-set conflicts, delete of every version, not found, listing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CasConflictError, SecretNotFoundError, type SecretsBackend } from './index.js';

export function secretsContract(name: string, open: () => Promise<{ backend: SecretsBackend; close(): Promise<void> }>) {
  const fresh = () => `contract/${randomBytes(4).toString('hex')}`;
  const withBackend = (fn: (b: SecretsBackend, base: string) => Promise<void>) => async () => {
    const { backend, close } = await open();
    try {
      await fn(backend, fresh());
    } finally {
      await close();
    }
  };

  test(`${name}: put then get the newest version`, withBackend(async (b, base) => {
      const r = await b.put(`${base}/db`, { password: 'p1', user: 'cal' });
      assert.equal(r.version, 1);
      const got = await b.get(`${base}/db`);
      assert.deepEqual(got.data, { password: 'p1', user: 'cal' });
      assert.equal(got.version, 1);
      assert.ok(!Number.isNaN(Date.parse(got.createdAt)));
    }));

  test(`${name}: each put is a new version; old versions stay readable`, withBackend(async (b, base) => {
      const p = `${base}/v`;
      for (const v of ['a', 'b', 'c']) await b.put(p, { value: v });
      assert.deepEqual((await b.get(p)).data, { value: 'c' });
      assert.deepEqual((await b.get(p, { version: 1 })).data, { value: 'a' });
      assert.equal((await b.get(p, { version: 2 })).version, 2);
      const { current, versions } = await b.versions(p);
      assert.equal(current, 3);
      assert.deepEqual(versions.map((v) => v.version), [1, 2, 3]);
      assert.ok(versions.every((v) => !v.deleted));
      await assert.rejects(b.get(p, { version: 9 }), SecretNotFoundError);
    }));

  test(`${name}: check-and-set`, withBackend(async (b, base) => {
      const p = `${base}/cas`;
      assert.equal((await b.put(p, { value: 'one' }, { cas: 0 })).version, 1);
      await assert.rejects(b.put(p, { value: 'again' }, { cas: 0 }), CasConflictError);
      await assert.rejects(b.put(p, { value: 'stale' }, { cas: 2 }), (e: unknown) => e instanceof CasConflictError && e.code === 'cas_conflict');
      assert.equal((await b.put(p, { value: 'two' }, { cas: 1 })).version, 2);
      await assert.rejects(b.put(p, { value: 'lost race' }, { cas: 1 }), CasConflictError);
      assert.deepEqual((await b.get(p)).data, { value: 'two' });
    }));

  test(`${name}: delete removes every version; a second delete is a no-op`, withBackend(async (b, base) => {
      const p = `${base}/gone`;
      await b.put(p, { value: '1' });
      await b.put(p, { value: '2' });
      await b.delete(p);
      await assert.rejects(b.get(p), SecretNotFoundError);
      await assert.rejects(b.get(p, { version: 1 }), SecretNotFoundError);
      await assert.rejects(b.versions(p), SecretNotFoundError);
      await b.delete(p);
      // A new secret at the same path starts again at version 1
      assert.equal((await b.put(p, { value: 'new' }, { cas: 0 })).version, 1);
    }));

  test(`${name}: not found`, withBackend(async (b, base) => {
      await assert.rejects(b.get(`${base}/never`), (e: unknown) => e instanceof SecretNotFoundError && e.code === 'not_found' && /never/.test((e as Error).message));
      await assert.rejects(b.versions(`${base}/never`), SecretNotFoundError);
    }));

  test(`${name}: list a folder`, withBackend(async (b, base) => {
      await b.put(`${base}/app/a`, { v: '1' });
      await b.put(`${base}/app/b`, { v: '1' });
      await b.put(`${base}/app/sub/c`, { v: '1' });
      assert.deepEqual(await b.list(`${base}/app`), ['a', 'b', 'sub/']);
      assert.deepEqual(await b.list(`${base}/app/sub/`), ['c']);
      assert.deepEqual(await b.list(`${base}/nothing`), []);
    }));

  test(`${name}: values round-trip exactly (unicode, newlines, PEM)`, withBackend(async (b, base) => {
      const data = { pem: '-----BEGIN X-----\nAAAA\n-----END X-----\n', unicode: 'pässwörd ✓ 🔑', empty: '' };
      await b.put(`${base}/exact`, data);
      assert.deepEqual((await b.get(`${base}/exact`)).data, data);
    }));

  test(`${name}: bad paths and data are refused before anything is sent`, withBackend(async (b, base) => {
      await assert.rejects(b.put(`${base}/../x`, { v: '1' }), /invalid secret path/);
      await assert.rejects(b.put('', { v: '1' }), /invalid secret path/);
      await assert.rejects(b.put(`${base}/n`, { v: 1 as unknown as string }), /map of strings/);
    }));

  test(`${name}: check passes`, withBackend(async (b) => {
      await b.check();
    }));
}
