import { test } from 'node:test';
import assert from 'node:assert/strict';
import { carryConfig } from './config.js';
import type { Manifest } from '../manifest/schema.js';

const manifest = (version: string, schema: object, upgrade?: Manifest['upgrade']) =>
  ({ id: 'x', version, packageVersion: 1, config: { schema: { type: 'object', additionalProperties: false, ...schema } }, ...(upgrade && { upgrade }) }) as unknown as Manifest;

test('an update carries values across renamed options, drops removed ones, adds new defaults', () => {
  const from = manifest('1.0.0', { properties: { username: { type: 'string' }, mail: { type: 'object', properties: { host: { type: 'string' }, port: { type: 'integer' } } }, legacy: { type: 'boolean' } } });
  const to = manifest(
    '2.0.0',
    { properties: { account: { type: 'string' }, mail: { type: 'object', properties: { server: { type: 'string' }, port: { type: 'integer' } } }, theme: { type: 'string', default: 'light' } } },
    { renames: [{ from: 'username', to: 'account', since: '2.0.0' }, { from: 'mail.host', to: 'mail.server' }, { from: 'gone', to: 'elsewhere', since: '0.9.0' }] },
  );
  const { config, changes } = carryConfig(from, to, { username: 'alice', mail: { host: 'smtp.example.org', port: 587 }, legacy: true });
  assert.deepEqual(config, { account: 'alice', mail: { server: 'smtp.example.org', port: 587 }, theme: 'light' });
  assert.deepEqual(changes, [
    { path: 'account', kind: 'renamed', from: 'username', old: 'alice', new: 'alice' },
    { path: 'mail.server', kind: 'renamed', from: 'mail.host', old: 'smtp.example.org', new: 'smtp.example.org' },
    { path: 'legacy', kind: 'removed', old: true },
    { path: 'mail.port', kind: 'kept', old: 587, new: 587 },
    { path: 'theme', kind: 'added', new: 'light' },
  ]);
});

test('a rename made at or before the version updated from is not applied again', () => {
  const from = manifest('2.0.0', { properties: { account: { type: 'string' }, username: { type: 'string' } } });
  const to = manifest('2.1.0', { properties: { account: { type: 'string' }, username: { type: 'string' } } }, { renames: [{ from: 'username', to: 'account', since: '2.0.0' }] });
  assert.deepEqual(carryConfig(from, to, { username: 'bob', account: 'alice' }).config, { username: 'bob', account: 'alice' });
});

test('what the new version refuses or requires is reported, option by option, not thrown', () => {
  const from = manifest('1.0.0', { properties: { size: { type: 'integer' }, name: { type: 'string' } } });
  const to = manifest('2.0.0', { properties: { size: { type: 'integer', maximum: 10 }, name: { type: 'string' }, email: { type: 'string' } }, required: ['email'] });
  const { changes, problems } = carryConfig(from, to, { size: 50, name: 'a' });
  assert.deepEqual(problems, [
    { path: 'config.email', message: 'is required' },
    { path: 'config.size', message: 'must be <= 10' },
  ]);
  assert.deepEqual(changes.filter((c) => c.needsValue), [
    { path: 'size', kind: 'kept', old: 50, new: 50, needsValue: true, problem: 'must be <= 10' },
    { path: 'email', kind: 'added', needsValue: true, problem: 'is required' },
  ]);
  const decided = carryConfig(from, to, { size: 50, name: 'a' }, { set: { size: 5, email: 'me@example.org' } });
  assert.deepEqual(decided.problems, []);
  assert.deepEqual(decided.config, { size: 5, name: 'a', email: 'me@example.org' });
  assert.deepEqual(decided.changes.find((c) => c.path === 'size'), { path: 'size', kind: 'changed', old: 50, new: 5 });
});

test('a rename the user confirmed is applied like a declared one', () => {
  const from = manifest('1.0.0', { properties: { greeting: { type: 'string' } } });
  const to = manifest('2.0.0', { properties: { welcome: { type: 'string' } } });
  assert.deepEqual(carryConfig(from, to, { greeting: 'bonjour' }).config, {}, 'not applied unless confirmed: the value is dropped with its option');
  assert.deepEqual(carryConfig(from, to, { greeting: 'bonjour' }, { renames: [{ from: 'greeting', to: 'welcome' }] }).config, { welcome: 'bonjour' });
});
