/**
 * Tasks: running plans (install, uninstall, apply, repair...) with percent, message and log,
 * persisted so they survive a crash and streamed live to subscribers (SSE, CLI).
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.js';
import { now } from '../store/index.js';
import type { TaskTable } from '../store/schema.js';
import type { Task, TaskStatus } from '../api/views.js';

export type { Task, TaskStatus };

export const FINISHED: TaskStatus[] = ['succeeded', 'failed', 'rolled_back'];

export type TaskEvent = { type: 'update'; task: Task } | { type: 'log'; taskId: string; at: string; line: string };

const toTask = (r: TaskTable): Task => ({
  id: r.id,
  installationId: r.installation_id,
  kind: r.kind,
  status: r.status as TaskStatus,
  percent: r.percent,
  message: r.message,
  error: r.error,
  params: JSON.parse(r.params),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface TaskHandle {
  id: string;
  progress(percent: number, message?: string): void;
  log(line: string): void;
}

export class Tasks extends EventEmitter {
  /** Keeps writes of one task in order without awaiting each one */
  private chains = new Map<string, Promise<unknown>>();

  constructor(private readonly db: Store) {
    super();
    this.setMaxListeners(0);
  }

  async create(kind: string, installationId: string | null, params: Record<string, unknown> = {}, message = 'queued'): Promise<Task> {
    const t = now();
    const row: TaskTable = { id: randomUUID(), installation_id: installationId, kind, status: 'queued', percent: 0, message, error: null, params: JSON.stringify(params), created_at: t, updated_at: t };
    await this.db.insertInto('tasks').values(row).execute();
    const task = toTask(row);
    this.emit('event', { type: 'update', task } satisfies TaskEvent);
    return task;
  }

  async get(id: string): Promise<Task | undefined> {
    const r = await this.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toTask(r);
  }

  async list(opts: { installationId?: string; limit?: number } = {}): Promise<Task[]> {
    let q = this.db.selectFrom('tasks').selectAll().orderBy('created_at', 'desc').limit(opts.limit ?? 50);
    if (opts.installationId) q = q.where('installation_id', '=', opts.installationId);
    return (await q.execute()).map(toTask);
  }

  async unfinished(): Promise<Task[]> {
    const rows = await this.db.selectFrom('tasks').selectAll().where('status', 'not in', FINISHED).orderBy('created_at').execute();
    return rows.map(toTask);
  }

  async logOf(id: string, afterId = 0) {
    return this.db.selectFrom('task_log').select(['id', 'at', 'line']).where('task_id', '=', id).where('id', '>', afterId).orderBy('id').execute();
  }

  private queue(id: string, write: () => Promise<unknown>) {
    const p = (this.chains.get(id) ?? Promise.resolve()).then(write, write);
    this.chains.set(id, p);
    return p;
  }

  /** Waits until every write of the task has reached the store */
  flush(id: string) {
    return this.chains.get(id) ?? Promise.resolve();
  }

  /** Changes a task; `params` are replaced whole (a task keeps what it must resume from there) */
  async update(id: string, patch: Partial<Pick<Task, 'status' | 'percent' | 'message' | 'error' | 'params'>>) {
    await this.queue(id, () =>
      this.db
        .updateTable('tasks')
        .set({
          ...(patch.status && { status: patch.status }),
          ...(patch.percent !== undefined && { percent: Math.round(patch.percent) }),
          ...(patch.message !== undefined && { message: patch.message }),
          ...(patch.error !== undefined && { error: patch.error }),
          ...(patch.params !== undefined && { params: JSON.stringify(patch.params) }),
          updated_at: now(),
        })
        .where('id', '=', id)
        .execute(),
    );
    const task = await this.get(id);
    if (task) this.emit('event', { type: 'update', task } satisfies TaskEvent);
    return task;
  }

  handle(id: string): TaskHandle {
    return {
      id,
      progress: (percent, message) => void this.update(id, { percent, ...(message !== undefined && { message }) }),
      log: (line) => {
        const at = now();
        void this.queue(id, () => this.db.insertInto('task_log').values({ task_id: id, at, line }).execute());
        this.emit('event', { type: 'log', taskId: id, at, line } satisfies TaskEvent);
      },
    };
  }

  /** Calls back with every event of one task until it finishes; returns an unsubscribe function */
  subscribe(id: string, cb: (e: TaskEvent) => void): () => void {
    const listener = (e: TaskEvent) => {
      if ((e.type === 'update' && e.task.id === id) || (e.type === 'log' && e.taskId === id)) cb(e);
    };
    this.on('event', listener);
    return () => this.off('event', listener);
  }

  /** Resolves with the task once it has finished */
  async wait(id: string): Promise<Task> {
    return new Promise((resolve, reject) => {
      const off = this.subscribe(id, (e) => {
        if (e.type === 'update' && FINISHED.includes(e.task.status)) {
          off();
          resolve(e.task);
        }
      });
      this.get(id).then((t) => {
        if (!t) (off(), reject(new Error(`no task ${id}`)));
        else if (FINISHED.includes(t.status)) (off(), resolve(t));
      }, reject);
    });
  }
}
