/**
 * Snapshots of installations: one restic snapshot = the addons' dumps, the installation's volume
 * (minus the manifest's exclusions), its config and its app version. Backup and restore run as
 * tasks with progress, one at a time per installation (with its other tasks).
 */
import { mkdirSync, rmSync, readFileSync, writeFileSync, existsSync, renameSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { ResticError, type Restic, type Retention, type Snapshot } from '../drivers/backup/restic.js';
import { Locks } from '../lib/locks.js';
import type { BackupTargets } from './backup-targets.js';
import { addonDriver } from '../drivers/addons/index.js';
import { names, type HostContext } from '../engine/kinds/context.js';
import { failpoint } from '../lib/failpoint.js';
import type { Tasks, Task } from '../engine/tasks.js';
import type { AppImages, Catalog } from './catalog.js';
import type { Json } from '../engine/resource.js';
import type { Hosts } from './hosts.js';
import type { Installation, Installations, RunningApp } from './installations.js';
import { NotFoundError, UnavailableError, UserError } from './errors.js';
import type { Manifest } from '../manifest/schema.js';
import { generatedSecretVersions, restoreGeneratedSecrets, type SecretVersionRef } from '../engine/kinds/secret.js';

interface SnapshotMeta {
  installation: string;
  app: string;
  version: string;
  packageVersion: number;
  config: Record<string, Json>;
  addons: string[];
  createdAt: string;
  /** What the installation ran, so a restore brings the app version back with the data (absent before 0.1) */
  manifest?: Manifest;
  images?: AppImages;
  /**
   * The version of each generated secret in the secrets backend, with its time (never a value: a
   * restore brings these versions back from the backend; absent before they were kept there)
   */
  secrets?: Record<string, SecretVersionRef>;
}

type Progress = (percent: number, message: string) => void;

export class Backups {
  /** Each installation's snapshots as last listed (snapshots are only added by this process or removed by forget) */
  private listed = new Map<string, Snapshot[]>();
  private repositoryLocks = new Locks();

  constructor(
    private readonly tasks: Tasks,
    private readonly catalog: Catalog,
    private readonly hosts: Hosts,
    private readonly installations: Installations,
    private readonly targets: BackupTargets,
    private readonly dataDir: string,
  ) {}

  private staging(installation: string) {
    return join(this.dataDir, 'staging', installation);
  }

  private async hook(installation: string, manifest: Manifest, which: 'preBackup' | 'postBackup', hostId: string, log: (l: string) => void) {
    const hook = manifest.hooks?.[which];
    if (!hook) return;
    const ctx = await this.hosts.context(hostId);
    log(`running ${which} hook: ${hook.command.join(' ')}`);
    const r = await ctx.runtime.exec(names.container(installation, hook.component), hook.command);
    if (r.code !== 0) throw new Error(`${which} hook failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`);
  }

  /**
   * After a crash: a backup is taken again from the start (restic writes a snapshot only when it
   * is complete, so none was left half-made); a restore is run again from the start (it replaces
   * everything it restores, so a half-done one is overwritten); a clone that had not finished is
   * removed, with the installation it was making.
   */
  resume(task: Task): Promise<unknown> {
    const id = task.installationId!;
    if (task.kind === 'backup') return this.installations.exclusive(id, () => this.runBackup(task.id, id));
    if (task.kind === 'restore') {
      return this.installations.exclusive(id, async () => {
        const inst = await this.installations.get(id);
        return this.runRestore(task.id, id, await this.find(inst.name, String(task.params.snapshot)), { undo: true });
      });
    }
    return (async () => {
      await this.tasks.update(task.id, { status: 'failed', message: 'clone interrupted by a restart', error: 'the control plane stopped during the clone; the unfinished clone is removed: clone again' });
      await this.installations.uninstall(id);
    })();
  }

  async list(nameOrId: string): Promise<Snapshot[]> {
    const inst = await this.installations.get(nameOrId);
    try {
      const found = await this.withRepository(await this.targets.targetOf(inst.name), (restic) => restic.snapshots({ installation: inst.name }));
      const list = found.sort((a, b) => b.time.localeCompare(a.time));
      this.listed.set(inst.name, list);
      return list;
    } catch (err) {
      // The target is down or refuses us: the user can act on that, so it is not an internal error.
      if (err instanceof ResticError) throw new UnavailableError(err.message);
      throw err;
    }
  }

  async backup(nameOrId: string, params: { scheduled?: boolean } = {}): Promise<Task> {
    const inst = await this.installations.get(nameOrId);
    const task = await this.tasks.create('backup', inst.id, params, `${params.scheduled ? 'scheduled backup of' : 'backing up'} ${inst.name}`);
    void this.installations.exclusive(inst.id, () => this.runBackup(task.id, inst.id));
    return task;
  }

  /** Keeps only the snapshots the retention wants, and frees the space of the others */
  async prune(installation: string, keep: Retention) {
    await this.withRepository(await this.targets.targetOf(installation), (restic) => restic.forget({ installation }, keep));
    this.listed.delete(installation);
  }

  /** Targets some installation backs up to */
  async targetsInUse(): Promise<string[]> {
    return (await this.targets.list()).filter((t) => t.installations.length).map((t) => t.name);
  }

  /** Checks a target's repository for integrity, as a task */
  async check(target: string): Promise<Task> {
    if (!(await this.targets.list()).some((t) => t.name === target)) throw new NotFoundError(`no backup target "${target}" (see "freehold targets list")`);
    const task = await this.tasks.create('check', null, { target }, `checking backup target ${target}`);
    void (async () => {
      await this.tasks.update(task.id, { status: 'running' });
      try {
        await this.withRepository(target, (restic) => restic.check());
        await this.tasks.update(task.id, { status: 'succeeded', percent: 100, message: `backup target ${target}: no errors found` });
      } catch (err) {
        await this.tasks.update(task.id, { status: 'failed', message: `backup target ${target} has errors`, error: (err as Error).message });
      }
    })();
    return task;
  }

  private async runBackup(taskId: string, installationId: string) {
    const h = this.tasks.handle(taskId);
    await this.tasks.update(taskId, { status: 'running', message: 'dumping the addons' });
    try {
      const id = await this.snapshotHeld(taskId, installationId, h.progress);
      await this.tasks.flush(taskId);
      await this.tasks.update(taskId, { status: 'succeeded', percent: 100, message: `snapshot ${id.slice(0, 8)}` });
    } catch (err) {
      await this.tasks.update(taskId, { status: 'failed', message: 'backup failed; the app keeps running', error: (err as Error).message });
    }
  }

  /**
   * Takes a snapshot of an installation within a task that holds its lock (a backup, an update);
   * returns the snapshot's id. The app keeps running, but for its pre/post-backup hooks.
   */
  async snapshotHeld(taskId: string, installationId: string, progress: Progress, tags: Record<string, string> = {}): Promise<string> {
    const h = this.tasks.handle(taskId);
    const inst = await this.installations.get(installationId);
    const { manifest, images } = await this.installations.runningApp(installationId);
    const ctx = await this.hosts.context(inst.host);
    const staging = this.staging(inst.name);
    try {
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging, { recursive: true, mode: 0o700 });
      const addons = Object.keys(manifest.addons ?? {}).filter((k) => k !== 'volume');
      const secrets = await generatedSecretVersions(ctx, inst.name, manifest.secrets);
      const meta: SnapshotMeta = { installation: inst.name, app: inst.app, version: inst.version, packageVersion: inst.packageVersion, config: inst.config, addons, createdAt: new Date().toISOString(), manifest, images, secrets };
      writeFileSync(join(staging, 'meta.json'), JSON.stringify(meta, null, 2));
      await this.hook(inst.name, manifest, 'preBackup', inst.host, h.log);
      try {
        for (const kind of addons) {
          const dir = join(staging, 'addons', kind);
          mkdirSync(dir, { recursive: true });
          h.log(`dumping ${kind}`);
          await addonDriver(kind).backup({ ...ctx.addons, log: h.log }, { installation: inst.name, network: names.network(inst.name) }, dir);
        }
      } finally {
        await this.hook(inst.name, manifest, 'postBackup', inst.host, h.log);
      }
      failpoint('backup:dumped');
      progress(10, 'writing the snapshot');
      const volume = join(this.dataDir, 'volumes', inst.name);
      const id = await this.withRepository(await this.targets.targetOf(inst.name), (restic) => restic.backup([staging, volume], {
        tags: { ...tags, installation: inst.name, app: inst.app, version: inst.version, package: String(inst.packageVersion) },
        exclude: (manifest.state?.exclude ?? []).map((p) => join(volume, p.replace(/^\/data\/?/, ''))),
        onProgress: (p) => progress(10 + p.percent * 0.9, `writing the snapshot (${Math.round(p.percent)}%)`),
      }));
      this.listed.delete(inst.name);
      return id;
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }

  async restore(nameOrId: string, snapshot: string): Promise<Task> {
    const inst = await this.installations.get(nameOrId);
    const found = await this.find(inst.name, snapshot);
    const task = await this.tasks.create('restore', inst.id, { snapshot: found.id }, `restoring ${inst.name} to ${found.shortId}`);
    void this.installations.exclusive(inst.id, () => this.runRestore(task.id, inst.id, found, { undo: true }));
    return task;
  }

  /**
   * A new installation of the same app, with the data of a snapshot of another one. It gets its
   * own name, domain, network, databases and secrets; a write to one never shows in the other.
   */
  async clone(sourceName: string, snapshot: string, req: { domain: string; name?: string }): Promise<{ installation: Installation; task: Task }> {
    const src = await this.installations.get(sourceName);
    const found = await this.find(src.name, snapshot);
    const secrets = await this.installations.secretsOf(src.id);
    const { installation, task: installTask } = await this.installations.install({ app: src.app, domain: req.domain, name: req.name, config: src.config, host: src.host, secrets });
    const task = await this.tasks.create('clone', installation.id, { source: src.name, snapshot: found.id, install: installTask.id }, `cloning ${src.name} (${found.shortId}) as ${installation.name}`);
    void (async () => {
      const installed = await this.tasks.wait(installTask.id);
      if (installed.status !== 'succeeded') {
        await this.tasks.update(task.id, { status: 'failed', message: 'clone failed', error: `${installation.name} could not be installed: ${installed.error}` });
        return;
      }
      const ok = await this.installations.exclusive(installation.id, () => this.runRestore(task.id, installation.id, found));
      // A clone without its data is not what was asked for: remove it rather than leave it empty.
      if (!ok) await this.installations.uninstall(installation.id);
    })();
    return { installation, task };
  }

  /**
   * One restic operation at a time per target: prune and check lock a repository exclusively,
   * and restic 0.14 fails at once (no --retry-lock) instead of waiting for another process's lock.
   */
  private withRepository<T>(target: string, fn: (restic: Restic) => Promise<T>): Promise<T> {
    return this.repositoryLocks.with(target, async () => fn(await this.targets.open(target)));
  }

  /** A snapshot of the installation by id or id prefix, or an error that says where to look */
  private async find(installation: string, snapshot: string): Promise<Snapshot> {
    if (!/^[0-9a-f]{8,64}$/.test(snapshot)) throw new UserError(`"${snapshot}" is not a snapshot id (see "freehold backups ${installation}")`);
    // The last listing answers without a restic call (~0.7 s) when it has the snapshot.
    const match = (list?: Snapshot[]) => list?.find((s) => s.id.startsWith(snapshot));
    const found = match(this.listed.get(installation)) ?? match(await this.list(installation));
    if (!found) throw new NotFoundError(`no snapshot ${snapshot} of ${installation} (see "freehold backups ${installation}")`);
    return found;
  }

  /** Restores a snapshot (of this installation, or of another one for a clone); false if it failed */
  private async runRestore(taskId: string, installationId: string, snapshot: Snapshot, opts: { undo?: boolean } = {}): Promise<boolean> {
    const h = this.tasks.handle(taskId);
    await this.tasks.update(taskId, { status: 'running', message: 'restoring' });
    try {
      await this.restoreHeld(taskId, installationId, snapshot, h.progress, opts);
      await this.tasks.flush(taskId);
      await this.tasks.update(taskId, { status: 'succeeded', percent: 100, message: `restored to snapshot ${snapshot.shortId}` });
      return true;
    } catch (err) {
      if (err instanceof RestoreUndone) {
        const inst = await this.installations.get(installationId);
        await this.tasks.update(taskId, { status: err.replaced ? 'rolled_back' : 'failed', message: `the restore to ${snapshot.shortId} failed${err.replaced ? ' and was undone' : ''}: ${inst.name} serves its data as before`, error: err.message });
      } else {
        await this.tasks.update(taskId, { status: 'failed', message: 'restore failed', error: (err as Error).message });
      }
      return false;
    }
  }

  /** A snapshot by id (prefix) of an installation, checked to exist */
  snapshotOf(installation: string, snapshot: string): Promise<Snapshot> {
    return this.find(installation, snapshot);
  }

  /**
   * Puts an installation back as a snapshot holds it, within a task that holds its lock (a
   * restore, a clone, an update's rollback): its data, and the app version and config it ran
   * then. Then converges it: the app runs and passes its health check, or this throws.
   *
   * The app is stopped as the reading starts, not after it: what it would accept meanwhile is
   * about to be replaced, so it would be lost without a word (as Cloudron and YunoHost also do),
   * and its stop costs no time beside the reading. With undo (a restore asked for by hand), a
   * failure puts the installation back as it was (its data, databases, version, config and
   * secrets) and throws RestoreUndone; a rollback or a clone has nothing better to go back to.
   */
  async restoreHeld(taskId: string, installationId: string, snapshot: Snapshot, progress: Progress, opts: { undo?: boolean } = {}): Promise<void> {
    const h = this.tasks.handle(taskId);
    const inst = await this.installations.get(installationId);
    const from = snapshot.tags.installation;
    const ctx = await this.hosts.context(inst.host);
    const scratch = join(this.dataDir, 'staging', `restore-${taskId}`);
    const running = await this.installations.runningApp(installationId);
    const volume = join(this.dataDir, 'volumes', inst.name);
    // What an undo puts back: the data is renamed aside (kept in the scratch directory until the
    // end), the databases are dumped before they are replaced.
    const before = { old: join(scratch, 'previous-data'), dumps: join(scratch, 'previous-addons'), dumped: [] as string[], secrets: opts.undo ? await generatedSecretVersions(ctx, inst.name, running.manifest.secrets) : {} };
    let replaced = false;
    try {
      rmSync(scratch, { recursive: true, force: true }); // left by a run that was interrupted
      this.sweepDiscarded();
      progress(10, 'stopping the app and reading the snapshot');
      const reading = this.withRepository(await this.targets.targetOf(from), (restic) => restic.restore(snapshot.id, scratch)).then(() => h.log(`snapshot ${snapshot.shortId} read`));
      // Both settle before going on, so a failed reading never races the stop.
      const [stopped, read] = await Promise.allSettled([this.stopApp(ctx, inst.name, running.manifest).then(() => h.log('the app is stopped')), reading]);
      if (read.status === 'rejected') throw read.reason;
      if (stopped.status === 'rejected') throw stopped.reason;
      failpoint('restore:stopped');
      const staged = join(scratch, this.staging(from));
      const meta = JSON.parse(readFileSync(join(staged, 'meta.json'), 'utf8')) as SnapshotMeta;
      if (meta.installation !== from || meta.app !== inst.app) throw new UserError(`snapshot ${snapshot.shortId} holds ${meta.app} ${meta.installation}, which cannot be restored into ${inst.app} ${inst.name}`);
      const then = this.appThen(meta, inst, running, snapshot);
      progress(50, 'restoring the data');
      replaced = true;
      mkdirSync(before.old);
      moveEntries(volume, before.old);
      moveEntries(join(scratch, this.dataDir, 'volumes', from), volume);
      h.log(`the data of snapshot ${snapshot.shortId} is in place`);
      for (const kind of meta.addons) {
        if (opts.undo && kind in (running.manifest.addons ?? {})) {
          mkdirSync(join(before.dumps, kind), { recursive: true });
          h.log(`dumping ${kind} as it is now, for an undo`);
          await addonDriver(kind).backup({ ...ctx.addons, log: h.log }, { installation: inst.name, network: names.network(inst.name) }, join(before.dumps, kind));
          before.dumped.push(kind);
        }
        h.log(`restoring ${kind}`);
        await addonDriver(kind).restore({ ...ctx.addons, log: h.log }, { installation: inst.name, network: names.network(inst.name) }, join(staged, 'addons', kind));
      }
      failpoint('restore:restored');
      if (then.manifest.version !== inst.version || then.manifest.packageVersion !== inst.packageVersion) h.log(`the snapshot was taken with ${inst.app} ${then.manifest.version}: running that version again`);
      await this.installations.switchVersion(installationId, { ...then, config: meta.config ?? inst.config, status: 'running' });
      // The secrets the data was made with (a clone: its source's then); converging applies them.
      await restoreGeneratedSecrets(ctx, { from, to: inst.name, versions: meta.secrets ?? {}, declared: then.manifest.secrets, log: h.log });
      progress(80, 'starting the app');
      // The stopped containers are drift: converging starts them and waits for their health checks.
      await this.installations.convergeHeld(taskId, installationId);
    } catch (err) {
      if (!opts.undo) throw err;
      h.log(`the restore failed: ${(err as Error).message}`);
      h.log(replaced ? 'putting back what it replaced' : 'nothing was replaced: starting the app again on its own data');
      try {
        if (replaced) await this.putBack(taskId, { inst, running, ctx, volume, scratch, ...before });
        await this.installations.convergeHeld(taskId, installationId);
      } catch (undoErr) {
        await this.installations.markFailed(installationId);
        throw new Error(`${(err as Error).message}\nputting ${inst.name} back as it was failed too: ${(undoErr as Error).message}`);
      }
      throw new RestoreUndone((err as Error).message, replaced);
    } finally {
      this.discard(scratch);
    }
  }

  private stopApp(ctx: HostContext, installation: string, manifest: Manifest) {
    return Promise.all(Object.keys(manifest.components).map((c) => ctx.runtime.stop(names.container(installation, c), 20)));
  }

  /** Undoes a restore that replaced data: the data, databases, version, config and secrets before it */
  private async putBack(taskId: string, o: { inst: Installation; running: RunningApp; ctx: HostContext; volume: string; scratch: string; old: string; dumps: string; dumped: string[]; secrets: Record<string, SecretVersionRef> }) {
    const h = this.tasks.handle(taskId);
    const now = await this.installations.runningApp(o.inst.id);
    await Promise.all([this.stopApp(o.ctx, o.inst.name, now.manifest), this.stopApp(o.ctx, o.inst.name, o.running.manifest)]);
    const failed = join(o.scratch, 'failed-data');
    mkdirSync(failed, { recursive: true });
    moveEntries(o.volume, failed);
    moveEntries(o.old, o.volume);
    for (const kind of o.dumped) {
      h.log(`putting ${kind} back`);
      await addonDriver(kind).restore({ ...o.ctx.addons, log: h.log }, { installation: o.inst.name, network: names.network(o.inst.name) }, join(o.dumps, kind));
    }
    await this.installations.switchVersion(o.inst.id, { ...o.running, config: o.inst.config, status: 'running' });
    await restoreGeneratedSecrets(o.ctx, { from: o.inst.name, to: o.inst.name, versions: o.secrets, declared: o.running.manifest.secrets, log: h.log });
  }

  /**
   * Deletes a directory after the task is done rather than within it (the old data of a 1 GiB
   * restore takes a while to delete): renamed at once, so a new run never meets it, deleted in
   * the background; what a crash leaves is deleted when the next restore starts.
   */
  private discard(dir: string) {
    if (!existsSync(dir)) return;
    mkdirSync(this.discarded, { recursive: true });
    const target = join(this.discarded, `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
    renameSync(dir, target);
    void rm(target, { recursive: true, force: true }).catch(() => undefined);
  }

  private get discarded() {
    return join(this.dataDir, 'staging', 'discarded');
  }

  private sweepDiscarded() {
    if (existsSync(this.discarded)) for (const e of readdirSync(this.discarded)) void rm(join(this.discarded, e), { recursive: true, force: true }).catch(() => undefined);
  }

  /** The app version a snapshot was taken with: kept in the snapshot, or found in the catalog */
  private appThen(meta: SnapshotMeta, inst: Installation, running: RunningApp, snapshot: Snapshot): RunningApp {
    if (meta.manifest && meta.images) return { manifest: meta.manifest, images: meta.images };
    if (meta.version === inst.version && meta.packageVersion === inst.packageVersion) return running;
    const found = this.catalog.find(inst.app, meta.version, meta.packageVersion);
    if (found) return found;
    throw new UserError(`snapshot ${snapshot.shortId} was taken with ${inst.app} ${meta.version} (package ${meta.packageVersion}), which the catalog no longer has; add that version to the catalog to restore it`);
  }
}

/** A restore that failed and put the installation back as it was (replaced: data had been replaced) */
export class RestoreUndone extends Error {
  constructor(message: string, readonly replaced: boolean) {
    super(message);
  }
}

/** Moves a directory's entries into another (renames: the same filesystem) */
function moveEntries(from: string, to: string) {
  if (!existsSync(from)) return;
  for (const entry of readdirSync(from)) renameSync(join(from, entry), join(to, entry));
}
