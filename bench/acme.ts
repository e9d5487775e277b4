/**
 * Certificate issuance against a real pebble (Let's Encrypt's ACME test server; validation
 * without pebble's artificial sleeps): the time from `Certificates.issue` to the certificate kept
 * and loaded into Freehold's Caddy, with HTTP-01 (answered by that Caddy) and with DNS-01 (TXT
 * records through the RFC 2136 driver to a real Knot, waited for at Knot before the CA is told),
 * each a fresh name (pebble reuses no authorization here). Reported, no target: a real CA adds
 * its own validation delays (seconds with Let's Encrypt) and DNS propagation.
 */
import { startAcmeWorld } from '../test/helpers/pebble.js';
import { info, list, median, ms, timed, type Bench, type Row } from './lib.js';

const RUNS = Number(process.env.BENCH_ACME_RUNS ?? 5);

export const acmeBench: Bench = async (log) => {
  const lines: string[] = [];
  const setup = await timed(() => startAcmeWorld({ log: (l) => lines.push(l) }));
  const w = setup.value;
  const rows: Row[] = [info('setup: Caddy, Knot, pebble, ACME account', ms(setup.ms))];
  try {
    const run = async (label: string, names: (i: number) => string[], challenge: 'http-01' | 'dns-01') => {
      const total: number[] = [];
      const issuer: number[] = [];
      const validated: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        lines.length = 0;
        const t = await timed(() => w.certificates.issue(names(i), { challenge }));
        total.push(t.ms);
        const v = lines.map((l) => /validated in (\d+) ms/.exec(l)?.[1]).find(Boolean);
        const s = lines.map((l) => /issued in (\d+) ms/.exec(l)?.[1]).find(Boolean);
        if (v) validated.push(Number(v));
        if (s) issuer.push(Number(s));
      }
      log(`acme: ${label}: ${list(total)} ms`);
      rows.push(info(`${label}: issue to served, median of ${RUNS}`, `${ms(median(total))} (runs: ${list(total)} ms)`));
      if (validated.length) rows.push(info(`  of which challenges validated`, ms(median(validated))));
      if (issuer.length) rows.push(info(`  of which ACME order to certificate`, `${ms(median(issuer))} (the rest: keeping it, loading it into Caddy)`));
    };
    await w.route('fh-bench', Array.from({ length: RUNS }, (_, i) => `http${i}.example.test`));
    await run('HTTP-01, one name', (i) => [`http${i}.example.test`], 'http-01');
    await run('DNS-01, one name', (i) => [`dns${i}.example.test`], 'dns-01');
    await run('DNS-01, a name and its wildcard', (i) => [`w${i}.example.test`, `*.w${i}.example.test`], 'dns-01');
    return rows;
  } finally {
    await w.stop();
  }
};
