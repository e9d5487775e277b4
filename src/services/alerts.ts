/**
 * Alerts: what went wrong, recorded as events and sent to the configured channels.
 *
 * Events come from tasks: a backup, restore, clone, install, update (apply) or repair that ends
 * failed or rolled back records one event, its message the task's error (task errors never hold
 * secrets). Each event is then sent to every channel (webhook, email) in the background: a
 * channel that fails is logged and never stops the others, the task or the control plane.
 * Channels are rows of `alert_channels`, their configuration sealed (it may hold an SMTP password
 * or a token in a webhook URL); the API only ever shows a view without them.
 */
import type { Sealer } from '../lib/crypto.js';
import type { Store } from '../store/index.js';
import { now } from '../store/index.js';
import type { EventTable } from '../store/schema.js';
import type { Task, TaskEvent, Tasks } from '../engine/tasks.js';
import { channelKinds, type AlertEvent, type Problems } from '../drivers/alerts/index.js';
import { ConflictError, NotFoundError, UserError } from './errors.js';

/** A channel could not deliver (the API answers 502) */
export class DeliveryError extends UserError {
  override readonly status = 502;
}

/** Task kinds whose failure is an event, and the event's kind */
const WATCHED: Record<string, string> = {
  install: 'install_failed',
  apply: 'apply_failed',
  update: 'update_failed',
  rollback: 'rollback_failed',
  configure: 'configure_failed',
  repair: 'repair_failed',
  backup: 'backup_failed',
  restore: 'restore_failed',
  clone: 'clone_failed',
};

export interface ChannelView {
  name: string;
  kind: string;
  config: Record<string, unknown>;
  createdAt: string;
}

const toEvent = (r: Omit<EventTable, 'id'> & { id: number }): AlertEvent => ({
  id: r.id,
  at: r.at,
  kind: r.kind,
  severity: r.severity as AlertEvent['severity'],
  installation: r.installation,
  installationId: r.installation_id,
  message: r.message,
  taskId: r.task_id,
});

export class Alerts {
  /** Installation names by id, learnt while their tasks run: a rolled back install deletes its row */
  private names = new Map<string, string>();
  /** Deliveries under way (tests and shutdown wait for them) */
  private sending = new Set<Promise<void>>();
  private readonly listener = (e: TaskEvent) => {
    if (e.type === 'update') this.onTask(e.task).catch((err) => this.log(`alerts: could not record the failure of task ${e.task.id}: ${(err as Error).message}`));
  };

  constructor(
    private readonly db: Store,
    private readonly tasks: Tasks,
    private readonly sealer: Sealer,
    private readonly log: (msg: string) => void = (m) => console.error(m),
  ) {
    tasks.on('event', this.listener);
  }

  private async nameOf(task: Task): Promise<string | null> {
    const id = task.installationId;
    if (id) {
      const row = await this.db.selectFrom('installations').select('name').where('id', '=', id).executeTakeFirst();
      if (row) this.names.set(id, row.name);
      const known = this.names.get(id);
      if (known) return known;
    }
    const p = task.params as { name?: unknown };
    return typeof p.name === 'string' ? p.name : null;
  }

  private async onTask(task: Task) {
    const kind = WATCHED[task.kind];
    if (!kind) return;
    if (task.status !== 'failed' && task.status !== 'rolled_back') {
      if (task.installationId && !this.names.has(task.installationId)) await this.nameOf(task);
      return;
    }
    const installation = await this.nameOf(task);
    const verb = task.status === 'rolled_back' ? 'failed and was rolled back' : 'failed';
    const event = await this.record({
      kind,
      severity: 'error',
      installation,
      installationId: task.installationId,
      taskId: task.id,
      message: `${task.kind}${installation ? ` of ${installation}` : ''} ${verb}: ${task.error ?? task.message}`,
    });
    if (event) this.dispatch(event);
  }

  /** Records an event; undefined when the task already has one */
  async record(e: Omit<AlertEvent, 'id' | 'at'>): Promise<AlertEvent | undefined> {
    const row = { at: now(), installation_id: e.installationId, installation: e.installation, kind: e.kind, severity: e.severity, message: e.message, task_id: e.taskId };
    const r = await this.db.insertInto('events').values(row).onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst();
    return r ? toEvent({ ...row, id: Number(r.id) }) : undefined;
  }

