/**
 * A plan is the ordered list of changes that turns recorded + observed state into desired state.
 * The same decision function is used to show a plan and, step by step, to apply it.
 */
import { hashOf } from '../lib/hash.js';
import type { DesiredResource, Json, Observation, RecordedResource } from './resource.js';

export type Action = 'create' | 'update' | 'repair' | 'delete';

export interface Step {
  key: string;
  kind: string;
  action: Action;
  reason: string;
}

/** Hash of what a resource is applied with: its spec and its dependencies' outputs */
export function inputHash(d: DesiredResource, inputs: Record<string, Record<string, Json>>): string {
  return hashOf({ spec: d.spec, inputs: d.dependsOn.map((k) => inputs[k] ?? null) });
}

export function decide(d: DesiredResource, rec: RecordedResource | undefined, obs: Observation | undefined, hash: string): Step | null {
  if (!rec) return { key: d.key, kind: d.kind, action: 'create', reason: 'new' };
  if (rec.hash !== hash) return { key: d.key, kind: d.kind, action: 'update', reason: 'changed' };
  if (obs?.state === 'absent') return { key: d.key, kind: d.kind, action: 'repair', reason: 'missing' };
  if (obs?.state === 'drifted') return { key: d.key, kind: d.kind, action: 'repair', reason: obs.reason };
  return null;
}

/** Orders keys so that every resource comes after what it depends on; rejects cycles. */
export function topoOrder(items: { key: string; dependsOn: string[] }[]): string[] {
  const byKey = new Map(items.map((i) => [i.key, i]));
  const state = new Map<string, 1 | 2>();
  const out: string[] = [];
  const visit = (k: string, path: string[]) => {
    const s = state.get(k);
    if (s === 2) return;
    if (s === 1) throw new Error(`resource dependency cycle: ${[...path, k].join(' -> ')}`);
    state.set(k, 1);
    for (const dep of byKey.get(k)?.dependsOn ?? []) if (byKey.has(dep)) visit(dep, [...path, k]);
    state.set(k, 2);
    out.push(k);
  };
  for (const i of items) visit(i.key, []);
  return out;
}

/**
 * Plans one installation. Changes a step would cascade to (a dependency re-created with new
 * outputs) are decided again when the plan is applied.
 */
export function plan(desired: DesiredResource[], recorded: Map<string, RecordedResource>, observed: Map<string, Observation>): Step[] {
  const steps: Step[] = [];
  const byKey = new Map(desired.map((d) => [d.key, d]));
  for (const key of topoOrder(desired)) {
    const d = byKey.get(key)!;
    const inputs: Record<string, Record<string, Json>> = {};
    for (const dep of d.dependsOn) inputs[dep] = recorded.get(dep)?.outputs ?? {};
    const step = decide(d, recorded.get(key), observed.get(key), inputHash(d, inputs));
    if (step) steps.push(step);
  }
  const gone = [...recorded.values()].filter((r) => !byKey.has(r.key));
  for (const key of topoOrder(gone).reverse()) {
    steps.push({ key, kind: recorded.get(key)!.kind, action: 'delete', reason: 'no longer wanted' });
  }
  return steps;
}
