/**
 * IP allocations under load: 10,000 installations ask for an address of a /16 pool at once
 * (10,000 promises through the IpPools service's allocateFor, the built-in provider, the real
 * SQLite store in a temporary directory); then the same through a NetBox pool against the NetBox
 * API simulator on loopback (test/simulators/netbox.ts; each allocation is a lookup of what the
 * installation holds and a POST to available-ips, so two HTTP requests). Duplicates are checked
 * in the answers and in what the store / NetBox hold afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/store/index.js';
import { Sealer } from '../src/lib/crypto.js';
import { IpPools } from '../src/services/ip-pools.js';
import { NetboxSimulator } from '../test/simulators/netbox.js';
import { info, timed, type Bench, type Row } from './lib.js';

const COUNT = Number(process.env.BENCH_IPAM_COUNT ?? 10_000);
const NETBOX_COUNT = Number(process.env.BENCH_IPAM_NETBOX_COUNT ?? 2_000);

/** A row that passes when there is no duplicate */
const unique = (figure: string, addresses: string[], held: number, expected: number): Row => {
  const distinct = new Set(addresses).size;
  return {
    figure,
    target: `${expected} distinct, no duplicates`,
    result: `${distinct} distinct of ${addresses.length} answers; ${held} held afterwards`,
    pass: distinct === expected && addresses.length === expected && held === expected,
  };
};

export const ipamBench: Bench = async (log) => {
  const tmp = mkdtempSync(join(tmpdir(), 'freehold-bench-ipam-'));
  const db = await openStore(join(tmp, 'freehold.db'));
  const pools = new IpPools(db, new Sealer(randomBytes(32)));
  const sim = await NetboxSimulator.start();
  const rows: Row[] = [];
  try {
    await pools.add({ name: 'bench', prefixes: ['10.64.0.0/16'] });
    log(`ipam: ${COUNT} concurrent allocations from a built-in /16 pool`);
    const b = await timed(() => Promise.all(Array.from({ length: COUNT }, (_, i) => pools.allocateFor(`app${i}`, 'bench'))));
    const held = (await pools.allocations('bench')).length;
    rows.push(unique(`built-in /16 pool, ${COUNT} concurrent allocateFor`, b.value.map((a) => a.address), held, COUNT));
    rows.push(info('  time (all answered)', `${(b.ms / 1000).toFixed(2)} s, ${Math.round(COUNT / (b.ms / 1000))} allocations/s`));
    const again = await timed(() => Promise.all(Array.from({ length: COUNT }, (_, i) => pools.allocateFor(`app${i}`, 'bench'))));
    const same = again.value.every((a, i) => a.address === b.value[i].address);
    rows.push(info('  asked again (each gets the address it holds)', `${(again.ms / 1000).toFixed(2)} s, ${same ? 'all the same addresses' : 'DIFFERENT ADDRESSES'}`));
    const rel = await timed(async () => {
      for (let i = 0; i < COUNT; i += 1000) await Promise.all(Array.from({ length: Math.min(1000, COUNT - i) }, (_, j) => pools.releaseFor(`app${i + j}`)));
    });
    rows.push(info(`  releaseFor of the ${COUNT} installations`, `${(rel.ms / 1000).toFixed(2)} s; ${(await pools.allocations('bench')).length} left`));

    const token = sim.addToken();
    await pools.add({ name: 'nb', provider: 'netbox', url: sim.url, token, prefixIds: [sim.addPrefix('10.65.0.0/16')] });
    log(`ipam: ${NETBOX_COUNT} concurrent allocations from a NetBox /16 prefix (simulator)`);
    const n = await timed(() => Promise.all(Array.from({ length: NETBOX_COUNT }, (_, i) => pools.allocateFor(`app${i}`, 'nb'))));
    const inNetbox = sim.ipsIn('10.65.0.0/16').length;
    rows.push(unique(`NetBox /16 prefix (simulator), ${NETBOX_COUNT} concurrent allocateFor`, n.value.map((a) => a.address), inNetbox, NETBOX_COUNT));
    rows.push(info('  time (all answered)', `${(n.ms / 1000).toFixed(2)} s, ${Math.round(NETBOX_COUNT / (n.ms / 1000))} allocations/s (2 HTTP requests each, at most 8 in flight)`));
    return rows;
  } finally {
    await sim.stop();
    await db.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
};
