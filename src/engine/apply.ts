/**
 * Applies a plan: resources in dependency order, independent ones in parallel. Each step is
 * journalled before (intent) and after (done/failed) it acts, so a killed process knows where
 * it was; handlers are idempotent, so resuming is applying again.
 */
import { decide, inputHash, topoOrder, plan, type Step } from './plan.js';
import type { DesiredResource, HandlerRegistry, Json, Observation, RecordedResource } from './resource.js';
import type { Records } from './records.js';
import { failpoint } from '../lib/failpoint.js';

export interface ApplyOptions<Ctx> {
  ctx: Ctx;
  handlers: HandlerRegistry<Ctx>;
  records: Records;
  taskId: string;
  installationId: string;
  /** Installation name, as the handlers know it */
  installation: string;
  desired: DesiredResource[];
  recorded?: Map<string, RecordedResource>;
  observed?: Map<string, Observation>;
  log?: (line: string) => void;
  /** Called after each step that acted: steps done so far, steps planned */
  onStep?: (done: number, total: number, step: Step) => void;
}

function handlerOf<Ctx>(handlers: HandlerRegistry<Ctx>, kind: string) {
  const h = handlers.get(kind);
  if (!h) throw new Error(`no handler for resource kind "${kind}"`);
  return h;
}

/** Observes the recorded resources of many installations on one host: one call per kind */
export async function observeAll<Ctx>(
  ctx: Ctx,
  handlers: HandlerRegistry<Ctx>,
  entries: { installation: string; recorded: Map<string, RecordedResource> }[],
): Promise<Map<string, Map<string, Observation>>> {
  const byKind = new Map<string, { installation: string; r: RecordedResource }[]>();
  const out = new Map<string, Map<string, Observation>>();
  for (const e of entries) {
    out.set(e.installation, new Map());
    for (const r of e.recorded.values()) {
      let list = byKind.get(r.kind);
      if (!list) byKind.set(r.kind, (list = []));
      list.push({ installation: e.installation, r });
    }
  }
  await Promise.all(
    [...byKind].map(async ([kind, items]) => {
      const obs = await handlerOf(handlers, kind).observe(
        ctx,
        items.map(({ installation, r }) => ({ installation, key: r.key, spec: r.spec, outputs: r.outputs })),
      );
      items.forEach(({ installation, r }, i) => out.get(installation)!.set(r.key, obs[i]));
    }),
  );
  return out;
}

export async function observe<Ctx>(ctx: Ctx, handlers: HandlerRegistry<Ctx>, installation: string, recorded: Map<string, RecordedResource>) {
  return (await observeAll(ctx, handlers, [{ installation, recorded }])).get(installation)!;
}

export async function apply<Ctx>(o: ApplyOptions<Ctx>): Promise<{ steps: Step[]; outputs: Map<string, Record<string, Json>> }> {
  const log = o.log ?? (() => {});
  const recorded = o.recorded ?? (await o.records.load(o.installationId));
  const observed = o.observed ?? (await observe(o.ctx, o.handlers, o.installation, recorded));
  const planned = plan(o.desired, recorded, observed);
  const total = planned.length;
  const done: Step[] = [];
  const byKey = new Map(o.desired.map((d) => [d.key, d]));
  const outputs = new Map<string, Record<string, Json>>();
  const running = new Map<string, Promise<void>>();

  const applyOne = async (d: DesiredResource) => {
    await Promise.all(d.dependsOn.filter((k) => byKey.has(k)).map((k) => running.get(k)));
    const inputs: Record<string, Record<string, Json>> = {};
    for (const dep of d.dependsOn) inputs[dep] = outputs.get(dep) ?? recorded.get(dep)?.outputs ?? {};
    const hash = inputHash(d, inputs);
    const rec = recorded.get(d.key);
    const step = decide(d, rec, observed.get(d.key), hash);
    if (!step) {
      outputs.set(d.key, rec!.outputs);
      return;
    }
    await o.records.journal(o.taskId, d.key, step.action, 'intent', step.reason);
    log(`${step.action} ${d.key} (${step.reason})`);
    failpoint(`${step.action}:${d.key}:before`);
    try {
      const out = await handlerOf(o.handlers, d.kind).apply({
        ctx: o.ctx,
        installation: o.installation,
        key: d.key,
        spec: d.spec,
        hash,
        previous: rec?.outputs,
        inputs,
        log,
      });
      outputs.set(d.key, out);
      failpoint(`${step.action}:${d.key}:after`);
      await o.records.record(o.taskId, o.installationId, { key: d.key, kind: d.kind, spec: d.spec, dependsOn: d.dependsOn, hash, outputs: out }, step.action);
    } catch (err) {
      await o.records.journal(o.taskId, d.key, step.action, 'failed', (err as Error).message);
      throw err;
    }
    done.push(step);
    o.onStep?.(done.length, Math.max(total, done.length), step);
  };

  for (const key of topoOrder(o.desired)) running.set(key, applyOne(byKey.get(key)!));
  const results = await Promise.allSettled(running.values());
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;

  // What is recorded but no longer wanted goes, dependents first.
  const gone = [...recorded.values()].filter((r) => !byKey.has(r.key));
  for (const key of topoOrder(gone).reverse()) {
    const r = recorded.get(key)!;
    await o.records.journal(o.taskId, key, 'delete', 'intent');
    await handlerOf(o.handlers, r.kind).delete({ ctx: o.ctx, installation: o.installation, key, spec: r.spec, outputs: r.outputs, log });
    await o.records.forget(o.taskId, o.installationId, key);
    const step: Step = { key, kind: r.kind, action: 'delete', reason: 'no longer wanted' };
    done.push(step);
    o.onStep?.(done.length, Math.max(total, done.length), step);
  }
  return { steps: done, outputs };
}

/**
 * Removes everything an installation has or may have: what is recorded and what the desired
 * graph names (a crash between acting and recording leaves unrecorded things behind). Goes on
 * past failures so that as much as possible is removed, then reports them.
 */
export async function teardown<Ctx>(o: Omit<ApplyOptions<Ctx>, 'observed'>): Promise<void> {
  const log = o.log ?? (() => {});
  const recorded = o.recorded ?? (await o.records.load(o.installationId));
  const all = new Map<string, { key: string; kind: string; spec: Json; dependsOn: string[]; outputs?: Record<string, Json> }>();
  for (const d of o.desired) all.set(d.key, d);
  for (const r of recorded.values()) all.set(r.key, r);
  const order = topoOrder([...all.values()]).reverse();
  const errors: string[] = [];
  let n = 0;
  for (const key of order) {
    const r = all.get(key)!;
    try {
      await o.records.journal(o.taskId, key, 'delete', 'intent');
      failpoint(`delete:${key}:before`);
      await handlerOf(o.handlers, r.kind).delete({ ctx: o.ctx, installation: o.installation, key, spec: r.spec, outputs: recorded.get(key)?.outputs, log });
      failpoint(`delete:${key}:after`);
      await o.records.forget(o.taskId, o.installationId, key);
      log(`deleted ${key}`);
    } catch (err) {
      errors.push(`${key}: ${(err as Error).message}`);
      await o.records.journal(o.taskId, key, 'delete', 'failed', (err as Error).message);
    }
    o.onStep?.(++n, order.length, { key, kind: r.kind, action: 'delete', reason: 'teardown' });
  }
  if (errors.length) throw new Error(`could not remove everything:\n  ${errors.join('\n  ')}`);
}
