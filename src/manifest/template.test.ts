import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate, templateReferences } from './template.js';

const scope = {
  installation: { name: 'feeds', domain: 'feeds.example.org', url: 'https://feeds.example.org', host: 'local' },
  addons: { postgres: { url: 'postgres://u:p@db:5432/feeds', port: 5432 } },
  secrets: { admin_password: 's3cr3t' },
  config: { polling: { frequency: 60, enabled: true }, admins: ['ann', 'bob'], empty: '' },
};

test('templateReferences lists every reference, with or without spaces', () => {
  assert.deepEqual(templateReferences('{{ installation.url }}/x?{{config.polling.frequency}}'), [
    { text: 'installation.url', parts: ['installation', 'url'] },
    { text: 'config.polling.frequency', parts: ['config', 'polling', 'frequency'] },
  ]);
  assert.deepEqual(templateReferences('{{\taddons.my-addon.url  }}'), [{ text: 'addons.my-addon.url', parts: ['addons', 'my-addon', 'url'] }]);
  assert.deepEqual(templateReferences('no references, {single} braces, JSON {"a": {"b": 1}}'), []);
});

test('templateReferences reports malformed references', () => {
  const errors = (t: string) => templateReferences(t).map((r) => ('error' in r ? r.error : `ok ${r.text}`));
  assert.match(errors('{{ config.a | upper }}')[0], /is not a reference like \{\{ config\.option \}\}/);
  assert.match(errors('{{ config.a + 1 }}')[0], /no spaces, operators or filters/);
  assert.match(errors('{{ }}')[0], /is empty/);
  assert.match(errors('{{ .config }}')[0], /is not a reference/);
  assert.match(errors('{{ config..a }}')[0], /is not a reference/);
  assert.deepEqual(errors('x {{ config.a }} and {{ config.b'), ['ok config.a', '"{{ config.b" opens a reference with "{{" that is not closed by "}}"']);
  assert.equal(errors('{{ {{ config.a }} }}').length, 2, 'a nested "{{" is reported besides the inner reference');
});

test('renderTemplate substitutes values', () => {
  assert.equal(renderTemplate('{{ installation.url }}/login', scope), 'https://feeds.example.org/login');
  assert.equal(renderTemplate('{{addons.postgres.url}}', scope), 'postgres://u:p@db:5432/feeds');
  assert.equal(renderTemplate('every {{ config.polling.frequency }} minutes', scope), 'every 60 minutes');
  assert.equal(renderTemplate('{{ addons.postgres.port }}', scope), '5432');
  assert.equal(renderTemplate('{{ config.polling.enabled }}', scope), 'true');
  assert.equal(renderTemplate('[{{ config.empty }}]', scope), '[]');
  assert.equal(renderTemplate('{{ config.admins }}', scope), '["ann","bob"]');
  assert.equal(renderTemplate('{{ config.polling }}', scope), '{"frequency":60,"enabled":true}');
  assert.equal(renderTemplate('{{ secrets.admin_password }}{{ secrets.admin_password }}', scope), 's3cr3ts3cr3t');
  assert.equal(renderTemplate('plain text, {"json": {"x": 1}}', scope), 'plain text, {"json": {"x": 1}}');
});

test('renderTemplate does not re-expand substituted values', () => {
  assert.equal(renderTemplate('{{ secrets.x }}', { secrets: { x: '{{ secrets.y }}' } }), '{{ secrets.y }}');
});

test('renderTemplate names a reference that has no value', () => {
  assert.throws(() => renderTemplate('{{ secrets.missing }}', scope, 'components.web.env.X'), {
    message: 'components.web.env.X: {{ secrets.missing }} has no value',
  });
  assert.throws(() => renderTemplate('{{ installation.url.deeper }}', scope), /\{\{ installation\.url\.deeper \}\} has no value/);
  assert.throws(() => renderTemplate('{{ nothing.here }}', {}), /has no value/);
  assert.throws(() => renderTemplate('{{ x }}', { x: null }), /has no value/);
});

test('renderTemplate does not reach inherited properties', () => {
  assert.throws(() => renderTemplate('{{ config.constructor }}', scope), /has no value/);
  assert.throws(() => renderTemplate('{{ config.polling.toString }}', scope), /has no value/);
});

test('a key pair secret is rendered part by part, never whole', () => {
  const keyed = { secrets: { token: 'abc', deploy: { private: '-----BEGIN PRIVATE KEY-----\nMC4\n-----END PRIVATE KEY-----\n', public: 'PUB', openssh: 'ssh-ed25519 AAAA x' } } };
  assert.equal(renderTemplate('{{ secrets.deploy.openssh }}', keyed), 'ssh-ed25519 AAAA x');
  assert.equal(renderTemplate('key={{ secrets.deploy.private }}', keyed), 'key=-----BEGIN PRIVATE KEY-----\nMC4\n-----END PRIVATE KEY-----\n');
  assert.equal(renderTemplate('{{ secrets.token }}', keyed), 'abc');
  assert.throws(() => renderTemplate('{{ secrets.deploy }}', keyed, 'components.web.env.KEY'), {
    message: 'components.web.env.KEY: {{ secrets.deploy }} is a key pair: name one of its parts ({{ secrets.deploy.private }}, {{ secrets.deploy.public }}, {{ secrets.deploy.openssh }})',
  });
  assert.throws(() => renderTemplate('{{ secrets.deploy.pub }}', keyed), /\{\{ secrets\.deploy\.pub \}\} has no value/);
  assert.throws(() => renderTemplate('{{ secrets.token.private }}', keyed), /has no value/);
});
