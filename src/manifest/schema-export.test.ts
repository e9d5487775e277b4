import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { Manifest } from './schema.js';

const file = new URL('../../schema/manifest-v1.json', import.meta.url);

test('schema/manifest-v1.json is the current TypeBox schema (regenerate: npm run build)', () => {
  const exported = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(exported, JSON.parse(JSON.stringify(Manifest)));
});

test('schema/manifest-v1.json is a usable draft-07 JSON Schema', () => {
  const exported = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(exported.$schema, 'http://json-schema.org/draft-07/schema#');
  const validate = new Ajv({ strict: false }).compile(exported);
  const minimal = {
    manifestVersion: 1,
    id: 'demo',
    title: 'Demo',
    description: 'A demo',
    license: 'MIT',
    version: '1.0.0',
    packageVersion: 1,
    components: { web: { image: 'docker.io/library/nginx:1.27', http: { port: 80 } } },
  };
  assert.equal(validate(minimal), true, JSON.stringify(validate.errors));
  assert.equal(validate({ ...minimal, components: { Web: minimal.components.web } }), false, 'bad component names are rejected');
});
