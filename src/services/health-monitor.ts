/**
 * Watches running apps from the outside: a timer probes each HTTP component's health check, as
 * the container kind does when it starts one, and an installation that stays unhealthy for longer
 * than a threshold raises one `app_unhealthy` alert; its return to health raises `app_recovered`.
 * The reconcile loop repairs what it can see (a container stopped or gone); this catches what it
 * cannot: a container that runs but does not answer, or a repair that does not help.
 *
 * What is unhealthy since when is kept in memory only: a restart of the control plane forgets it,
 * so an app that is still unhealthy is reported again once the threshold has passed anew.
 */
import { Periodic } from '../lib/periodic.js';
import type { Records } from '../engine/records.js';
import type { RecordedResource } from '../engine/resource.js';
import type { ContainerResourceSpec } from '../engine/kinds/container.js';
import type { Hosts } from './hosts.js';
import type { Installations } from './installations.js';
import type { Alerts } from './alerts.js';
import type { InstallationHealth } from '../api/views.js';

export type { InstallationHealth };

export const DEFAULT_UNHEALTHY_AFTER_MS = 5 * 60_000;

export interface HealthMonitorOptions {
  /** How long an installation must fail its health checks without a break before it is an alert */
  unhealthyAfterMs?: number;
  log?: (msg: string) => void;
}

/** An installation seen failing: since the first failed probe of this run of failures */
interface Sickness {
  since: number;
  component: string;
  error: string;
  alerted: boolean;
}

export class HealthMonitor {
  private readonly unhealthyAfterMs: number;
  private readonly log: (msg: string) => void;
  /** Installations (by id) whose last probe failed */
  private sick = new Map<string, Sickness>();
  /** When each installation (by id) was last probed */
  private probedAt = new Map<string, number>();

  /**
   * What the last probes said, by installation name: healthy; failing (not yet for long enough
   * to be an alert); unhealthy (alerted); unknown (not probed yet, or busy with a task).
   */
  async report(): Promise<Record<string, InstallationHealth>> {
    const out: Record<string, InstallationHealth> = {};
    for (const inst of await this.installations.list()) {
      const at = this.probedAt.get(inst.id);
      const sick = this.sick.get(inst.id);
      const checkedAt = at === undefined ? undefined : new Date(at).toISOString();
      if (inst.status !== 'running' || at === undefined) out[inst.name] = { state: 'unknown' };
      else if (!sick) out[inst.name] = { state: 'healthy', checkedAt };
      else out[inst.name] = { state: sick.alerted ? 'unhealthy' : 'failing', since: new Date(sick.since).toISOString(), component: sick.component, error: sick.error, checkedAt };
    }
    return out;
  }

  constructor(
    private readonly records: Records,
    private readonly hosts: Hosts,
    private readonly installations: Installations,
    private readonly alerts: Alerts,
    options: HealthMonitorOptions = {},
  ) {
    this.unhealthyAfterMs = options.unhealthyAfterMs ?? DEFAULT_UNHEALTHY_AFTER_MS;
    this.log = options.log ?? (() => {});
  }

  /** One GET of a component's health check; the reason it failed, or null when healthy */
  private async probe(publishIp: string, hostPort: number, path: string): Promise<string | null> {
    try {
      const res = await fetch(`http://${publishIp}:${hostPort}${path}`, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      return res.status < 400 ? null : `HTTP ${res.status}`;
    } catch (err) {
      // A process that hangs (or is paused) accepts the connection and never answers.
      if ((err as Error).name === 'TimeoutError') return 'no answer within 5 s';
      const cause = (err as Error).cause as Error | undefined;
      return cause?.message ?? (err as Error).message;
    }
  }

  /** The first failing HTTP component of an installation, or null when all answer */
  private async firstFailure(hostId: string, recorded: Map<string, RecordedResource>): Promise<{ component: string; error: string } | null> {
    const { publishIp } = await this.hosts.context(hostId);
    const probes = [...recorded.values()]
      .filter((r) => r.kind === 'container')
      .map((r) => ({ spec: r.spec as unknown as ContainerResourceSpec, hostPort: r.outputs.hostPort }))
      .filter((c) => c.spec.http && typeof c.hostPort === 'number')
      .map(async (c) => ({ component: c.spec.component, error: await this.probe(publishIp, c.hostPort as number, c.spec.http!.healthCheck?.path ?? '/') }));
    const failed = (await Promise.all(probes)).find((p) => p.error !== null);
    return failed ? { component: failed.component, error: failed.error! } : null;
  }

  /** Probes every running installation once and raises the alerts that are due */
  async tick(): Promise<void> {
    const running = (await this.installations.list()).filter((i) => i.status === 'running');
    // Uninstalled or no longer running: nothing to report about it any more.
    const ids = new Set(running.map((i) => i.id));
    for (const id of this.sick.keys()) if (!ids.has(id)) this.sick.delete(id);
    for (const id of this.probedAt.keys()) if (!ids.has(id)) this.probedAt.delete(id);
    const recorded = await this.records.loadAll();
    await Promise.all(
      running.map(async (inst) => {
        // An update or restore stops containers on purpose. A count under way starts again after
        // it; an alert already sent stays, so that the recovery is still reported.
        if (this.installations.isBusy(inst.id)) {
          if (!this.sick.get(inst.id)?.alerted) this.sick.delete(inst.id);
          this.probedAt.delete(inst.id);
          return;
        }
        const failure = await this.firstFailure(inst.host, recorded.get(inst.id) ?? new Map());
        this.probedAt.set(inst.id, Date.now());
        await this.judge(inst, failure, Date.now());
      }),
    );
  }

  private async judge(inst: { id: string; name: string }, failure: { component: string; error: string } | null, now: number) {
    const known = this.sick.get(inst.id);
    if (!failure) {
      if (!known) return;
      this.sick.delete(inst.id);
      if (known.alerted) {
        this.log(`${inst.name} is healthy again`);
        await this.raise(inst, 'app_recovered', 'info', `${inst.name} is healthy again (its health checks had failed since ${new Date(known.since).toISOString()})`);
      }
      return;
    }
    const s = known ?? { since: now, component: failure.component, error: failure.error, alerted: false };
    s.component = failure.component;
    s.error = failure.error;
    this.sick.set(inst.id, s);
    if (s.alerted || now - s.since <= this.unhealthyAfterMs) return;
    s.alerted = true;
    const minutes = ((now - s.since) / 60_000).toFixed(1);
    this.log(`${inst.name} is unhealthy (${s.component}: ${s.error})`);
    await this.raise(
      inst,
      'app_unhealthy',
      'error',
      `${inst.name} is unhealthy: component ${s.component} has failed its health check since ${new Date(s.since).toISOString()} (${minutes} min); last error: ${s.error}; see "freehold status ${inst.name}" and "freehold logs ${inst.name}"`,
    );
  }

  private async raise(inst: { id: string; name: string }, kind: string, severity: 'info' | 'error', message: string) {
    const event = await this.alerts.record({ kind, severity, installation: inst.name, installationId: inst.id, message, taskId: null });
    if (event) this.alerts.dispatch(event);
  }

  private readonly periodic = new Periodic(() => this.tick(), (err) => this.log(`health monitor: ${err.message}`));

  start(intervalMs: number) {
    this.periodic.start(intervalMs);
  }

  stop() {
    return this.periodic.stop();
  }
}
