/**
 * The built-in secrets store: envelope encryption in the keyring's database (secrets.db).
 * Each secret (path) has a data key of its own (scope `kv:<path>`), wrapped by the master key;
 * each version of it is its JSON data encrypted with that data key (AES-256-GCM, the path and
 * version as associated data). Rotating the master key re-wraps data keys only; removing a
 * secret removes its data key too. Versions and check-and-set behave as OpenBao KV v2's do
 * (the newest `maxVersions` are kept, default 10).
 */
import { decrypt, encrypt, wipe } from '../../secrets/aead.js';
import { CasConflictError, SecretNotFoundError, SecretsError } from '../../secrets/errors.js';
import type { Keyring } from '../../secrets/keyring.js';
import { checkData, checkPath, type BackendKind, type PutOptions, type SecretData, type SecretsBackend, type SecretVersion, type VersionInfo } from './types.js';

export interface BuiltinConfig {
  maxVersions: number;
}

const now = () => new Date().toISOString();
const scope = (path: string) => `kv:${path}`;
const aad = (path: string, version: number) => `freehold secret|${path}|${version}`;

export class BuiltinSecrets implements SecretsBackend {
  readonly kind = 'builtin';

  constructor(
    private readonly keyring: Keyring,
    private readonly maxVersions = 10,
  ) {
    keyring.db.exec(`
      CREATE TABLE IF NOT EXISTS kv_secrets (
        path TEXT PRIMARY KEY, current_version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS kv_versions (
        path TEXT NOT NULL, version INTEGER NOT NULL, ciphertext BLOB NOT NULL, created_at TEXT NOT NULL,
        PRIMARY KEY (path, version));
    `);
  }

  private get db() {
    return this.keyring.db;
  }

  async get(path: string, opts: { version?: number } = {}): Promise<SecretVersion> {
    checkPath(path);
    const meta = this.meta(path);
    if (!meta) throw new SecretNotFoundError(`no secret ${path} in the built-in store`);
    const version = opts.version ?? meta.current_version;
    const row = this.db.prepare('SELECT ciphertext, created_at FROM kv_versions WHERE path = ? AND version = ?').get(path, version) as
      | { ciphertext: Buffer; created_at: string }
      | undefined;
    if (!row) throw new SecretNotFoundError(`secret ${path} has no version ${version} (kept: the newest ${this.maxVersions})`);
    const key = this.keyring.dataKey(scope(path), false);
    try {
      const data = JSON.parse(decrypt(key, row.ciphertext, aad(path, version)).toString('utf8')) as SecretData;
      return { version, data, createdAt: row.created_at };
    } catch (err) {
      if (err instanceof SyntaxError) throw new SecretsError('invalid', `secret ${path} version ${version} is damaged`);
      if ((err as Error).name === 'AuthenticationFailed') throw new SecretsError('invalid', `secret ${path} version ${version} does not open with its data key (damaged or moved)`);
      throw err;
    } finally {
      wipe(key);
    }
  }

  async put(path: string, data: SecretData, opts: PutOptions = {}): Promise<{ version: number }> {
    checkPath(path);
    checkData(data);
    const plain = Buffer.from(JSON.stringify(data), 'utf8');
    try {
      return this.db.transaction(() => {
        const meta = this.meta(path);
        const current = meta?.current_version ?? 0;
        if (opts.cas !== undefined && (opts.cas !== current || (opts.cas === 0 && meta)))
          throw new CasConflictError(
            opts.cas === 0 ? `secret ${path} exists already (version ${current}): check-and-set 0 writes only new secrets` : `secret ${path} is at version ${current}, not ${opts.cas} (check-and-set)`,
            path,
            opts.cas,
          );
        const version = current + 1;
        const key = this.keyring.dataKey(scope(path), true);
        try {
          this.db.prepare('INSERT INTO kv_versions VALUES (?, ?, ?, ?)').run(path, version, encrypt(key, plain, aad(path, version)), now());
        } finally {
          wipe(key);
        }
        if (meta) this.db.prepare('UPDATE kv_secrets SET current_version = ?, updated_at = ? WHERE path = ?').run(version, now(), path);
        else this.db.prepare('INSERT INTO kv_secrets VALUES (?, ?, ?, ?)').run(path, version, now(), now());
        this.db.prepare('DELETE FROM kv_versions WHERE path = ? AND version <= ?').run(path, version - this.maxVersions);
        return { version };
      })();
    } finally {
      wipe(plain);
    }
  }

  async versions(path: string): Promise<{ current: number; versions: VersionInfo[] }> {
    checkPath(path);
    const meta = this.meta(path);
    if (!meta) throw new SecretNotFoundError(`no secret ${path} in the built-in store`);
    const rows = this.db.prepare('SELECT version, created_at FROM kv_versions WHERE path = ? ORDER BY version').all(path) as { version: number; created_at: string }[];
    return { current: meta.current_version, versions: rows.map((r) => ({ version: r.version, createdAt: r.created_at, deleted: false })) };
  }

  async delete(path: string): Promise<void> {
    checkPath(path);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM kv_versions WHERE path = ?').run(path);
      this.db.prepare('DELETE FROM kv_secrets WHERE path = ?').run(path);
      this.keyring.deleteDataKey(scope(path));
    })();
  }

  async list(folder: string): Promise<string[]> {
    const prefix = folder.replace(/\/*$/, '/').replace(/^\/$/, '');
    if (prefix) checkPath(prefix.slice(0, -1));
    const rows = this.db.prepare("SELECT path FROM kv_secrets WHERE substr(path, 1, ?) = ? ORDER BY path").all(prefix.length, prefix) as { path: string }[];
    const names = new Set<string>();
    for (const { path } of rows) {
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      names.add(slash < 0 ? rest : rest.slice(0, slash + 1));
    }
    return [...names].sort();
  }

  async check(): Promise<void> {
    this.keyring.withMaster(() => undefined);
  }

  async close(): Promise<void> {}

  private meta(path: string) {
    return this.db.prepare('SELECT current_version FROM kv_secrets WHERE path = ?').get(path) as { current_version: number } | undefined;
  }
}

export const builtin: BackendKind<BuiltinConfig> = {
  parse(input, p) {
    const maxVersions = input.maxVersions ?? 10;
    if (!Number.isInteger(maxVersions) || (maxVersions as number) < 1) p.push({ path: 'maxVersions', message: 'must be a positive integer' });
    return { maxVersions: maxVersions as number };
  },
  view(config) {
    return { kind: 'builtin', maxVersions: config.maxVersions };
  },
  open(config, deps) {
    return new BuiltinSecrets(deps.keyring, config.maxVersions);
  },
};
