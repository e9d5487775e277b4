/**
 * Updates: move an installation to a newer app version from the catalog, by hand or by policy,
 * so that it either fully succeeds or fully rolls back by itself.
 *
 * The update task: a snapshot first (the app keeps serving); the new images built or pulled
 * while the old version still serves; then the switch: the installation records the new version
 * and its carried-over config, and converging it replaces the containers (the old one stops, the
 * manifest's migration runs when the upstream version goes up, the new one starts and must pass
 * its health check; the route keeps its port). On any failure after the switch it rolls back:
 * the pre-update snapshot is restored, which brings back the previous version, config and data.
 * A crash is resumed the same way: before the switch nothing changed; after it, roll back.
 */
import { ensureImage } from '../drivers/runtime/images.js';
import { failpoint } from '../lib/failpoint.js';
import { names } from '../engine/kinds/context.js';
import { Periodic } from '../lib/periodic.js';
import { compareVersions, inRange, versionStep } from '../manifest/versions.js';
import type { Task, Tasks } from '../engine/tasks.js';
import type { Backups } from './backups.js';
import type { Catalog, CatalogApp } from './catalog.js';
import { carryConfig, type CarryOptions, type ConfigChange } from './config.js';
import { diffSchemas, suggestRenames, type RenameSuggestion, type SchemaChange } from './schema-diff.js';
import type { Json } from '../engine/resource.js';
import type { Hosts } from './hosts.js';
import type { Installation, Installations } from './installations.js';
import type { Settings } from './settings.js';
import { ConflictError, NotFoundError, UserError } from './errors.js';

export type UpdateMode = 'off' | 'patch' | 'minor';

export interface UpdatePolicy {
  /** Which updates are applied by themselves: none, patch releases, or minor releases too */
  mode: UpdateMode;
  /** Local time of day between which they may start ("03:00"-"05:00"; may wrap midnight); absent: any time */
  window?: { start: string; end: string };
}

export const DEFAULT_UPDATE_POLICY: UpdatePolicy = { mode: 'off' };

export interface VersionOffer {
  version: string;
  packageVersion: number;
  step: 'major' | 'minor' | 'patch' | 'package';
  /** Whether this installation can update to it directly (its upgrade.from range) */
  reachable: boolean;
  reason?: string;
}

export interface UpdatePreview {
  installation: string;
  app: string;
  from: { version: string; packageVersion: number };
  to: { version: string; packageVersion: number };
  step: VersionOffer['step'];
  /** Whether the manifest's migration will run (the upstream version goes up and it has one) */
  migrates: boolean;
  /** The installation's values, option by option, old and new side by side */
  config: ConfigChange[];
  /** What the new version changes in the config schema */
  schema: SchemaChange[];
  /** Renames the manifest does not declare but that look likely: applied only when confirmed */
  suggestions: RenameSuggestion[];
  oldSchema: unknown;
  newSchema: unknown;
  values: { old: Record<string, Json>; proposed: Record<string, Json> };
  /** Whether the update can go ahead as it is (no option still needs a value) */
  ready: boolean;
}

interface UpdateParams {
  from: { version: string; packageVersion: number };
  to: { version: string; packageVersion: number };
  /** The user's decisions on the configuration (confirmed renames, values for the new version) */
  decisions?: CarryOptions;
  scheduled?: boolean;
  /** The pre-update snapshot, once taken */
  snapshot?: string;
  /** Set just before the installation is switched to the new version: from then on, a failure rolls back */
  switched?: boolean;
  /** Why it is rolling back (kept so that a rollback resumed after a crash still says why) */
  failure?: string;
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/** Whether a local time falls in a window that may wrap midnight */
export function inWindow(window: UpdatePolicy['window'], at: Date): boolean {
  if (!window) return true;
  const m = at.getHours() * 60 + at.getMinutes();
  const [s, e] = [minutesOf(window.start), minutesOf(window.end)];
  return s <= e ? m >= s && m < e : m >= s || m < e;
}

export class Updates {
  constructor(
    private readonly tasks: Tasks,
    private readonly catalog: Catalog,
    private readonly hosts: Hosts,
    private readonly installations: Installations,
    private readonly backups: Backups,
    private readonly settings: Settings,
    private readonly log: (m: string) => void = () => {},
  ) {}

