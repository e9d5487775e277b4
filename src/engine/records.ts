/** What the engine has recorded (resources, outputs sealed) and its journal, in the store. */
import type { Store } from '../store/index.js';
import { now } from '../store/index.js';
import type { Sealer } from '../lib/crypto.js';
import type { Json, RecordedResource } from './resource.js';

export class Records {
  constructor(
    private readonly db: Store,
    private readonly sealer: Sealer,
  ) {}

  private toRecorded(row: { key: string; kind: string; spec: string; spec_hash: string; outputs: string }): RecordedResource {
    const { spec, dependsOn } = JSON.parse(row.spec);
    return { key: row.key, kind: row.kind, spec, dependsOn, hash: row.spec_hash, outputs: JSON.parse(this.sealer.open(row.outputs)) };
  }

  async load(installationId: string): Promise<Map<string, RecordedResource>> {
    const rows = await this.db.selectFrom('resources').selectAll().where('installation_id', '=', installationId).execute();
    return new Map(rows.map((r) => [r.key, this.toRecorded(r)]));
  }

  /** Every installation's records in one query (the reconcile loop) */
  async loadAll(): Promise<Map<string, Map<string, RecordedResource>>> {
    const rows = await this.db.selectFrom('resources').selectAll().execute();
    const all = new Map<string, Map<string, RecordedResource>>();
    for (const r of rows) {
      let m = all.get(r.installation_id);
      if (!m) all.set(r.installation_id, (m = new Map()));
      m.set(r.key, this.toRecorded(r));
    }
    return all;
  }

  async journal(taskId: string, key: string, action: string, phase: 'intent' | 'done' | 'failed', detail?: string) {
    await this.db.insertInto('journal').values({ task_id: taskId, at: now(), resource_key: key, action, phase, detail: detail ?? null }).execute();
  }

  /** Records a resource as applied and journals it, atomically */
  async record(taskId: string, installationId: string, r: RecordedResource, action: string) {
    const row = {
      installation_id: installationId,
      key: r.key,
      kind: r.kind,
      spec: JSON.stringify({ spec: r.spec, dependsOn: r.dependsOn }),
      spec_hash: r.hash,
      outputs: this.sealer.seal(JSON.stringify(r.outputs satisfies Record<string, Json>)),
      updated_at: now(),
    };
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('resources')
        .values(row)
        .onConflict((oc) => oc.columns(['installation_id', 'key']).doUpdateSet(row))
        .execute();
      await tx.insertInto('journal').values({ task_id: taskId, at: now(), resource_key: r.key, action, phase: 'done', detail: null }).execute();
    });
  }

  async forget(taskId: string, installationId: string, key: string) {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('resources').where('installation_id', '=', installationId).where('key', '=', key).execute();
      await tx.insertInto('journal').values({ task_id: taskId, at: now(), resource_key: key, action: 'delete', phase: 'done', detail: null }).execute();
    });
  }

  async journalOf(taskId: string) {
    return this.db.selectFrom('journal').selectAll().where('task_id', '=', taskId).orderBy('id').execute();
  }
}
