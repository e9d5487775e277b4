#!/usr/bin/env node
// Runs the test files (x.test.ts) under the given folders (default: src and test) with node's
// test runner through tsx. Exit status is non-zero when any test fails.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = [];
const walk = (d) => {
  for (const name of readdirSync(d)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.test\.tsx?$/.test(name)) files.push(p);
  }
};
for (const r of roots.length ? roots : ['src', 'test']) {
  if (statSync(r, { throwIfNoEntry: false })) statSync(r).isDirectory() ? walk(r) : files.push(r);
}
if (!files.length) {
  console.error('no test files found');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...flags, ...files.sort()],
  { stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } },
);
process.exit(r.status ?? 1);