  /** Versions of the installation's app newer than the one it runs, newest first */
  offers(inst: Installation): (VersionOffer & { app: CatalogApp })[] {
    if (!this.catalog.has(inst.app)) return [];
    const current = { version: inst.version, packageVersion: inst.packageVersion };
    return this.catalog
      .versions(inst.app)
      .filter((a) => compareVersions(a.manifest, current) > 0)
      .map((app) => {
        const s = versionStep(inst.version, app.manifest.version);
        const range = app.manifest.upgrade?.from;
        const reachable = inRange(inst.version, range);
        return {
          app,
          version: app.manifest.version,
          packageVersion: app.manifest.packageVersion,
          step: s === 'none' ? 'package' : s,
          reachable,
          ...(!reachable && { reason: `${app.manifest.version} updates only from versions ${range}` }),
        };
      });
  }

  /** What an installation can update to */
  async available(nameOrId: string): Promise<{ installation: string; app: string; version: string; packageVersion: number; offers: VersionOffer[] }> {
    const inst = await this.installations.get(nameOrId);
    return { installation: inst.name, app: inst.app, version: inst.version, packageVersion: inst.packageVersion, offers: this.offers(inst).map(({ app: _a, ...o }) => o) };
  }

  /** The target of an update: the version asked for, or the newest one reachable from the current one */
  private target(inst: Installation, to?: string, packageVersion?: number): VersionOffer & { app: CatalogApp } {
    const offers = this.offers(inst);
    if (to === undefined) {
      const best = offers.find((o) => o.reachable);
      if (!best) {
        throw new UserError(
          offers.length
            ? `${inst.name} runs ${inst.app} ${inst.version}, which cannot be updated directly to any newer version in the catalog (${offers.map((o) => `${o.version}: ${o.reason}`).join('; ')})`
            : `${inst.name} runs the newest ${inst.app} in the catalog (${inst.version}); nothing to update`,
        );
      }
      return best;
    }
    // A version without its packaging revision means its newest one.
    const wanted = offers.find((o) => o.version === to && (packageVersion === undefined || o.packageVersion === packageVersion));
    if (!wanted) {
      const known = this.catalog.has(inst.app) ? this.catalog.versions(inst.app).map((a) => a.manifest.version) : [];
      if (known.includes(to)) throw new UserError(`${inst.name} already runs ${inst.app} ${inst.version}; ${to} is not newer (to go back, use "freehold rollback ${inst.name}" or restore a snapshot)`);
      if (known.includes(to) && packageVersion !== undefined) throw new NotFoundError(`no package ${packageVersion} of ${inst.app} ${to} newer than what ${inst.name} runs (see "freehold updates ${inst.name}")`);
      throw new NotFoundError(`no version ${to} of ${inst.app} in the catalog (versions: ${known.join(', ')}); see "freehold updates ${inst.name}"`);
    }
    if (!wanted.reachable) throw new UserError(`${inst.name} runs ${inst.version}, but ${wanted.reason}; update to an intermediate version first (see "freehold updates ${inst.name}")`);
    return wanted;
  }

  /** What an update would change, without changing anything; refuses what the update would refuse */
  async preview(nameOrId: string, to?: string, packageVersion?: number, decisions: CarryOptions = {}): Promise<UpdatePreview> {
    const inst = await this.installations.get(nameOrId);
    const target = this.target(inst, to, packageVersion);
    const running = await this.installations.runningApp(inst.id);
    const known = this.checkDecisions(running.manifest.config?.schema, target.app.manifest.config?.schema, decisions);
    const { config, changes, problems } = carryConfig(running.manifest, target.app.manifest, inst.config, known);
    const declared = (target.app.manifest.upgrade?.renames ?? []).map((r) => ({ from: r.from, to: r.to }));
    const renames = [...declared, ...(known.renames ?? [])];
    return {
      installation: inst.name,
      app: inst.app,
      from: { version: inst.version, packageVersion: inst.packageVersion },
      to: { version: target.version, packageVersion: target.packageVersion },
      step: target.step,
      migrates: Boolean(target.app.manifest.hooks?.migrate) && target.step !== 'package',
      config: changes,
      schema: diffSchemas(running.manifest.config?.schema, target.app.manifest.config?.schema, renames),
      suggestions: suggestRenames(running.manifest.config?.schema, target.app.manifest.config?.schema, renames),
      oldSchema: running.manifest.config?.schema ?? null,
      newSchema: target.app.manifest.config?.schema ?? null,
      values: { old: inst.config, proposed: config },
      ready: problems.length === 0,
    };
  }

