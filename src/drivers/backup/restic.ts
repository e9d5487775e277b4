/**
 * restic, run with argument arrays. One generic runner: a backup target (local disk, SFTP, S3...)
 * is only data: the repository string and the environment restic needs for it.
 */
import { run, CommandError } from '../../lib/spawn.js';

export interface Repository {
  /** restic's -r value, e.g. /var/lib/freehold/backups/local, sftp:user@host:/path, s3:http://host/bucket */
  repo: string;
  password: string;
  /** Extra environment for the backend (AWS_ACCESS_KEY_ID, ...) */
  env?: Record<string, string>;
  /** Global restic arguments the backend needs, e.g. ['-o', 'sftp.command=...'] or ['--cacert', file] */
  args?: string[];
}

export interface Snapshot {
  id: string;
  shortId: string;
  time: string;
  tags: Record<string, string>;
  paths: string[];
}

export interface BackupProgress {
  percent: number;
  bytesDone: number;
  totalBytes: number;
}

export class ResticError extends Error {}

/** How many snapshots to keep, by restic's own rules (the newest of each period) */
export interface Retention {
  last?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
}

function explain(repo: Repository, err: unknown): Error {
  const text = err instanceof CommandError ? (err.result.stderr || err.result.stdout) : String(err);
  if (/wrong password|no key found/i.test(text)) return new ResticError(`the password of backup repository ${repo.repo} is wrong: restic cannot open it`);
  if (/no space left on device/i.test(text)) return new ResticError(`backup repository ${repo.repo} is full (no space left on device): free space or choose another target; nothing was changed`);
  // restic may exit before it relays ssh's own message, leaving only "unable to start the sftp session".
  if (/(connection refused|no route to host|timed out|ssh: |unable to start the sftp session)/i.test(text)) {
    return new ResticError(`backup repository ${repo.repo} cannot be reached: ${/^subprocess ssh: (.*)$/m.exec(text)?.[1] ?? text.trim().split('\n').pop()}`);
  }
  if (/no matching ID found|snapshot .* not found|invalid id/i.test(text)) return new ResticError(`no such snapshot in ${repo.repo}`);
  return new ResticError(`restic failed on ${repo.repo}: ${text.trim().split('\n').slice(-3).join(' ')}`);
}

export class Restic {
  constructor(
    private readonly r: Repository,
    /** restic's cache: kept with Freehold's data */
    private readonly cacheDir: string,
    private readonly bin = 'restic',
  ) {}

  private env() {
    // RESTIC_PASSWORD through the environment of restic alone: never on a command line or in a log.
    return { ...process.env, ...this.r.env, RESTIC_PASSWORD: this.r.password, RESTIC_CACHE_DIR: this.cacheDir };
  }

  private argv(args: string[]) {
    return [this.bin, '-r', this.r.repo, ...(this.r.args ?? []), ...args];
  }

  private async restic(args: string[], opts: { onLine?: (l: string) => void } = {}) {
    try {
      return await run(this.argv(args), { env: this.env(), onLine: opts.onLine });
    } catch (err) {
      throw explain(this.r, err);
    }
  }

  /** Creates the repository unless it exists */
  /** Repositories this process has opened already: each restic call costs ~0.7 s to open one */
  private static known = new Set<string>();

  async init() {
    const key = JSON.stringify([this.r.repo, this.r.args ?? []]);
    if (Restic.known.has(key)) return;
    const probe = await run(this.argv(['cat', 'config']), { env: this.env(), check: false });
    if (probe.code === 0) return void Restic.known.add(key);
    if (/wrong password|no key found/i.test(probe.stderr)) throw explain(this.r, new CommandError([this.bin], probe));
    await this.restic(['init']);
    Restic.known.add(key);
  }

  async backup(paths: string[], opts: { tags: Record<string, string>; exclude?: string[]; onProgress?: (p: BackupProgress) => void }): Promise<string> {
    const args = ['backup', '--json', '--one-file-system'];
    for (const [k, v] of Object.entries(opts.tags)) args.push('--tag', `${k}=${v}`);
    for (const e of opts.exclude ?? []) args.push('--exclude', e);
    let snapshot = '';
    await this.restic([...args, ...paths], {
      onLine: (line) => {
        if (!line.startsWith('{')) return;
        const m = JSON.parse(line);
        if (m.message_type === 'status') opts.onProgress?.({ percent: (m.percent_done ?? 0) * 100, bytesDone: m.bytes_done ?? 0, totalBytes: m.total_bytes ?? 0 });
        if (m.message_type === 'summary') snapshot = m.snapshot_id;
      },
    });
    if (!snapshot) throw new ResticError('restic finished without naming the snapshot it made');
    return snapshot;
  }

  async snapshots(tags: Record<string, string> = {}): Promise<Snapshot[]> {
    const args = ['snapshots', '--json'];
    const tagList = Object.entries(tags).map(([k, v]) => `${k}=${v}`);
    if (tagList.length) args.push('--tag', tagList.join(','));
    const r = await this.restic(args);
    return (JSON.parse(r.stdout || '[]') as any[]).map((s) => ({
      id: s.id,
      shortId: s.short_id ?? s.id.slice(0, 8),
      time: s.time,
      paths: s.paths ?? [],
      tags: Object.fromEntries((s.tags ?? []).map((t: string) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)])),
    }));
  }

  /** Applies a retention policy to the snapshots carrying these tags, and frees the space */
  async forget(tags: Record<string, string>, keep: Retention): Promise<void> {
    const args = ['forget', '--prune', '--tag', Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(',')];
    for (const [k, n] of Object.entries(keep)) if (n) args.push(`--keep-${k}`, String(n));
    await this.restic(args);
  }

  /** Verifies the repository's structure (and, with readData, every pack's contents) */
  async check(readData = false): Promise<void> {
    await this.restic(['check', ...(readData ? ['--read-data'] : [])]);
  }

  async restore(snapshotId: string, target: string) {
    await this.restic(['restore', snapshotId, '--target', target]);
  }
}
