/**
 * Installation use cases: install, uninstall, plan, apply, list, status, logs. Every change runs
 * as a task; one task at a time per installation.
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.js';
import { now } from '../store/index.js';
import type { InstallationTable } from '../store/schema.js';
import { apply, observe, teardown } from '../engine/apply.js';
import { plan as planSteps, inputHash, type Step } from '../engine/plan.js';
import { expand } from '../engine/expand.js';
import type { Records } from '../engine/records.js';
import type { HandlerRegistry, Json } from '../engine/resource.js';
import { names, type HostContext } from '../engine/kinds/context.js';
import type { Task, Tasks } from '../engine/tasks.js';
import type { AppImages, Catalog } from './catalog.js';
import type { Manifest } from '../manifest/schema.js';
import { compareVersions } from '../manifest/versions.js';
import type { Hosts } from './hosts.js';
import { mergeConfig, parseSets, validateConfig } from './config.js';
import { ConflictError, NotFoundError, UnavailableError, UserError } from './errors.js';
import type { Placement } from './placement.js';
import { Locks } from '../lib/locks.js';
import { putBackGeneratedSecret, rotateGeneratedSecret } from '../engine/kinds/secret.js';
import type { Installation } from '../api/views.js';

export type { Installation };

export interface InstallRequest {
  app: string;
  /** App version from the catalog (default: the newest) */
  version?: string;
  /** "blog" (becomes blog.<default suffix>) or a full domain name */
  domain: string;
  name?: string;
  host?: string;
  config?: Record<string, Json>;
  set?: string[];
  /** Generated secrets to start from instead of new ones (a clone keeps its source's: its data refers to them) */
  secrets?: Record<string, string>;
}

/** What an installation runs: its app version's manifest and images */
export interface RunningApp {
  manifest: Manifest;
  images: AppImages;
}

/** Moves an installation to another app version (an update, a rollback, a restore of an older snapshot) */
export interface AppVersionChange extends RunningApp {
  config: Record<string, Json>;
  status: string;
}

/** The columns an installation's view needs (not its manifest: large, and not shown) */
const VIEW_COLUMNS = ['id', 'name', 'app_id', 'app_version', 'package_version', 'host_id', 'domain', 'config', 'status', 'created_at', 'updated_at'] as const;
type ViewRow = Pick<InstallationTable, (typeof VIEW_COLUMNS)[number]>;

const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const UNPROVIDED_ADDONS = ['s3', 'smtp', 'oidc'];

export class Installations {
  private locks = new Locks();

  constructor(
    private readonly db: Store,
    private readonly tasks: Tasks,
    private readonly records: Records,
    private readonly catalog: Catalog,
    private readonly hosts: Hosts,
    private readonly handlers: HandlerRegistry<HostContext>,
    private readonly domainSuffix: string,
    /** Names on configured domains get DNS records and a certificate (none in benchmarks) */
    private readonly placement?: Placement,
  ) {}

  private async view(row: ViewRow): Promise<Installation> {
    return this.viewWith(row, await this.hosts.context(row.host_id), this.newer(row));
  }