  /** Confirmed renames must name an old and a new option; anything else is a 400 naming it */
  private checkDecisions(oldSchema: unknown, newSchema: unknown, d: CarryOptions): CarryOptions {
    const problems: { path: string; message: string }[] = [];
    const oldOptions = diffSchemas(oldSchema, { type: 'object' }).map((c) => c.path);
    const newOptions = diffSchemas({ type: 'object' }, newSchema).map((c) => c.path);
    (d.renames ?? []).forEach((r, i) => {
      if (!oldOptions.includes(r.from)) problems.push({ path: `renames.${i}.from`, message: `"${r.from}" is not an option of the running version` });
      if (!newOptions.includes(r.to)) problems.push({ path: `renames.${i}.to`, message: `"${r.to}" is not an option of the new version` });
    });
    if (problems.length) throw new UserError(`invalid update decisions: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
    return d;
  }

  async update(nameOrId: string, opts: { to?: string; packageVersion?: number; scheduled?: boolean; renames?: { from: string; to: string }[]; config?: Record<string, Json> } = {}): Promise<Task> {
    const inst = await this.installations.get(nameOrId);
    if (inst.status !== 'running') throw new ConflictError(`${inst.name} is ${inst.status}; only a running installation can be updated (see "freehold status ${inst.name}")`);
    if (this.installations.isBusy(inst.id)) throw new ConflictError(`${inst.name} is busy with another task; update it once that task has finished (see "freehold tasks")`);
    const decisions: CarryOptions = { ...(opts.renames?.length && { renames: opts.renames }), ...(opts.config && { set: opts.config }) };
    const preview = await this.preview(inst.id, opts.to, opts.packageVersion, decisions);
    if (!preview.ready) {
      const needs = preview.config.filter((c) => c.needsValue).map((c) => ({ path: `config.${c.path}`, message: c.problem ?? 'needs a value' }));
      throw new UserError(`${inst.app} ${preview.to.version} needs configuration decisions before ${inst.name} can update: ${needs.map((n) => `${n.path} ${n.message}`).join('; ')} (see "freehold update ${inst.name} --show-config-changes"; give values with --set)`, needs);
    }
    const params: UpdateParams = { from: preview.from, to: preview.to, ...(Object.keys(decisions).length && { decisions }), ...(opts.scheduled && { scheduled: true }) };
    const task = await this.tasks.create('update', inst.id, params as unknown as Record<string, unknown>, `${opts.scheduled ? 'scheduled update' : 'updating'} ${inst.name} from ${inst.version} to ${preview.to.version}`);
    void this.installations.exclusive(inst.id, () => this.runUpdate(task.id, inst.id));
    return task;
  }

  private async runUpdate(taskId: string, installationId: string) {
    const h = this.tasks.handle(taskId);
    const params = (await this.tasks.get(taskId))!.params as unknown as UpdateParams;
    const save = (patch: Partial<UpdateParams>) => this.tasks.update(taskId, { params: Object.assign(params, patch) as unknown as Record<string, unknown> });
    const inst = await this.installations.get(installationId);
    try {
      const target = this.catalog.find(inst.app, params.to.version, params.to.packageVersion);
      if (!target) throw new UserError(`${inst.app} ${params.to.version} is no longer in the catalog`);
      if (inst.version !== params.from.version || inst.packageVersion !== params.from.packageVersion) throw new ConflictError(`${inst.name} now runs ${inst.version}, not ${params.from.version}; look at the updates again`);
      const running = await this.installations.runningApp(installationId);
      const { config, problems } = carryConfig(running.manifest, target.manifest, inst.config, params.decisions);
      if (problems.length) throw new UserError(`the configuration does not fit ${target.manifest.version}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);

      await this.tasks.update(taskId, { status: 'running', message: 'taking a snapshot before the update' });
      const snapshot = await this.backups.snapshotHeld(taskId, installationId, (p, m) => h.progress(p * 0.4, m), { reason: 'pre-update' });
      await save({ snapshot });
      h.log(`pre-update snapshot ${snapshot.slice(0, 8)}`);
      failpoint('update:snapshotted');

      h.progress(40, `preparing ${inst.app} ${target.manifest.version}`);
      await this.prepareImages(inst, target, h.log);
      failpoint('update:prepared');

      await save({ switched: true });
      await this.installations.switchVersion(installationId, { ...target, config, status: 'updating' });
      failpoint('update:switched');
      h.progress(60, `switching to ${target.manifest.version}`);
      await this.installations.convergeHeld(taskId, installationId);
      failpoint('update:converged');
      await this.installations.markRunning(installationId);
      await this.tasks.flush(taskId);
      await this.tasks.update(taskId, { status: 'succeeded', percent: 100, message: `updated ${inst.name} from ${params.from.version} to ${target.manifest.version}` });
    } catch (err) {
      const reason = (err as Error).message;
      h.log(`update failed: ${reason}`);
      if (!params.switched) {
        await this.installations.markRunning(installationId);
        await this.tasks.update(taskId, { status: 'failed', message: `update failed before anything changed; ${inst.name} keeps running ${params.from.version}`, error: reason });
        return;
      }
      await this.rollBack(taskId, installationId, params, reason);
    }
  }

