/**
 * When installations are backed up by themselves, and how many snapshots are kept. A policy per
 * installation (default: daily, keeping 7 daily, 4 weekly and 6 monthly snapshots); a timer
 * starts the backups that are due, then applies the retention; every target's repository is
 * checked for integrity once a week.
 */
import { Periodic } from '../lib/periodic.js';
import type { Store } from '../store/index.js';
import type { Retention } from '../drivers/backup/restic.js';
import type { Tasks } from '../engine/tasks.js';
import type { Settings } from './settings.js';
import type { Backups } from './backups.js';
import type { Installations } from './installations.js';
import { UserError } from './errors.js';
import type { Alerts } from './alerts.js';

export interface BackupPolicy {
  enabled: boolean;
  /** Minutes between scheduled snapshots */
  everyMinutes: number;
  keep: Retention;
}

export const DEFAULT_POLICY: BackupPolicy = { enabled: true, everyMinutes: 24 * 60, keep: { daily: 7, weekly: 4, monthly: 6 } };
const WEEK_MS = 7 * 24 * 3600_000;

export class BackupSchedule {

  constructor(
    private readonly db: Store,
    private readonly tasks: Tasks,
    private readonly settings: Settings,
    private readonly backups: Backups,
    private readonly installations: Installations,
    private readonly alerts: Alerts,
    private readonly log: (m: string) => void = () => {},
  ) {}

  /** Installations already reported as overdue, until their next successful backup */
  private overdue = new Set<string>();

  /** A backup that has not succeeded for two periods is an alert (once, until one succeeds) */
  private async checkOverdue(inst: { id: string; name: string }, last: number, p: BackupPolicy, now: number) {
    if (now - last <= 2 * p.everyMinutes * 60_000) return void this.overdue.delete(inst.id);
    if (this.overdue.has(inst.id)) return;
    this.overdue.add(inst.id);
    const hours = ((now - last) / 3600_000).toFixed(1);
    const event = await this.alerts.record({ kind: 'backup_overdue', severity: 'warning', installation: inst.name, installationId: inst.id, message: `no successful backup of ${inst.name} for ${hours} h (the policy asks for one every ${p.everyMinutes} min); see "freehold tasks --installation ${inst.name}"`, taskId: null });
    if (event) this.alerts.dispatch(event);
  }

  async policy(nameOrId: string): Promise<BackupPolicy> {
    const inst = await this.installations.get(nameOrId);
    const stored = await this.settings.get(`backup.policy.${inst.name}`);
    return stored ? (JSON.parse(stored) as BackupPolicy) : DEFAULT_POLICY;
  }

  async setPolicy(nameOrId: string, patch: Partial<BackupPolicy>): Promise<BackupPolicy> {
    const inst = await this.installations.get(nameOrId);
    const next: BackupPolicy = { ...(await this.policy(inst.name)), ...patch, keep: { ...(await this.policy(inst.name)).keep, ...patch.keep } };
    if (!(next.everyMinutes >= 0.05)) throw new UserError('everyMinutes must be a number of minutes (at least 0.05)', [{ path: 'everyMinutes', message: 'must be at least 0.05' }]);
    for (const [k, n] of Object.entries(next.keep)) {
      if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new UserError(`keep.${k} must be a whole number of snapshots`, [{ path: `keep.${k}`, message: 'must be a whole number, 0 or more' }]);
    }
    if (!Object.values(next.keep).some((n) => n)) throw new UserError('a retention policy must keep at least one snapshot', [{ path: 'keep', message: 'keeps nothing' }]);
    await this.settings.set(`backup.policy.${inst.name}`, JSON.stringify(next));
    return next;
  }

  /** When the installation was last backed up (or, never backed up, when it was installed) */
  private async lastBackup(installationId: string, createdAt: string): Promise<number> {
    const row = await this.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.max('updated_at').as('at'))
      .where('installation_id', '=', installationId)
      .where('kind', '=', 'backup')
      .where('status', '=', 'succeeded')
      .executeTakeFirst();
    return Date.parse((row?.at as string | null) ?? createdAt);
  }

  /** Starts the backups that are due; returns their task ids */
  async tick(now = Date.now()): Promise<string[]> {
    const started: { name: string; task: string; keep: Retention }[] = [];
    for (const inst of await this.installations.list()) {
      if (inst.status !== 'running' || this.installations.isBusy(inst.id)) continue;
      const p = await this.policy(inst.name);
      if (!p.enabled) continue;
      const last = await this.lastBackup(inst.id, inst.createdAt);
      await this.checkOverdue(inst, last, p, now);
      if (last + p.everyMinutes * 60_000 > now) continue;
      this.log(`scheduled backup of ${inst.name}`);
      started.push({ name: inst.name, task: (await this.backups.backup(inst.id, { scheduled: true })).id, keep: p.keep });
    }
    await Promise.all(
      started.map(async (s) => {
        if ((await this.tasks.wait(s.task)).status !== 'succeeded') return;
        await this.backups.prune(s.name, s.keep).catch((err) => this.log(`retention of ${s.name} failed: ${(err as Error).message}`));
      }),
    );
    await this.weeklyChecks(now);
    return started.map((s) => s.task);
  }

  private async weeklyChecks(now: number) {
    const last = await this.db.selectFrom('tasks').select((eb) => eb.fn.max('created_at').as('at')).where('kind', '=', 'check').executeTakeFirst();
    if (last?.at && Date.parse(last.at as string) + WEEK_MS > now) return;
    for (const target of await this.backups.targetsInUse()) await this.backups.check(target);
  }

  private readonly periodic = new Periodic(() => this.tick(), (err) => this.log(`backup schedule: ${err.message}`));

  start(intervalMs: number) {
    this.periodic.start(intervalMs);
  }

  stop() {
    return this.periodic.stop();
  }

}