  private viewWith(row: ViewRow, ctx: HostContext, updateAvailable: string | undefined): Installation {
    return {
      id: row.id,
      name: row.name,
      app: row.app_id,
      version: row.app_version,
      packageVersion: row.package_version,
      host: row.host_id,
      domain: row.domain,
      url: ctx.edge.url(row.domain),
      config: JSON.parse(row.config),
      status: row.status,
      ...(updateAvailable && { updateAvailable }),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** The newest version of the installation's app in the catalog, when newer than what it runs */
  private newer(row: Pick<InstallationTable, 'app_id' | 'app_version' | 'package_version'>): string | undefined {
    if (!this.catalog.has(row.app_id)) return undefined;
    const { manifest } = this.catalog.get(row.app_id);
    return compareVersions(manifest, { version: row.app_version, packageVersion: row.package_version }) > 0 ? `${manifest.version} (package ${manifest.packageVersion})` : undefined;
  }

  /**
   * The list as last read: dashboards poll it, and every write to the installations table goes
   * through this class, which drops it then. The same array is shared: callers must not change it.
   */
  private listed?: Promise<Installation[]>;

  private changed() {
    this.listed = undefined;
  }

  /** Every installation; cheap enough to be polled (dashboards) */
  list(): Promise<Installation[]> {
    const p = (this.listed ??= this.readList());
    p.catch(() => this.listed === p && this.changed());
    return p;
  }

  /** No manifests read, one lookup per host and app version */
  private async readList(): Promise<Installation[]> {
    const rows = await this.db.selectFrom('installations').select(VIEW_COLUMNS).orderBy('name').execute();
    const contexts = new Map<string, HostContext>();
    for (const host of new Set(rows.map((r) => r.host_id))) contexts.set(host, await this.hosts.context(host));
    const newer = new Map<string, string | undefined>();
    return rows.map((r) => {
      const key = `${r.app_id}\0${r.app_version}\0${r.package_version}`;
      if (!newer.has(key)) newer.set(key, this.newer(r));
      return this.viewWith(r, contexts.get(r.host_id)!, newer.get(key));
    });
  }

  private async row(nameOrId: string) {
    const row = await this.db
      .selectFrom('installations')
      .selectAll()
      .where((eb) => eb.or([eb('name', '=', nameOrId), eb('id', '=', nameOrId)]))
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`no installation "${nameOrId}" (see "freehold list")`);
    return row;
  }

  async get(nameOrId: string) {
    return this.view(await this.row(nameOrId));
  }

  /** The manifest and images the installation runs (rows older than migration 0004: the catalog's) */
  appOf(row: InstallationTable): RunningApp {
    if (row.manifest && row.images) return { manifest: JSON.parse(row.manifest), images: JSON.parse(row.images) };
    return this.catalog.find(row.app_id, row.app_version, row.package_version) ?? this.catalog.get(row.app_id);
  }

  /** What an installation runs, by name or id */
  async runningApp(nameOrId: string): Promise<RunningApp> {
    return this.appOf(await this.row(nameOrId));
  }

  /** The installation's row, for services that act on it within its lock */
  async record(nameOrId: string): Promise<InstallationTable> {
    return this.row(nameOrId);
  }

  /** Records that the installation now runs another app version (the caller converges it) */
  async switchVersion(installationId: string, to: AppVersionChange) {
    await this.db
      .updateTable('installations')
      .set({ app_version: to.manifest.version, package_version: to.manifest.packageVersion, manifest: JSON.stringify(to.manifest), images: JSON.stringify(to.images), config: JSON.stringify(to.config), status: to.status, updated_at: now() })
      .where('id', '=', installationId)
      .execute();
    this.changed();
  }

  async markRunning(installationId: string) {
    await this.setStatus(installationId, 'running');
  }

  async markFailed(installationId: string) {
    await this.setStatus(installationId, 'failed');
  }

  /** Desired resources of an installation row (the reconcile loop plans many at once) */
  async desiredOf(row: InstallationTable, url: string) {
    const app = this.appOf(row);
    const pub = await this.placement?.of(row.domain, row.host_id);
    return expand({ name: row.name, domain: row.domain, url, host: row.host_id, config: JSON.parse(row.config), public: pub }, app.manifest, app.images);
  }

  private async desired(row: InstallationTable) {
    const ctx = await this.hosts.context(row.host_id);
    return { ctx, desired: await this.desiredOf(row, ctx.edge.url(row.domain)) };
  }

  /** Refuses early, before anything is made, when the host's drivers cannot be used */
  private async preflight(ctx: HostContext) {
    try {
      await ctx.runtime.ping();
      await ctx.edge.ping();
    } catch (err) {
      throw new UnavailableError((err as Error).message);
    }
  }

  /** A domain name as given (a bare name goes under the default suffix, e.g. calendar.localhost), checked */
  private domainOf(given: string): string {
    const domain = given.includes('.') ? given.toLowerCase() : `${given.toLowerCase()}.${this.domainSuffix}`;
    if (!DOMAIN.test(domain)) throw new UserError(`domain "${given}" is not a valid domain name (letters, digits and dashes, labels separated by dots)`, [{ path: 'domain', message: 'is not a valid domain name' }]);
    return domain;
  }

  async install(req: InstallRequest): Promise<{ installation: Installation; task: Task }> {
    const app = req.version === undefined ? this.catalog.get(req.app) : this.catalog.find(req.app, req.version);
    if (!app) throw new NotFoundError(`no version ${req.version} of ${req.app} in the catalog (versions: ${this.catalog.versions(req.app).map((a) => a.manifest.version).join(', ')})`);
    const domain = this.domainOf(req.domain);
    const name = req.name ?? domain.split('.')[0];
    if (!NAME.test(name)) throw new UserError(`installation name "${name}" must start with a letter and hold only lowercase letters, digits and dashes (at most 31)`, [{ path: 'name', message: 'is not a valid installation name' }]);
    const missing = Object.keys(app.manifest.addons ?? {}).filter((a) => UNPROVIDED_ADDONS.includes(a));
    if (missing.length) throw new UserError(`${app.manifest.id} needs ${missing.join(', ')}, which this Freehold does not provide yet`);
    const config = validateConfig(app.manifest, mergeConfig(req.config ?? {}, parseSets(req.set ?? [], app.manifest.config?.schema)));
    const hostId = req.host ?? 'local';
    const ctx = await this.hosts.context(hostId);
    const taken = await this.db.selectFrom('installations').select(['name', 'domain']).where((eb) => eb.or([eb('name', '=', name), eb('domain', '=', domain)])).executeTakeFirst();
    if (taken) throw new ConflictError(taken.name === name ? `an installation named "${name}" already exists; choose another name with --name or another domain` : `domain ${domain} is already used by installation "${taken.name}"`);
    await this.preflight(ctx);
    await this.placement?.check(domain, hostId);

    const id = randomUUID();
    const t = now();
    const row: InstallationTable = {
      id, name, app_id: app.manifest.id, app_version: app.manifest.version, package_version: app.manifest.packageVersion, host_id: hostId, domain,
      config: JSON.stringify(config), status: 'installing', manifest: JSON.stringify(app.manifest), images: JSON.stringify(app.images), created_at: t, updated_at: t,
    };
    try {
      await this.db.insertInto('installations').values(row).execute();
      this.changed();
    } catch (err) {
      if (/UNIQUE/.test(String(err))) throw new ConflictError(`an installation named "${name}" or on ${domain} already exists`);
      throw err;
    }
    const task = await this.tasks.create('install', id, { app: app.manifest.id }, `installing ${app.manifest.title} on ${domain}`);
    if (req.secrets) await this.presetSecrets(task.id, row, req.secrets);
    void this.runInstall(task.id, id);
    return { installation: await this.view(row), task };
  }

  private async setStatus(id: string, status: string) {
    await this.db.updateTable('installations').set({ status, updated_at: now() }).where('id', '=', id).execute();
    this.changed();
  }

  /** Runs fn while no other task of the installation runs (backup, restore... share the lock) */
  exclusive<T>(installationId: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.with(installationId, fn);
  }

  /** Converges an installation inside a task that already holds its lock (e.g. after a restore) */
  async convergeHeld(taskId: string, installationId: string) {
    const row = await this.db.selectFrom('installations').selectAll().where('id', '=', installationId).executeTakeFirstOrThrow();
    return this.converge(taskId, row);
  }

  /** Applies the installation's desired state as a task's steps, with progress */
  private async converge(taskId: string, row: InstallationTable) {
    const h = this.tasks.handle(taskId);
    const { ctx, desired } = await this.desired(row);
    const { steps } = await apply({
      ctx, handlers: this.handlers, records: this.records, taskId, installationId: row.id, installation: row.name, desired,
      log: h.log,
      onStep: (done, total, step) => h.progress((done / total) * 100, `${step.action} ${step.key}`),
    });
    return { ctx, steps };
  }

  /** Applies the installation; if that fails, removes everything it made and the installation */
  async runInstall(taskId: string, installationId: string, rollingBack = false) {
    await this.locks.with(installationId, async () => {
      const h = this.tasks.handle(taskId);
      const row = await this.db.selectFrom('installations').selectAll().where('id', '=', installationId).executeTakeFirst();
      if (!row) {
        await this.tasks.update(taskId, { status: 'rolled_back', message: 'installation is gone', percent: 100 });
        return;
      }
      let failure: Error | undefined;
      if (!rollingBack) {
        try {
          await this.tasks.update(taskId, { status: 'running', message: 'starting' });
          const { ctx } = await this.converge(taskId, row);
          await this.setStatus(installationId, 'running');
          await this.tasks.flush(taskId);
          await this.tasks.update(taskId, { status: 'succeeded', percent: 100, message: `running at ${ctx.edge.url(row.domain)}` });
          return;
        } catch (err) {
          failure = err as Error;
          h.log(`install failed: ${failure.message}`);
        }
      }
      await this.tasks.update(taskId, { status: 'rolling_back', message: 'install failed: removing what it made' });
      try {
        await this.removeAll(taskId, row);
        await this.db.deleteFrom('installations').where('id', '=', installationId).execute();
        this.changed();
        await this.tasks.flush(taskId);
        const error = failure?.message ?? (await this.tasks.get(taskId))?.error ?? 'interrupted';
        await this.tasks.update(taskId, { status: 'rolled_back', percent: 100, message: 'install failed and was rolled back', error });
      } catch (err) {
        await this.setStatus(installationId, 'failed');
        await this.tasks.update(taskId, { status: 'failed', message: 'rollback failed', error: `${failure?.message ?? ''}\nrollback: ${(err as Error).message}` });
      }
    });
  }

  private async removeAll(taskId: string, row: InstallationTable) {
    const h = this.tasks.handle(taskId);
    const ctx = await this.hosts.context(row.host_id);
    const desired = row.manifest || this.catalog.has(row.app_id) ? (await this.desired(row)).desired : [];
    await teardown({
      ctx, handlers: this.handlers, records: this.records, taskId, installationId: row.id, installation: row.name, desired,
      log: h.log,
      onStep: (done, total, step) => h.progress((done / total) * 100, `removed ${step.key}`),
    });
  }

  async uninstall(nameOrId: string): Promise<Task> {
    const row = await this.row(nameOrId);
    await this.setStatus(row.id, 'uninstalling');
    const task = await this.tasks.create('uninstall', row.id, { name: row.name }, `uninstalling ${row.name}`);
    void this.runUninstall(task.id, row.id);
    return task;
  }

  async runUninstall(taskId: string, installationId: string) {
    await this.locks.with(installationId, async () => {
      const row = await this.db.selectFrom('installations').selectAll().where('id', '=', installationId).executeTakeFirst();
      if (!row) {
        await this.tasks.update(taskId, { status: 'succeeded', percent: 100, message: 'already removed' });
        return;
      }
      await this.tasks.update(taskId, { status: 'running' });
      try {
        await this.removeAll(taskId, row);
        await this.db.deleteFrom('installations').where('id', '=', installationId).execute();
        this.changed();
        await this.tasks.flush(taskId);
        await this.tasks.update(taskId, { status: 'succeeded', percent: 100, message: `${row.name} removed` });
      } catch (err) {
        await this.setStatus(installationId, 'failed');
        await this.tasks.update(taskId, { status: 'failed', message: 'uninstall did not finish; run it again', error: (err as Error).message });
      }
    });
  }

  /** The changes that would bring an installation to its desired state, without making them */
  async plan(nameOrId: string): Promise<Step[]> {
    const row = await this.row(nameOrId);
    const { ctx, desired } = await this.desired(row);
    const recorded = await this.records.load(row.id);
    return planSteps(desired, recorded, await observe(ctx, this.handlers, row.name, recorded));
  }

  async apply(nameOrId: string, kind = 'apply'): Promise<Task> {
    const row = await this.row(nameOrId);
    const task = await this.tasks.create(kind, row.id, {}, `${kind} ${row.name}`);
    void this.runApply(task.id, row.id);
    return task;
  }

  async runApply(taskId: string, installationId: string) {
    await this.locks.with(installationId, async () => {
      const row = await this.db.selectFrom('installations').selectAll().where('id', '=', installationId).executeTakeFirst();
      if (!row) {
        await this.tasks.update(taskId, { status: 'failed', error: 'installation is gone' });
        return;
      }
      await this.tasks.update(taskId, { status: 'running' });
      try {
        // apply converges to the app version the installation runs; only an update changes it.
        const { steps } = await this.converge(taskId, row);
        await this.setStatus(installationId, 'running');
        await this.tasks.flush(taskId);
        await this.tasks.update(taskId, { status: 'succeeded', percent: 100, message: steps.length ? `${steps.length} change(s) applied` : 'nothing to change' });
      } catch (err) {
        await this.setStatus(installationId, 'failed');
        await this.tasks.update(taskId, { status: 'failed', message: 'apply failed', error: (err as Error).message });
      }
    });
  }

  /**
   * Changes an installation's configuration: checked against the schema of the version it runs,
   * then applied as a task (containers whose env or files change are replaced and must pass their
   * health check). If that fails, the previous configuration is applied again.
   */
  async configure(nameOrId: string, req: { config?: Record<string, Json>; set?: string[] }): Promise<Task> {
    const row = await this.row(nameOrId);
    if (row.status !== 'running') throw new ConflictError(`${row.name} is ${row.status}; only a running installation can be configured`);
    const { manifest } = this.appOf(row);
    const previous = JSON.parse(row.config) as Record<string, Json>;
    const config = validateConfig(manifest, mergeConfig(mergeConfig(previous, req.config ?? {}), parseSets(req.set ?? [], manifest.config?.schema)));
    const task = await this.tasks.create('configure', row.id, { previous, config }, `configuring ${row.name}`);
    void this.runConfigure(task.id, row.id);
    return task;
  }

  async runConfigure(taskId: string, installationId: string) {
    const { previous, config } = (await this.tasks.get(taskId))!.params as { previous: Record<string, Json>; config: Record<string, Json> };
    await this.runChange(taskId, installationId, {
      set: (values) => ({ config: JSON.stringify(values) }),
      wanted: config,
      previous,
      what: 'configuration',
      done: (steps) => (steps ? `configuration applied (${steps} change(s))` : 'configuration saved; nothing to change'),
    });
  }

  /**
   * Gives an installation another domain name, as a task: its route, and on a configured domain
   * its DNS records and certificate, follow (the new ones are made before the old ones go); the
   * app's containers are re-created when their settings name the URL. If that fails, the
   * previous name is applied again. The installation keeps its name (containers, data, snapshots).
   */
  async rename(nameOrId: string, req: { domain: string }): Promise<Task> {
    const row = await this.row(nameOrId);
    if (row.status !== 'running') throw new ConflictError(`${row.name} is ${row.status}; only a running installation can get another domain name`);
    const domain = this.domainOf(req.domain);
    if (domain === row.domain) throw new UserError(`${row.name} is already on ${domain}`, [{ path: 'domain', message: 'is the current domain name' }]);
    const taken = await this.db.selectFrom('installations').select('name').where('domain', '=', domain).executeTakeFirst();
    if (taken) throw new ConflictError(`domain ${domain} is already used by installation "${taken.name}"`);
    await this.placement?.check(domain, row.host_id);
    const task = await this.tasks.create('rename', row.id, { previous: row.domain, domain }, `moving ${row.name} from ${row.domain} to ${domain}`);
    void this.runRename(task.id, row.id);
    return task;
  }

  async runRename(taskId: string, installationId: string) {
    const { previous, domain } = (await this.tasks.get(taskId))!.params as { previous: string; domain: string };
    await this.runChange(taskId, installationId, {
      set: (d) => ({ domain: d }),
      wanted: domain,
      previous,
      what: 'domain name',
      done: () => `${domain} serves the app; ${previous} no longer does`,
    });
  }

  /**
   * A change to an installation's row applied as a task: set, then converged; if that fails, the
   * previous value is set and converged again. Run again from the start after a crash.
   */
  private async runChange<T>(taskId: string, installationId: string, c: { set: (value: T) => Partial<InstallationTable>; wanted: T; previous: T; what: string; done: (steps: number) => string }) {
    await this.locks.with(installationId, async () => {
      const set = async (value: T) => {
        await this.db.updateTable('installations').set({ ...c.set(value), updated_at: now() }).where('id', '=', installationId).execute();
        this.changed();
      };
      await this.tasks.update(taskId, { status: 'running', message: `applying the new ${c.what}` });
      try {
        await set(c.wanted);
        const { steps } = await this.converge(taskId, await this.row(installationId));
        await this.tasks.flush(taskId);
        await this.tasks.update(taskId, { status: 'succeeded', percent: 100, message: c.done(steps.length) });
      } catch (err) {
        const reason = (err as Error).message;
        await this.tasks.update(taskId, { status: 'rolling_back', message: `the new ${c.what} failed: going back to the previous one` });
        try {
          await set(c.previous);
          await this.converge(taskId, await this.row(installationId));
          await this.tasks.update(taskId, { status: 'rolled_back', percent: 100, message: `the new ${c.what} failed and the previous one was applied again`, error: reason });
        } catch (again) {
          await this.setStatus(installationId, 'failed');
          await this.tasks.update(taskId, { status: 'failed', message: `the new ${c.what} failed, and so did going back`, error: `${reason}\nrollback: ${(again as Error).message}` });
        }
      }
    });
  }

  /**
   * A new version of a generated secret in the secrets backend, then the installation converged
   * as a task (containers whose env or files use it are re-created and must pass their health
   * check); if that fails, the previous version is made current again and applied.
   */
  async rotateSecret(nameOrId: string, secret: string): Promise<Task> {
    const row = await this.row(nameOrId);
    const declared = this.appOf(row).manifest.secrets ?? {};
    if (!declared[secret]) throw new NotFoundError(`${row.name} has no secret "${secret}" (${Object.keys(declared).length ? `its secrets: ${Object.keys(declared).join(', ')}` : 'it has none'})`);
    if (row.status !== 'running') throw new ConflictError(`${row.name} is ${row.status}; only a running installation's secrets can be rotated`);
    const task = await this.tasks.create('rotate-secret', row.id, { secret }, `rotating secret ${secret} of ${row.name}`);
    void this.locks.with(row.id, async () => {
      const ctx = await this.hosts.context(row.host_id);
      let previous: number | undefined;
      try {
        await this.tasks.update(task.id, { status: 'running', message: `writing a new version of ${secret}` });
        const r = await rotateGeneratedSecret(ctx, row.name, secret, declared[secret].generate, (await this.records.load(row.id)).get(`secret:${secret}`)?.outputs);
        previous = r.previous;
        await this.converge(task.id, await this.row(row.id));
        await this.tasks.update(task.id, { status: 'succeeded', percent: 100, message: `secret ${secret} is at version ${r.version}; what uses it was re-created` });
      } catch (err) {
        const reason = (err as Error).message;
        if (previous === undefined) return void (await this.tasks.update(task.id, { status: 'failed', message: 'the secret was not rotated', error: reason }));
        try {
          await putBackGeneratedSecret(ctx, row.name, secret, previous);
          await this.converge(task.id, await this.row(row.id));
          await this.tasks.update(task.id, { status: 'rolled_back', percent: 100, message: `the app failed with the new value: version ${previous}'s value is current again`, error: reason });
        } catch (again) {
          await this.setStatus(row.id, 'failed');
          await this.tasks.update(task.id, { status: 'failed', message: 'the app failed with the new value, and so did going back', error: `${reason}\nrollback: ${(again as Error).message}` });
        }
      }
    });
    return task;
  }

  isBusy(installationId: string) {
    return this.locks.busy(installationId);
  }

  /** Records given values as the installation's generated secrets, so the install uses them */
  private async presetSecrets(taskId: string, row: InstallationTable, secrets: Record<string, string>) {
    const { desired } = await this.desired(row);
    for (const d of desired) {
      const value = d.kind === 'secret' ? secrets[d.key.slice('secret:'.length)] : undefined;
      if (value !== undefined) await this.records.record(taskId, row.id, { ...d, hash: inputHash(d, {}), outputs: { value } }, 'create');
    }
  }

  /** Every generated secret of an installation, for a clone; never for an API answer */
  async secretsOf(nameOrId: string): Promise<Record<string, string>> {
    const row = await this.row(nameOrId);
    const out: Record<string, string> = {};
    for (const r of (await this.records.load(row.id)).values()) {
      if (r.kind === 'secret' && typeof r.outputs.value === 'string') out[r.key.slice('secret:'.length)] = r.outputs.value;
    }
    return out;
  }

  /** The app's own sign-in credentials (secrets the manifest marks reveal: true); no other secret is ever returned */
  async credentials(nameOrId: string): Promise<Record<string, string>> {
    const row = await this.row(nameOrId);
    const app = this.appOf(row);
    const recorded = await this.records.load(row.id);
    const out: Record<string, string> = {};
    for (const [name, s] of Object.entries(app.manifest.secrets ?? {})) {
      const value = recorded.get(`secret:${name}`)?.outputs.value;
      if (s.reveal && typeof value === 'string') out[name] = value;
    }
    return out;
  }

  async logs(nameOrId: string, component?: string, tail = 200): Promise<string> {
    const row = await this.row(nameOrId);
    const app = this.appOf(row);
    const c = component ?? Object.keys(app.manifest.components)[0];
    if (!app.manifest.components[c]) throw new UserError(`${row.app_id} has no component "${c}" (components: ${Object.keys(app.manifest.components).join(', ')})`);
    const ctx = await this.hosts.context(row.host_id);
    return ctx.runtime.logs(names.container(row.name, c), { tail });
  }
}
