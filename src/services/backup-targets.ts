/**
 * Where snapshots go. The built-in target "local" is a restic repository on this machine's disk,
 * its password made once and kept sealed in the settings. Other targets (another local path,
 * SFTP, S3) are rows of `backup_targets`: the repository string in clear (it holds no secret),
 * the password and the backend's credentials sealed. Each installation backs up to one target
 * (default "local").
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Sealer } from '../lib/crypto.js';
import { randomSecret } from '../lib/crypto.js';
import { Restic, type Repository } from '../drivers/backup/restic.js';
import type { Store } from '../store/index.js';
import { now } from '../store/index.js';
import type { Settings } from './settings.js';
import { ConflictError, NotFoundError, UserError } from './errors.js';

/** What `add` accepts; which fields count depends on the kind */
export interface TargetInput {
  name: string;
  kind: string;
  /** The repository password; generated when not given (give it to use an existing repository) */
  password?: string;
  path?: string;
  host?: string;
  port?: number;
  user?: string;
  privateKey?: string;
  endpoint?: string;
  bucket?: string;
  accessKey?: string;
  secretKey?: string;
  /** s3: PEM of the CA that signed the endpoint's certificate, when it is not a public one */
  caCert?: string;
}

/** What may be shown of a target: never its password or credentials */
export interface TargetView {
  name: string;
  kind: string;
  repo: string;
  builtIn: boolean;
  installations: string[];
  createdAt?: string;
}

/** The sealed part of a target */
interface Sealed {
  env?: Record<string, string>;
  ssh?: { user: string; host: string; port: number; privateKey: string };
  caCert?: string;
}

type Problems = { path: string; message: string }[];

const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && !/[\0\r\n]/.test(v);

function need(p: Problems, input: TargetInput, field: keyof TargetInput, ok: (v: any) => boolean, message: string) {
  const v = input[field];
  if (v === undefined || v === '') p.push({ path: field, message: `is required for ${input.kind} targets` });
  else if (!ok(v)) p.push({ path: field, message });
}

/** One entry per kind: checks its fields and says how restic reaches it */
const kinds: Record<string, (input: TargetInput, p: Problems) => { repo: string; sealed: Sealed }> = {
  local(i, p) {
    need(p, i, 'path', (v) => text(v) && isAbsolute(v), 'must be an absolute path on this machine');
    return { repo: i.path ?? '', sealed: {} };
  },
  sftp(i, p) {
    need(p, i, 'host', (v) => typeof v === 'string' && /^[A-Za-z0-9.:_-]+$/.test(v), 'must be a host name or IP address');
    need(p, i, 'user', (v) => typeof v === 'string' && /^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(v), 'must be a user name (letters, digits, . _ -)');
    need(p, i, 'path', text, 'must be the repository directory on the server');
    if (i.port !== undefined && !(Number.isInteger(i.port) && i.port >= 1 && i.port <= 65535)) p.push({ path: 'port', message: 'must be a TCP port (1-65535)' });
    need(p, i, 'privateKey', (v) => typeof v === 'string' && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v), 'must be an SSH private key (PEM/OpenSSH, not passphrase-protected)');
    const ssh = { user: i.user ?? '', host: i.host ?? '', port: i.port ?? 22, privateKey: (i.privateKey ?? '').trim() + '\n' };
    return { repo: `sftp:${ssh.user}@${ssh.host}:${i.path}`, sealed: { ssh } };
  },
  s3(i, p) {
    need(p, i, 'endpoint', (v) => typeof v === 'string' && /^https?:\/\/[^/\s]+\/?$/.test(v), 'must be the service URL, e.g. https://s3.example.org (no path)');
    need(p, i, 'bucket', (v) => typeof v === 'string' && /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v), 'must be an S3 bucket name (3-63 lower-case letters, digits, . -)');
    need(p, i, 'accessKey', text, 'must be the access key id');
    need(p, i, 'secretKey', text, 'must be the secret access key');
    if (i.caCert !== undefined && !/-----BEGIN CERTIFICATE-----/.test(i.caCert)) p.push({ path: 'caCert', message: 'must be a PEM certificate' });
    const env = { AWS_ACCESS_KEY_ID: i.accessKey ?? '', AWS_SECRET_ACCESS_KEY: i.secretKey ?? '' };
    return { repo: `s3:${(i.endpoint ?? '').replace(/\/$/, '')}/${i.bucket}`, sealed: { env, caCert: i.caCert } };
  },
};