  /** Builds or pulls the new version's images while the old version still serves */
  private async prepareImages(inst: Installation, target: CatalogApp, log: (l: string) => void) {
    const ctx = await this.hosts.context(inst.host);
    for (const [component, image] of Object.entries(target.images)) {
      try {
        if (image.context) await ensureImage(ctx.runtime, image.ref, image.context, log);
        else if (!(await ctx.runtime.imageExists(image.ref))) await ctx.runtime.pullImage(image.ref, log);
      } catch (err) {
        throw new Error(`the image of ${component} (${image.ref}) could not be made: ${(err as Error).message}`);
      }
    }
  }

  /** Restores the pre-update snapshot: the previous version, config and data serve again */
  private async rollBack(taskId: string, installationId: string, params: UpdateParams, reason: string) {
    const h = this.tasks.handle(taskId);
    const inst = await this.installations.get(installationId);
    params.failure ??= reason;
    await this.tasks.update(taskId, { status: 'rolling_back', message: `update failed: rolling back to ${params.from.version}`, params: params as unknown as Record<string, unknown> });
    try {
      if (!params.snapshot) throw new Error('no pre-update snapshot was recorded');
      // A migration the crash left running must not write into the data being restored.
      const ctx = await this.hosts.context(inst.host);
      const running = await this.installations.runningApp(installationId);
      for (const c of Object.keys(running.manifest.components)) await ctx.runtime.remove(`${names.container(inst.name, c)}-migrate`);
      const snapshot = await this.backups.snapshotOf(inst.name, params.snapshot);
      await this.backups.restoreHeld(taskId, installationId, snapshot, (p, m) => h.progress(p, `rolling back: ${m}`));
      failpoint('update:rolled-back');
      await this.tasks.flush(taskId);
      await this.tasks.update(taskId, {
        status: 'rolled_back',
        percent: 100,
        message: `the update to ${params.to.version} failed and was rolled back: ${inst.name} runs ${params.from.version} again, with its data as before the update`,
        error: params.failure,
      });
    } catch (err) {
      await this.installations.markFailed(installationId);
      await this.tasks.update(taskId, {
        status: 'failed',
        message: 'the update failed and so did its rollback',
        error: `${params.failure}\nrollback: ${(err as Error).message}${params.snapshot ? `\nRestore the pre-update snapshot by hand: freehold restore ${inst.name} ${params.snapshot.slice(0, 8)}` : ''}`,
      });
    }
  }

  /** Goes back to the state before the last update: its pre-update snapshot (version, config and data) */
  async rollback(nameOrId: string): Promise<Task> {
    const inst = await this.installations.get(nameOrId);
    const last = (await this.tasks.list({ installationId: inst.id, limit: 200 })).find((t) => t.kind === 'update' && t.status === 'succeeded');
    const params = last?.params as unknown as UpdateParams | undefined;
    if (!last || !params?.snapshot) throw new UserError(`${inst.name} has no update to roll back (see "freehold tasks --installation ${inst.name}")`);
    if (inst.version !== params.to.version || inst.packageVersion !== params.to.packageVersion) {
      throw new ConflictError(`${inst.name} runs ${inst.version}, not ${params.to.version} as its last update left it; restore a snapshot instead (see "freehold backups ${inst.name}")`);
    }
    const snapshot = await this.backups.snapshotOf(inst.name, params.snapshot);
    const task = await this.tasks.create('rollback', inst.id, { snapshot: snapshot.id, from: params.to, to: params.from }, `rolling ${inst.name} back to ${params.from.version}`);
    void this.installations.exclusive(inst.id, () => this.runRollback(task.id, inst.id, snapshot.id));
    return task;
  }

