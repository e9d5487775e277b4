import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffSchemas, suggestRenames, similarity, words, optionsOf } from './schema-diff.js';

const schema = (properties: Record<string, object>, required: string[] = []) => ({ type: 'object', properties, required });

test('the schema diff names options added, removed, renamed, with a new type or default', () => {
  const before = schema({ title: { type: 'string', default: 'My site' }, port: { type: 'integer' }, legacy: { type: 'boolean' }, mail: { type: 'object', properties: { host: { type: 'string' } } } });
  const after = schema({ siteTitle: { type: 'string', default: 'My site' }, port: { type: 'string' }, mail: { type: 'object', properties: { host: { type: 'string', default: 'localhost' } } }, adminEmail: { type: 'string' } }, ['adminEmail']);
  assert.deepEqual(diffSchemas(before, after, [{ from: 'title', to: 'siteTitle' }]), [
    { path: 'siteTitle', kind: 'renamed', from: 'title' },
    { path: 'port', kind: 'type-changed', oldType: 'integer', newType: 'string' },
    { path: 'mail.host', kind: 'default-changed', oldDefault: undefined, newDefault: 'localhost' },
    { path: 'adminEmail', kind: 'added', newType: 'string', required: true },
    { path: 'legacy', kind: 'removed', oldType: 'boolean' },
  ]);
  assert.deepEqual([...optionsOf(after).keys()], ['siteTitle', 'port', 'mail.host', 'adminEmail']);
});

test('a rename the manifest does not declare is suggested from names, descriptions and types', () => {
  const before = schema({ greeting: { type: 'string', description: 'The greeting shown on the front page' }, maxUploadSize: { type: 'integer', description: 'Largest upload in MB' } });
  const after = schema({ welcomeGreeting: { type: 'string', description: 'Greeting shown on the front page' }, uploadSizeLimit: { type: 'integer', description: 'Largest upload, in MB' }, theme: { type: 'string', description: 'Colour theme' } });
  const s = suggestRenames(before, after);
  assert.deepEqual(s.map((x) => `${x.from}->${x.to}`), ['greeting->welcomeGreeting', 'maxUploadSize->uploadSizeLimit']);
  assert.ok(s.every((x) => x.score >= 0.5 && !x.competing));
  assert.match(s[0].reason, /names \d+% alike, descriptions \d+% alike, same type \(string\)/);
  assert.deepEqual(suggestRenames(before, after, [{ from: 'greeting', to: 'welcomeGreeting' }]).map((x) => x.from), ['maxUploadSize'], 'a declared rename is not suggested again');
});

test('no candidate good enough: nothing is suggested (and so nothing applied)', () => {
  const before = schema({ smtpHost: { type: 'string', description: 'Mail server' } });
  const after = schema({ registrationOpen: { type: 'boolean', description: 'Whether anyone may sign up' } });
  assert.deepEqual(suggestRenames(before, after), []);
  const { score } = similarity({ path: 'smtpHost', type: 'string', description: 'Mail server', required: false }, { path: 'registrationOpen', type: 'boolean', description: 'Whether anyone may sign up', required: false });
  assert.ok(score < 0.5, `score ${score}`);
});

test('two candidates that compete for one option are both offered, marked competing', () => {
  const before = schema({ mailHost: { type: 'string' } });
  const after = schema({ mailHostname: { type: 'string' }, mailHostName: { type: 'string' }, theme: { type: 'string' } });
  const s = suggestRenames(before, after);
  assert.deepEqual(s.map((x) => x.to).sort(), ['mailHostName', 'mailHostname']);
  assert.ok(s.every((x) => x.competing), 'the user must choose');
});

test('words of option names', () => {
  assert.deepEqual(words('maxUploadSize'), ['max', 'upload', 'size']);
  assert.deepEqual(words('smtp_host-name.v2'), ['smtp', 'host', 'name', 'v2']);
});
