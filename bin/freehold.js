#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 --optimize-for-size
// --max-semi-space-size=1 --optimize-for-size: a smaller young generation and heap; MALLOC_ARENA_MAX=2:
// glibc keeps two malloc arenas instead of one per thread. Both keep the idle control plane small
// (see docs/benchmarks.md). scripts/up.sh sets them too.
// Runs the built CLI (npm run build); during development: npx tsx src/cli/main.ts
import { existsSync } from 'node:fs';
const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('Freehold is not built yet: run "npm run build" (or scripts/setup.sh).');
  process.exit(1);
}
await import(entry.href);
