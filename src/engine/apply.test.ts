// apply/teardown with in-memory handlers and a real SQLite store: order, parallelism, journal,
// idempotent resume, failure reporting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/index.js';
import { Sealer } from '../lib/crypto.js';
import { Records } from './records.js';
import { apply, teardown } from './apply.js';
import type { DesiredResource, HandlerRegistry, ResourceHandler } from './resource.js';

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'fh-apply-'));
  const db = await openStore(join(dir, 'db.sqlite'));
  const records = new Records(db, Sealer.fromKeyFile(join(dir, 'key')));
  const world = new Map<string, any>();
  const events: string[] = [];
  let active = 0;
  let maxActive = 0;
  const failOn = new Set<string>();
  const handler: ResourceHandler = {
    async observe(_ctx, items) {
      return items.map((i) => ({ state: world.has(i.key) ? 'present' : 'absent' }));
    },
    async apply({ key, inputs }) {
      active++;
      maxActive = Math.max(maxActive, active);
      events.push(`start ${key}`);
      await new Promise((r) => setTimeout(r, 20));
      active--;
      if (failOn.has(key)) throw new Error(`${key} broke`);
      world.set(key, true);
      events.push(`end ${key}`);
      return { key, deps: Object.keys(inputs).sort().join(',') };
    },
    async delete({ key }) {
      events.push(`delete ${key}`);
      world.delete(key);
    },
  };
  const handlers: HandlerRegistry = new Map([['thing', handler]]);
  const desired: DesiredResource[] = [
    { key: 'net', kind: 'thing', spec: {}, dependsOn: [] },
    { key: 'a', kind: 'thing', spec: {}, dependsOn: ['net'] },
    { key: 'b', kind: 'thing', spec: {}, dependsOn: ['net'] },
    { key: 'app', kind: 'thing', spec: {}, dependsOn: ['a', 'b'] },
  ];
  const base = { ctx: {}, handlers, records, installationId: 'i1', installation: 'one', desired };
  return { db, records, world, events, failOn, base, get maxActive() { return maxActive; } };
}

test('apply: dependency order, independent steps in parallel, journal intent then done', async () => {
  const s = await setup();
  const { steps, outputs } = await apply({ ...s.base, taskId: 't1' });
  assert.deepEqual(steps.map((x) => x.key).sort(), ['a', 'app', 'b', 'net']);
  assert.ok(s.events.indexOf('end net') < s.events.indexOf('start a'));
  assert.ok(s.events.indexOf('end a') < s.events.indexOf('start app') && s.events.indexOf('end b') < s.events.indexOf('start app'));
  assert.equal(s.maxActive, 2, 'a and b ran at the same time');
  assert.equal(outputs.get('app')!.deps, 'a,b');
  const journal = await s.records.journalOf('t1');
  const forA = journal.filter((j) => j.resource_key === 'a').map((j) => j.phase);
  assert.deepEqual(forA, ['intent', 'done']);
  const again = await apply({ ...s.base, taskId: 't2' });
  assert.equal(again.steps.length, 0, 'a second apply changes nothing');
});

test('apply: a failure stops dependents, is journalled, and a rerun resumes', async () => {
  const s = await setup();
  s.failOn.add('b');
  await assert.rejects(apply({ ...s.base, taskId: 't1' }), /b broke/);
  assert.ok(!s.events.includes('start app'), 'dependents of a failed step do not start');
  const journal = await s.records.journalOf('t1');
  assert.ok(journal.some((j) => j.resource_key === 'b' && j.phase === 'failed' && /b broke/.test(j.detail ?? '')));
  s.failOn.clear();
  s.events.length = 0;
  const { steps } = await apply({ ...s.base, taskId: 't2' });
  assert.deepEqual(steps.map((x) => x.key).sort(), ['app', 'b'], 'only what is missing is done');
});

test('apply repairs what vanished; teardown removes recorded and unrecorded things, dependents first', async () => {
  const s = await setup();
  await apply({ ...s.base, taskId: 't1' });
  s.world.delete('a');
  const { steps } = await apply({ ...s.base, taskId: 't2' });
  assert.deepEqual(steps.map((x) => `${x.action} ${x.key}`), ['repair a']);
  s.events.length = 0;
  await teardown({ ...s.base, taskId: 't3' });
  const deletes = s.events.filter((e) => e.startsWith('delete'));
  assert.equal(deletes[0], 'delete app');
  assert.equal(deletes.at(-1), 'delete net');
  assert.equal(s.world.size, 0);
  assert.equal((await s.records.load('i1')).size, 0);
});

test('records: outputs are sealed in the store', async () => {
  const s = await setup();
  await apply({ ...s.base, taskId: 't1' });
  const row = await s.db.selectFrom('resources').select('outputs').where('key', '=', 'app').executeTakeFirstOrThrow();
  assert.match(row.outputs, /^v1:/);
  assert.doesNotMatch(row.outputs, /deps/);
  assert.equal((await s.records.load('i1')).get('app')!.outputs.deps, 'a,b');
});
