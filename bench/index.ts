/**
 * `npm run bench [-- engine|install|memory|backup|update|api|ui ...]`: runs the benchmarks and prints each figure
 * beside its target, PASS or FAIL. It reports; it is not a test: the exit status is 0 whatever
 * the figures (and 2 only for a usage error).
 */
import { cpus, totalmem } from 'node:os';
import { apiBench } from './api.js';
import { uiBench } from './ui.js';
import { backupBench } from './backup.js';
import { engineBench } from './engine.js';
import { installBench } from './install.js';
import { memoryBench } from './memory.js';
import { updateBench } from './update.js';
import { ipamBench } from './ipam.js';
import { dnsBench } from './dns.js';
import { acmeBench } from './acme.js';
import { failed, type Bench, type Row } from './lib.js';

const BENCHES: Record<string, { bench: Bench; targets: string[] }> = {
  engine: { bench: engineBench, targets: ['plan, 1,000 installations <= 1 s', 'no-op reconcile, 1,000 installations <= 2 s'] },
  install: { bench: installBench, targets: ['Radicale install to first 200 <= 1.5x podman run'] },
  memory: { bench: memoryBench, targets: ['control plane RSS, idle, 10 installations <= 100 MiB'] },
  backup: { bench: backupBench, targets: ['backup, 1 GiB volume <= 1.3x bare restic backup', 'second backup, nothing changed <= 3 s', 'restore throughput >= 0.8x bare restic restore'] },
  api: { bench: apiBench, targets: ['GET /api/installations, 200 installations, 200 req/s: p99 <= 20 ms'] },
  ui: { bench: uiBench, targets: ['web UI: initial JavaScript <= 300 KB gzipped', 'web UI: dashboard with 200 installations <= 500 ms'] },
  update: { bench: updateBench, targets: ['Radicale update: seconds during which requests fail <= 2 s'] },
  ipam: { bench: ipamBench, targets: ['10,000 concurrent IP allocations from a /16 pool: no duplicates, time reported'] },
  dns: { bench: dnsBench, targets: ['1,000 record changes to Knot through RFC 2136, batched <= 5 s'] },
  acme: { bench: acmeBench, targets: ['Certificate issuance against pebble (HTTP-01, DNS-01): time reported'] },
};

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = asked.filter((a) => !(a in BENCHES));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
const names = asked.length ? asked : Object.keys(BENCHES);
const log = (line: string) => console.error(`[bench] ${line}`);

log(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`);
const results: { name: string; rows: Row[] }[] = [];
for (const name of names) {
  const t0 = Date.now();
  log(`${name}: starting`);
  let rows: Row[];
  try {
    rows = await BENCHES[name].bench(log);
  } catch (err) {
    rows = BENCHES[name].targets.map((t) => failed(t, '', err));
  }
  log(`${name}: done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  results.push({ name, rows });
}

const table: string[][] = [['benchmark', 'figure', 'target', 'result', '']];
for (const { name, rows } of results) {
  for (const r of rows) table.push([name, r.figure, r.target, r.result, r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL']);
}
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
console.log();
console.log(line(table[0]));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table.slice(1)) console.log(line(row));
const errors = results.flatMap(({ name, rows }) => rows.filter((r) => r.error).map((r) => `${name}: ${r.figure}: ${r.error}`));
if (errors.length) console.log(`\nNot measured:\n${errors.join('\n')}`);
const checked = results.flatMap((r) => r.rows).filter((r) => r.pass !== undefined);
console.log(`\n${checked.filter((r) => r.pass).length}/${checked.length} targets met`);
process.exit(0);