  private async runRollback(taskId: string, installationId: string, snapshotId: string) {
    const h = this.tasks.handle(taskId);
    const inst = await this.installations.get(installationId);
    await this.tasks.update(taskId, { status: 'running', message: 'restoring the pre-update snapshot' });
    try {
      await this.backups.restoreHeld(taskId, installationId, await this.backups.snapshotOf(inst.name, snapshotId), h.progress);
      const now = await this.installations.get(installationId);
      await this.tasks.flush(taskId);
      await this.tasks.update(taskId, { status: 'succeeded', percent: 100, message: `${inst.name} runs ${now.version} again, with its data as before the update` });
    } catch (err) {
      await this.tasks.update(taskId, { status: 'failed', message: 'rollback failed', error: (err as Error).message });
    }
  }

  /** After a crash: an update not yet switched has changed nothing; one switched rolls back */
  resume(task: Task): Promise<unknown> {
    const id = task.installationId!;
    const params = task.params as unknown as UpdateParams & { snapshot: string };
    return this.installations.exclusive(id, async () => {
      if (task.kind === 'rollback') return this.runRollback(task.id, id, params.snapshot);
      if (params.switched) return this.rollBack(task.id, id, params, 'the control plane stopped during the update');
      await this.installations.markRunning(id);
      await this.tasks.update(task.id, { status: 'failed', message: `update interrupted before anything changed; the app keeps running ${params.from.version}`, error: 'the control plane stopped during the update; run it again' });
    });
  }

  async policy(nameOrId: string): Promise<UpdatePolicy> {
    const inst = await this.installations.get(nameOrId);
    const stored = await this.settings.get(`update.policy.${inst.name}`);
    return stored ? (JSON.parse(stored) as UpdatePolicy) : DEFAULT_UPDATE_POLICY;
  }

  async setPolicy(nameOrId: string, patch: { mode?: string; window?: { start: string; end: string } | null }): Promise<UpdatePolicy> {
    const inst = await this.installations.get(nameOrId);
    const problems: { path: string; message: string }[] = [];
    if (patch.mode !== undefined && !['off', 'patch', 'minor'].includes(patch.mode)) problems.push({ path: 'mode', message: 'must be off, patch or minor' });
    if (patch.window) {
      for (const k of ['start', 'end'] as const) if (!TIME.test(String(patch.window[k]))) problems.push({ path: `window.${k}`, message: 'must be a time of day as HH:MM (24 h)' });
      if (patch.window.start === patch.window.end) problems.push({ path: 'window', message: 'must not start and end at the same time' });
    }
    if (problems.length) throw new UserError(`invalid update policy: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
    const current = await this.policy(inst.name);
    const next: UpdatePolicy = { mode: (patch.mode as UpdateMode | undefined) ?? current.mode };
    const window = patch.window === null ? undefined : patch.window ?? current.window;
    if (window) next.window = { start: window.start, end: window.end };
    await this.settings.set(`update.policy.${inst.name}`, JSON.stringify(next));
    return next;
  }

  /** The update a policy allows now, if any: the newest reachable version no bigger a step than the mode */
  private async due(inst: Installation, at: Date): Promise<{ to: string; packageVersion: number } | undefined> {
    const p = await this.policy(inst.name);
    if (p.mode === 'off' || !inWindow(p.window, at)) return undefined;
    const allowed = p.mode === 'minor' ? ['minor', 'patch', 'package'] : ['patch', 'package'];
    const offer = this.offers(inst).find((o) => o.reachable && allowed.includes(o.step));
    if (!offer) return undefined;
    // A version whose update already failed here is not tried again by itself (its failure was an alert).
    const tried = (await this.tasks.list({ installationId: inst.id, limit: 200 })).some((t) => {
      const to = (t.params as unknown as UpdateParams).to;
      return t.kind === 'update' && t.status !== 'succeeded' && to?.version === offer.version && to?.packageVersion === offer.packageVersion;
    });
    return tried ? undefined : { to: offer.version, packageVersion: offer.packageVersion };
  }

  /** Starts the updates policies ask for now; returns their tasks */
  async runDue(at = new Date()): Promise<string[]> {
    const started: string[] = [];
    for (const inst of await this.installations.list()) {
      if (inst.status !== 'running' || this.installations.isBusy(inst.id)) continue;
      try {
        const to = await this.due(inst, at);
        if (to) started.push((await this.update(inst.id, { ...to, scheduled: true })).id);
      } catch (err) {
        this.log(`scheduled update of ${inst.name}: ${(err as Error).message}`);
      }
    }
    return started;
  }

  private readonly periodic = new Periodic(() => this.runDue(), (err) => this.log(`scheduled updates failed: ${err.message}`));

  start(intervalMs: number) {
    this.periodic.start(intervalMs);
  }

  stop() {
    return this.periodic.stop();
  }
}
