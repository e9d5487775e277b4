import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan, topoOrder, inputHash } from './plan.js';
import type { DesiredResource, RecordedResource, Observation } from './resource.js';

const d = (key: string, dependsOn: string[] = [], spec: any = { v: 1 }): DesiredResource => ({ key, kind: key.split(':')[0], spec, dependsOn });
const rec = (r: DesiredResource, outputs: any = {}, inputs: Record<string, any> = {}): RecordedResource => ({ ...r, hash: inputHash(r, inputs), outputs });

test('topoOrder puts dependencies first and rejects cycles', () => {
  const order = topoOrder([d('c', ['b']), d('b', ['a']), d('a')]);
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.throws(() => topoOrder([d('a', ['b']), d('b', ['a'])]), /dependency cycle: a -> b -> a/);
});

test('plan: create what is new, nothing for what matches, in dependency order', () => {
  const desired = [d('container:web', ['network']), d('network')];
  assert.deepEqual(plan(desired, new Map(), new Map()).map((s) => `${s.action} ${s.key}`), ['create network', 'create container:web']);
  const recorded = new Map([
    ['network', rec(desired[1], { name: 'n' })],
    ['container:web', rec(desired[0], {}, { network: { name: 'n' } })],
  ]);
  const present = new Map<string, Observation>([['network', { state: 'present' }], ['container:web', { state: 'present' }]]);
  assert.deepEqual(plan(desired, recorded, present), []);
});

test('plan: repair what was removed or stopped, update what changed, delete what is no longer wanted', () => {
  const net = d('network');
  const web = d('container:web', ['network']);
  const old = d('route', ['container:web']);
  const recorded = new Map([
    ['network', rec(net, { name: 'n' })],
    ['container:web', rec(web, {}, { network: { name: 'n' } })],
    ['route', rec(old)],
  ]);
  const steps = plan([net, web], recorded, new Map<string, Observation>([['network', { state: 'absent' }], ['container:web', { state: 'drifted', reason: 'container is exited' }]]));
  assert.deepEqual(steps.map((s) => `${s.action} ${s.key} ${s.reason}`), ['repair network missing', 'repair container:web container is exited', 'delete route no longer wanted']);
  const changed = plan([net, d('container:web', ['network'], { v: 2 })], recorded, new Map());
  assert.deepEqual(changed.map((s) => `${s.action} ${s.key}`), ['update container:web', 'delete route']);
});

test('plan: a dependency whose outputs changed makes its dependents update', () => {
  const net = d('network');
  const web = d('container:web', ['network']);
  const recorded = new Map([
    ['network', rec(net, { name: 'new' })],
    ['container:web', rec(web, {}, { network: { name: 'old' } })],
  ]);
  assert.deepEqual(plan([net, web], recorded, new Map()).map((s) => `${s.action} ${s.key}`), ['update container:web']);
});