/** restic splits sftp.command like a shell: quote what has spaces */
const quote = (s: string) => (/[\s"]/.test(s) ? `"${s.replace(/(["\\])/g, '\\$1')}"` : s);

export class BackupTargets {
  constructor(
    private readonly db: Store,
    private readonly settings: Settings,
    private readonly sealer: Sealer,
    private readonly dataDir: string,
  ) {}

  async add(input: TargetInput): Promise<TargetView> {
    const p: Problems = [];
    if (typeof input.name !== 'string' || !/^[a-z][a-z0-9-]{0,39}$/.test(input.name)) p.push({ path: 'name', message: 'must be 1-40 lower-case letters, digits or -, starting with a letter' });
    if (input.password !== undefined && !text(input.password)) p.push({ path: 'password', message: 'must be a non-empty single line' });
    const kind = kinds[input.kind];
    if (!kind) p.push({ path: 'kind', message: `must be one of ${Object.keys(kinds).join(', ')}` });
    const built = kind?.(input, p);
    if (p.length || !built) throw new UserError(`invalid backup target: ${p.map((x) => `${x.path} ${x.message}`).join('; ')}`, p);
    if (input.name === 'local' || (await this.row(input.name))) throw new ConflictError(`a backup target named "${input.name}" already exists`, [{ path: 'name', message: 'is taken' }]);
    await this.db
      .insertInto('backup_targets')
      .values({ name: input.name, kind: input.kind, repo: built.repo, env: this.sealer.seal(JSON.stringify(built.sealed)), password: this.sealer.seal(input.password ?? randomSecret(32)), created_at: now() })
      .execute();
    return (await this.list()).find((t) => t.name === input.name)!;
  }

  async list(): Promise<TargetView[]> {
    const rows = await this.db.selectFrom('backup_targets').select(['name', 'kind', 'repo', 'created_at']).orderBy('name').execute();
    const uses = await this.uses();
    const of = (name: string) => uses.filter((u) => u.target === name).map((u) => u.installation);
    return [
      { name: 'local', kind: 'local', repo: this.localRepo(), builtIn: true, installations: await this.defaulted() },
      ...rows.map((r) => ({ name: r.name, kind: r.kind, repo: r.repo, builtIn: false, installations: of(r.name), createdAt: r.created_at })),
    ];
  }

  async remove(name: string) {
    if (name === 'local') throw new UserError('the built-in target "local" cannot be removed', [{ path: 'name', message: 'is built in' }]);
    if (!(await this.row(name))) throw new NotFoundError(`no backup target "${name}" (see "freehold targets list")`);
    const users = (await this.uses()).filter((u) => u.target === name).map((u) => u.installation);
    if (users.length) throw new ConflictError(`backup target "${name}" is used by ${users.join(', ')}: point them at another target first ("freehold backup-target <installation> local")`);
    // Choices of installations that no longer exist go with it.
    await this.db.deleteFrom('installation_backup_targets').where('target', '=', name).execute();
    await this.db.deleteFrom('backup_targets').where('name', '=', name).execute();
  }

  /** The target an installation backs up to */
  async targetOf(installation: string): Promise<string> {
    const r = await this.db.selectFrom('installation_backup_targets').select('target').where('installation', '=', installation).executeTakeFirst();
    return r?.target ?? 'local';
  }

  async setInstallationTarget(nameOrId: string, target: string): Promise<{ installation: string; target: string }> {
    const inst = await this.db.selectFrom('installations').select('name').where((eb) => eb.or([eb('name', '=', nameOrId), eb('id', '=', nameOrId)])).executeTakeFirst();
    if (!inst) throw new NotFoundError(`no installation "${nameOrId}" (see "freehold list")`);
    if (target !== 'local' && !(await this.row(target))) throw new NotFoundError(`no backup target "${target}" (see "freehold targets list")`, [{ path: 'target', message: 'does not exist' }]);
    await this.db
      .insertInto('installation_backup_targets')
      .values({ installation: inst.name, target })
      .onConflict((oc) => oc.column('installation').doUpdateSet({ target }))
      .execute();
    return { installation: inst.name, target };
  }

  /** The restic repository of a target, created on first use */
  async open(name = 'local'): Promise<Restic> {
    const restic = new Restic(name === 'local' ? await this.local() : await this.repository(name), join(this.dataDir, 'cache', 'restic'));
    await restic.init();
    return restic;
  }

  private localRepo() {
    return join(this.dataDir, 'backups', 'local');
  }

  private async local(): Promise<Repository> {
    let sealed = await this.settings.get('backup.local.password');
    if (!sealed) {
      sealed = this.sealer.seal(randomSecret(32));
      await this.settings.set('backup.local.password', sealed);
    }
    mkdirSync(join(this.dataDir, 'backups'), { recursive: true, mode: 0o700 });
    return { repo: this.localRepo(), password: this.sealer.open(sealed) };
  }

  private async repository(name: string): Promise<Repository> {
    const row = await this.row(name);
    if (!row) throw new NotFoundError(`no backup target "${name}" (see "freehold targets list")`);
    const sealed = JSON.parse(this.sealer.open(row.env)) as Sealed;
    const r: Repository = { repo: row.repo, password: this.sealer.open(row.password), env: sealed.env };
    if (row.kind === 'local') mkdirSync(row.repo, { recursive: true, mode: 0o700 });
    if (sealed.ssh) {
      // ssh reads the key from a file: it lives beside master.key, readable by Freehold alone.
      const dir = join(this.dataDir, 'ssh');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const keyFile = join(dir, `${name}.key`);
      writeFileSync(keyFile, sealed.ssh.privateKey, { mode: 0o600 });
      const ssh = ['ssh', '-i', keyFile, '-p', String(sealed.ssh.port), '-o', 'StrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
        // Never wait for a password prompt or a dead peer: fail, and say so.
        '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=15', '-o', 'ServerAliveInterval=15',
        `${sealed.ssh.user}@${sealed.ssh.host}`, '-s', 'sftp'];
      r.args = ['-o', `sftp.command=${ssh.map(quote).join(' ')}`];
    }
    if (sealed.caCert) {
      const file = join(this.dataDir, 'backups', `${name}-ca.pem`);
      mkdirSync(join(this.dataDir, 'backups'), { recursive: true, mode: 0o700 });
      writeFileSync(file, sealed.caCert);
      r.args = [...(r.args ?? []), '--cacert', file];
    }
    return r;
  }

  private row(name: string) {
    return this.db.selectFrom('backup_targets').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** Target choices of installations that exist */
  private uses() {
    return this.db.selectFrom('installation_backup_targets').innerJoin('installations', 'installations.name', 'installation_backup_targets.installation').select(['installation', 'target']).execute();
  }

  private async defaulted(): Promise<string[]> {
    const chosen = new Set((await this.uses()).filter((u) => u.target !== 'local').map((u) => u.installation));
    return (await this.db.selectFrom('installations').select('name').orderBy('name').execute()).map((r) => r.name).filter((n) => !chosen.has(n));
  }
}
