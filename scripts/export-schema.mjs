#!/usr/bin/env node
// Writes schema/manifest-v1.json, the JSON Schema of the app manifest, from the TypeBox definition
// in src/manifest/schema.ts. Run by `npm run build` after tsc (it reads the compiled module);
// src/manifest/schema-export.test.ts fails when the committed file is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { Manifest } from '../dist/src/manifest/schema.js';

const out = fileURLToPath(new URL('../schema/manifest-v1.json', import.meta.url));
mkdirSync(dirname(out), { recursive: true });
// JSON.stringify leaves out TypeBox's symbol-keyed bookkeeping, keeping plain JSON Schema; the
// identifying keywords go first for whoever opens the file.
const { $schema, $id, title, ...rest } = Manifest;
writeFileSync(out, JSON.stringify({ $schema, $id, title, ...rest }, null, 2) + '\n');
console.log(`wrote ${out}`);
