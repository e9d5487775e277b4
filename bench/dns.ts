/**
 * 1,000 record changes to a real Knot server through RFC 2136, batched (issue 5's target: at most
 * 5 s). knotd runs on a free loopback port in a temporary directory (test/helpers/dns-servers.ts);
 * the rfc2136 driver sends each batch through knsupdate (UPDATE messages of up to 48 KB, signed
 * with TSIG) and reads the zone back with an AXFR to confirm every change took, which is part of
 * the time measured. Three batches of 1,000: create 1,000 A record sets, update all of them
 * (new address and TTL), delete all of them; each is checked against the target, and the zone is
 * checked to hold what was asked after each. For comparison, the time of one change per call.
 */
import { createDnsProvider, dnsProviderKind, type RecordChange } from '../src/drivers/dns/index.js';
import { startKnot } from '../test/helpers/dns-servers.js';
import { atMost, info, median, ms, now, type Bench, type Row } from './lib.js';

const N = 1000;
const TARGET_MS = 5000;
const SINGLES = 20;
const secs = (msec: number) => `${(msec / 1000).toFixed(2)} s`;

export const dnsBench: Bench = async (log) => {
  const knot = await startKnot({ zones: ['bench.test'] });
  try {
    const p: { path: string; message: string }[] = [];
    const dns = createDnsProvider('rfc2136', dnsProviderKind('rfc2136')!.parse(knot.settings(), p));
    if (p.length) throw new Error(JSON.stringify(p));
    const zone = 'bench.test';
    const addr = (i: number, base: number) => `10.${base}.${i >> 8}.${i & 255}`;
    const batches: [string, RecordChange[]][] = [
      ['create', Array.from({ length: N }, (_, i) => ({ action: 'create', record: { name: `host-${i}`, type: 'A', ttl: 300, values: [addr(i, 1)] } }))],
      ['update', Array.from({ length: N }, (_, i) => ({ action: 'update', record: { name: `host-${i}`, type: 'A', ttl: 600, values: [addr(i, 2)] } }))],
      ['delete', Array.from({ length: N }, (_, i) => ({ action: 'delete', record: { name: `host-${i}`, type: 'A', ttl: 0, values: [] } }))],
    ];
    const rows: Row[] = [];
    for (const [what, batch] of batches) {
      const t0 = now();
      await dns.applyChanges(zone, batch);
      const msec = now() - t0;
      const hosts = (await dns.listRecords(zone)).filter((r) => r.name.startsWith('host-'));
      const expected = what === 'delete' ? 0 : N;
      if (hosts.length !== expected) throw new Error(`after the ${what} batch the zone holds ${hosts.length} host record sets, not ${expected}`);
      if (what === 'update' && hosts.some((r) => r.ttl !== 600 || !r.values[0].startsWith('10.2.'))) throw new Error('the update batch did not take everywhere');
      log(`${what}: ${N} changes in ${secs(msec)}`);
      rows.push(atMost(`1,000 record changes to Knot through RFC 2136, batched (${what})`, msec, TARGET_MS, ms, `${Math.round((N / msec) * 1000)} changes/s`));
    }
    const singles: number[] = [];
    for (let i = 0; i < SINGLES; i++) {
      const t0 = now();
      await dns.applyChanges(zone, [{ action: 'create', record: { name: `single-${i}`, type: 'A', ttl: 300, values: [addr(i, 3)] } }]);
      singles.push(now() - t0);
    }
    rows.push(info('one change per call (for comparison), median', `${Math.round(median(singles))} ms per change (1,000 would take ~${secs(median(singles) * N)})`));
    return rows;
  } finally {
    await knot.stop();
  }
};
