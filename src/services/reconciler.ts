/**
 * Keeps what runs equal to what is recorded: on start, resumes or rolls back the tasks a crash
 * interrupted; then, periodically, notices drift (a container stopped or removed by hand, a route
 * missing) and repairs it as a "repair" task.
 */
import { Periodic } from '../lib/periodic.js';
import type { Store } from '../store/index.js';
import type { Records } from '../engine/records.js';
import type { HandlerRegistry } from '../engine/resource.js';
import type { HostContext } from '../engine/kinds/context.js';
import { observeAll } from '../engine/apply.js';
import { plan, type Step } from '../engine/plan.js';
import type { Task, Tasks } from '../engine/tasks.js';
import type { Catalog } from './catalog.js';
import type { Hosts } from './hosts.js';
import type { Installations } from './installations.js';

export class Reconciler {
  /** How the services that own other task kinds (backup, restore, clone) pick theirs up */
  private resumers = new Map<string, (task: Task) => Promise<unknown>>();

  onResume(kind: string, resume: (task: Task) => Promise<unknown>) {
    this.resumers.set(kind, resume);
  }

  constructor(
    private readonly db: Store,
    private readonly tasks: Tasks,
    private readonly records: Records,
    private readonly catalog: Catalog,
    private readonly hosts: Hosts,
    private readonly handlers: HandlerRegistry<HostContext>,
    private readonly installations: Installations,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  /** Picks up tasks a crash left unfinished: installs resume (or finish rolling back), uninstalls go on */
  async resumeUnfinished(): Promise<void> {
    const pending = await this.tasks.unfinished();
    const runs = pending.map(async (t) => {
      this.log(`resuming ${t.kind} task ${t.id} (was ${t.status})`);
      this.tasks.handle(t.id).log(`control plane restarted: resuming (task was ${t.status})`);
      if (!t.installationId) return this.tasks.update(t.id, { status: 'failed', error: 'interrupted' });
      if (t.kind === 'install') return this.installations.runInstall(t.id, t.installationId, t.status === 'rolling_back');
      if (t.kind === 'uninstall') return this.installations.runUninstall(t.id, t.installationId);
      if (t.kind === 'configure') return this.installations.runConfigure(t.id, t.installationId);
      if (t.kind === 'rename') return this.installations.runRename(t.id, t.installationId);
      const resume = this.resumers.get(t.kind);
      if (resume) return resume(t);
      return this.installations.runApply(t.id, t.installationId);
    });
    await Promise.all(runs);
  }

  /** One pass: what each running installation needs, per host, observed in one batch per kind */
  async check(): Promise<Map<string, Step[]>> {
    const rows = await this.db.selectFrom('installations').selectAll().where('status', '=', 'running').execute();
    const allRecorded = await this.records.loadAll();
    const drift = new Map<string, Step[]>();
    const byHost = new Map<string, typeof rows>();
    for (const r of rows) byHost.set(r.host_id, [...(byHost.get(r.host_id) ?? []), r]);
    for (const [hostId, list] of byHost) {
      const ctx = await this.hosts.context(hostId);
      // An edge that died is started again; its routes then show up as missing and are repaired.
      await ctx.edge.ensureRunning();
      const idle = list.filter((r) => !this.installations.isBusy(r.id) && (r.manifest || this.catalog.has(r.app_id)));
      const entries = idle.map((r) => ({ installation: r.name, recorded: allRecorded.get(r.id) ?? new Map() }));
      const observed = await observeAll(ctx, this.handlers, entries);
      for (const r of idle) {
        const desired = await this.installations.desiredOf(r, ctx.edge.url(r.domain));
        const steps = plan(desired, allRecorded.get(r.id) ?? new Map(), observed.get(r.name)!);
        if (steps.length) drift.set(r.id, steps);
      }
    }
    return drift;
  }

  /** Checks once and repairs what drifted; returns the repair tasks started */
  async reconcileOnce(): Promise<string[]> {
    const drift = await this.check();
    const started: string[] = [];
    for (const [id, steps] of drift) {
      this.log(`drift in ${id}: ${steps.map((s) => `${s.action} ${s.key} (${s.reason})`).join(', ')}`);
      const task = await this.installations.apply(id, 'repair');
      started.push(task.id);
    }
    await Promise.all(started.map((t) => this.tasks.wait(t)));
    return started;
  }

  private readonly periodic = new Periodic(() => this.reconcileOnce(), (err) => this.log(`reconcile failed: ${err.message}`));

  start(intervalMs: number) {
    this.periodic.start(intervalMs);
  }

  stop() {
    return this.periodic.stop();
  }

}
