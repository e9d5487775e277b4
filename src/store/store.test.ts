import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from './index.js';

test('store: migrations create every table and are applied once', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'fh-store-')), 'db.sqlite');
  const db = await openStore(file);
  await db.insertInto('settings').values({ key: 'k', value: 'v' }).execute();
  await db.destroy();
  const again = await openStore(file);
  const tables = (await again.introspection.getTables()).map((t) => t.name).sort();
  for (const t of ['hosts', 'installations', 'journal', 'resources', 'settings', 'task_log', 'tasks']) assert.ok(tables.includes(t), t);
  assert.equal((await again.selectFrom('settings').selectAll().executeTakeFirstOrThrow()).value, 'v', 'data kept across reopen');
  await again.destroy();
});
