#!/usr/bin/env node
// Builds the web UI (web/, React + Vite) into web/dist when it is there; its dependencies are
// installed by scripts/setup.sh (npm ci in web/).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

if (!existsSync('web/package.json')) process.exit(0);
if (!existsSync('web/node_modules')) {
  console.error('web/node_modules is missing: run "npm ci" in web/ (scripts/setup.sh does)');
  process.exit(1);
}
const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: 'web', stdio: 'inherit' });
process.exit(r.status ?? 1);
