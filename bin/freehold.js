#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
// --max-semi-space-size=1 --optimize-for-size: a smaller young generation and heap keep the idle
// control plane small (see docs/benchmarks.md). scripts/up.sh passes them too.
// Runs the built CLI (npm run build); during development: npx tsx src/cli/main.ts
import { existsSync } from 'node:fs';
const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('Freehold is not built yet: run "npm run build" (or scripts/setup.sh).');
  process.exit(1);
}
await import(entry.href);
