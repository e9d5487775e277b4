/**
 * Engine at scale: plan and no-op reconcile over 1,000 installations (11,000 resources), through
 * the real services, the real resource handlers and a real SQLite store in a temp directory; only
 * the drivers below the handlers are in-process fakes (bench/fakes.ts).
 */
import { observeAll } from '../src/engine/apply.js';
import { hostHandlers } from '../src/engine/kinds/index.js';
import { openFakeFreehold } from './fake-freehold.js';
import { atMost, info, list, median, ms, timed, type Bench, type Row } from './lib.js';

const INSTALLATIONS = Number(process.env.BENCH_INSTALLATIONS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PLAN_TARGET_MS = 1000;
const RECONCILE_TARGET_MS = 2000;

export const engineBench: Bench = async (log) => {
  log(`engine: installing ${INSTALLATIONS} installations (fake drivers)...`);
  const { fh, counter, installedMs, close } = await openFakeFreehold('engine', INSTALLATIONS);
  const rows: Row[] = [];
  try {
    const { n } = await fh.db.selectFrom('resources').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    log(`engine: ${INSTALLATIONS} installations, ${n} resources recorded in ${ms(installedMs)}`);
    rows.push(info('setup: installations / recorded resources', `${INSTALLATIONS} / ${n} (installed in ${(installedMs / 1000).toFixed(1)} s)`));

    // (a) plan every installation: load records, observe, expand, plan (Reconciler.check).
    await fh.reconciler.check(); // warm-up (JIT, SQLite page cache)
    const plans: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      counter.reset();
      const { ms: t, value: drift } = await timed(() => fh.reconciler.check());
      if (drift.size) throw new Error(`plan found changes in ${drift.size} installations where none were expected: ${JSON.stringify([...drift][0])}`);
      plans.push(t);
    }
    const callsPerPass = counter.summary();
    rows.push(atMost(`plan, ${INSTALLATIONS} installations (median of ${ROUNDS})`, median(plans), PLAN_TARGET_MS, ms, `runs: ${list(plans)}`));

    // Where the plan's time goes.
    const load = await timed(() => fh.records.loadAll());
    const ctx = await fh.hosts.context('local');
    const rowsDb = await fh.db.selectFrom('installations').select(['id', 'name']).execute();
    const entries = rowsDb.map((r) => ({ installation: r.name, recorded: load.value.get(r.id) ?? new Map() }));
    const obs = await timed(() => observeAll(ctx, hostHandlers, entries));
    rows.push(info('  of which: load + unseal all records', ms(load.ms)));
    rows.push(info('  of which: observe all (fake drivers)', ms(obs.ms)));
    rows.push(info('  driver calls in one plan pass', callsPerPass));

    // (b) a full no-op reconcile: must find nothing and start no repair task.
    const reconciles: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const before = (await fh.tasks.list({ limit: 1 }))[0]?.id;
      const { ms: t, value: started } = await timed(() => fh.reconciler.reconcileOnce());
      if (started.length) throw new Error(`no-op reconcile started ${started.length} repair task(s)`);
      if ((await fh.tasks.list({ limit: 1 }))[0]?.id !== before) throw new Error('no-op reconcile created a task');
      reconciles.push(t);
    }
    rows.push(atMost(`no-op reconcile, ${INSTALLATIONS} installations (median of ${ROUNDS}; 0 repair tasks)`, median(reconciles), RECONCILE_TARGET_MS, ms, `runs: ${list(reconciles)}`));
    return rows;
  } finally {
    await close();
  }
};