  async list(opts: { installation?: string; limit?: number } = {}): Promise<AlertEvent[]> {
    let q = this.db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(Math.min(Math.max(opts.limit ?? 50, 1), 1000));
    if (opts.installation) q = q.where('installation', '=', opts.installation);
    return (await q.execute()).map(toEvent);
  }

  /** Sends an event to every channel in the background; failures are logged */
  dispatch(event: AlertEvent) {
    const p = (async () => {
      const rows = await this.db.selectFrom('alert_channels').selectAll().execute();
      await Promise.all(
        rows.map(async (r) => {
          try {
            await channelKinds[r.kind]!.send(JSON.parse(this.sealer.open(r.config)), event);
          } catch (err) {
            this.log(`alerts: channel ${r.name} (${r.kind}) could not send event ${event.kind}: ${(err as Error).message}`);
          }
        }),
      );
    })().catch((err) => this.log(`alerts: could not send event ${event.kind}: ${(err as Error).message}`));
    this.sending.add(p);
    void p.finally(() => this.sending.delete(p));
  }

  /** Resolves when the deliveries under way have ended */
  async idle() {
    while (this.sending.size) await Promise.all([...this.sending]);
  }

  async addChannel(input: Record<string, unknown> & { name: string; kind: string }): Promise<ChannelView> {
    const p: Problems = [];
    if (typeof input.name !== 'string' || !/^[a-z][a-z0-9-]{0,39}$/.test(input.name)) p.push({ path: 'name', message: 'must be 1-40 lower-case letters, digits or -, starting with a letter' });
    const kind = channelKinds[input.kind];
    if (!kind) p.push({ path: 'kind', message: `must be one of ${Object.keys(channelKinds).join(', ')}` });
    const { name: _n, kind: _k, ...rest } = input;
    const config = kind?.parse(rest, p);
    if (p.length || !kind) throw new UserError(`invalid alert channel: ${p.map((x) => `${x.path} ${x.message}`).join('; ')}`, p);
    if (await this.db.selectFrom('alert_channels').select('name').where('name', '=', input.name).executeTakeFirst()) {
      throw new ConflictError(`an alert channel named "${input.name}" already exists`, [{ path: 'name', message: 'is taken' }]);
    }
    const created_at = now();
    await this.db.insertInto('alert_channels').values({ name: input.name, kind: input.kind, config: this.sealer.seal(JSON.stringify(config)), created_at }).execute();
    return { name: input.name, kind: input.kind, config: kind.view(config), createdAt: created_at };
  }

  async listChannels(): Promise<ChannelView[]> {
    const rows = await this.db.selectFrom('alert_channels').selectAll().orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, kind: r.kind, config: channelKinds[r.kind]?.view(JSON.parse(this.sealer.open(r.config))) ?? {}, createdAt: r.created_at }));
  }

  async removeChannel(name: string) {
    const r = await this.db.deleteFrom('alert_channels').where('name', '=', name).executeTakeFirst();
    if (!r.numDeletedRows) throw new NotFoundError(`no alert channel "${name}" (see "freehold alerts list")`);
  }

  /** Sends a test event to one channel and waits for the answer */
  async testChannel(name: string): Promise<{ channel: string; sent: AlertEvent }> {
    const r = await this.db.selectFrom('alert_channels').selectAll().where('name', '=', name).executeTakeFirst();
    if (!r) throw new NotFoundError(`no alert channel "${name}" (see "freehold alerts list")`);
    const event: AlertEvent = { id: null, at: now(), kind: 'test', severity: 'info', installation: null, installationId: null, taskId: null, message: `test alert from Freehold to channel ${name}` };
    try {
      await channelKinds[r.kind]!.send(JSON.parse(this.sealer.open(r.config)), event);
    } catch (err) {
      throw new DeliveryError(`alert channel ${name} could not send: ${(err as Error).message}`);
    }
    return { channel: name, sent: event };
  }

  close() {
    this.tasks.off('event', this.listener);
    return this.idle();
  }
}
