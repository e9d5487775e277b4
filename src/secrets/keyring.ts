/**
 * The keyring: envelope encryption's key hierarchy, in `<dataDir>/secrets.db` (SQLite).
 *
 *   master key (32 bytes, random)  sealed in one or more key slots: passphrase, TPM, Tang, or
 *        |                         `plain` (in the clear, as `master.key` was) until sealed
 *        +-- wraps (AES-256-GCM) --> data keys, one per scope: `sealer` (the key the store's
 *                                    `Sealer` takes), `kv:<path>` (one per secret of the
 *                                    built-in secrets store), ...
 *
 * Each slot holds the same master key sealed its own way (like LUKS key slots); the keyring row
 * holds the master key's public id, so a slot that opens to another key is told apart. Rotating
 * the master key re-wraps the data keys and re-seals the slots in one transaction; the data the
 * data keys encrypt is not touched. The same database holds the built-in store's secrets
 * (`drivers/secrets/builtin.ts`), so rotation is atomic over all of it.
 *
 * `secure_delete` is on, so a removed slot (the `plain` one once the key is sealed) is
 * overwritten in the file, and the WAL is truncated after such changes; what the filesystem or
 * the disk keep of older blocks is beyond reach (docs/secrets.md).
 */
import SQLite from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AuthenticationFailed, decrypt, encrypt, keyId, wipe } from './aead.js';
import { SecretsError } from './errors.js';

export interface SlotRow {
  id: number;
  kind: string;
  params: Record<string, unknown>;
  createdAt: string;
}

export const KEYRING_FILE = 'secrets.db';
const now = () => new Date().toISOString();
const aadFor = (scope: string, masterId: string) => `freehold data key|${scope}|${masterId}`;

export class Keyring {
  private master?: Buffer;
  private masterId?: string;

  private constructor(readonly db: SQLite.Database) {}

  /** Opens (creating when absent) the keyring of a data directory; nothing is unlocked yet */
  static open(dataDir: string): Keyring {
    const file = join(dataDir, KEYRING_FILE);
    const fresh = !existsSync(file);
    const db = new SQLite(file);
    if (fresh) chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    db.pragma('busy_timeout = 5000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS keyring (
        id INTEGER PRIMARY KEY CHECK (id = 1), master_id TEXT NOT NULL, created_at TEXT NOT NULL, rotated_at TEXT);
      CREATE TABLE IF NOT EXISTS key_slots (
        id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, params TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS data_keys (
        scope TEXT PRIMARY KEY, master_id TEXT NOT NULL, wrapped BLOB NOT NULL, created_at TEXT NOT NULL);
    `);
    return new Keyring(db);
  }

  /** Whether a master key exists (the keyring was made) */
  get initialized(): boolean {
    return !!this.db.prepare('SELECT 1 FROM keyring WHERE id = 1').get();
  }

  get unlocked(): boolean {
    return !!this.master;
  }

  /** The public id of the master key the keyring holds, if any */
  storedMasterId(): string | undefined {
    return (this.db.prepare('SELECT master_id FROM keyring WHERE id = 1').get() as { master_id: string } | undefined)?.master_id;
  }

  slots(): SlotRow[] {
    return (this.db.prepare('SELECT id, kind, params, created_at FROM key_slots ORDER BY id').all() as { id: number; kind: string; params: string; created_at: string }[]).map(
      (r) => ({ id: r.id, kind: r.kind, params: JSON.parse(r.params), createdAt: r.created_at }),
    );
  }

  /** Makes the keyring: its master key, first slots and data keys, in one transaction */
  initialize(master: Buffer, slots: { kind: string; params: object }[], dataKeys: { scope: string; key: Buffer }[]) {
    const id = keyId(master);
    this.db.transaction(() => {
      if (this.initialized) throw new Error('the keyring already has a master key');
      this.db.prepare('INSERT INTO keyring (id, master_id, created_at) VALUES (1, ?, ?)').run(id, now());
      for (const s of slots) this.insertSlot(s.kind, s.params);
      for (const k of dataKeys) this.db.prepare('INSERT INTO data_keys VALUES (?, ?, ?, ?)').run(k.scope, id, encrypt(master, k.key, aadFor(k.scope, id)), now());
    })();
    this.master = Buffer.from(master);
    this.masterId = id;
  }

  /** Takes the master key a slot opened; refuses one that is not this keyring's */
  unlock(master: Buffer) {
    const id = keyId(master);
    if (id !== this.storedMasterId()) throw new SecretsError('unseal_failed', 'the key this slot holds is not the keyring\'s master key (a slot left from before a rotation?)');
    this.master = Buffer.from(master);
    this.masterId = id;
  }

  /** Runs `fn` with the master key (for sealing it in a new slot); never keep it */
  withMaster<T>(fn: (master: Buffer, masterId: string) => T): T {
    this.checkCurrent();
    return fn(this.master!, this.masterId!);
  }

  /** A scope's data key; made (and stored wrapped) when absent and `create` */
  dataKey(scope: string, create = true): Buffer {
    this.checkCurrent();
    const row = this.db.prepare('SELECT master_id, wrapped FROM data_keys WHERE scope = ?').get(scope) as { master_id: string; wrapped: Buffer } | undefined;
    if (row) {
      try {
        return decrypt(this.master!, row.wrapped, aadFor(scope, row.master_id));
      } catch (err) {
        if (err instanceof AuthenticationFailed) throw new SecretsError('invalid', `the data key of ${scope} does not open with the master key (the keyring is damaged)`);
        throw err;
      }
    }
    if (!create) throw new SecretsError('not_found', `no data key for ${scope}`);
    const key = randomBytes(32);
    this.db.prepare('INSERT INTO data_keys VALUES (?, ?, ?, ?)').run(scope, this.masterId, encrypt(this.master!, key, aadFor(scope, this.masterId!)), now());
    return key;
  }

  hasDataKey(scope: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM data_keys WHERE scope = ?').get(scope);
  }

  deleteDataKey(scope: string) {
    this.db.prepare('DELETE FROM data_keys WHERE scope = ?').run(scope);
  }

  addSlot(kind: string, params: object): number {
    this.checkCurrent();
    return this.insertSlot(kind, params);
  }

  /** Removes slots (never the last one); their rows are overwritten in the file */
  removeSlots(ids: number[]) {
    this.db.transaction(() => {
      const left = (this.db.prepare('SELECT COUNT(*) AS n FROM key_slots').get() as { n: number }).n;
      const removing = ids.filter((id) => this.db.prepare('SELECT 1 FROM key_slots WHERE id = ?').get(id)).length;
      if (removing >= left) throw new SecretsError('invalid', 'the last way of opening the master key cannot be removed: add another one first');
      for (const id of ids) this.db.prepare('DELETE FROM key_slots WHERE id = ?').run(id);
    })();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /**
   * Rotation: a new master key, every data key re-wrapped under it and the slots replaced by
   * `slots` (already sealing `next`), all in one transaction. The data is not touched.
   */
  replaceMaster(next: Buffer, slots: { kind: string; params: object }[]) {
    this.checkCurrent();
    const nextId = keyId(next);
    this.db.transaction(() => {
      const rows = this.db.prepare('SELECT scope, master_id, wrapped FROM data_keys').all() as { scope: string; master_id: string; wrapped: Buffer }[];
      for (const r of rows) {
        const key = decrypt(this.master!, r.wrapped, aadFor(r.scope, r.master_id));
        this.db.prepare('UPDATE data_keys SET master_id = ?, wrapped = ? WHERE scope = ?').run(nextId, encrypt(next, key, aadFor(r.scope, nextId)), r.scope);
        wipe(key);
      }
      this.db.prepare('DELETE FROM key_slots').run();
      for (const s of slots) this.insertSlot(s.kind, s.params);
      this.db.prepare('UPDATE keyring SET master_id = ?, rotated_at = ? WHERE id = 1').run(nextId, now());
    })();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    wipe(this.master);
    this.master = Buffer.from(next);
    this.masterId = nextId;
  }

  /** Forgets the master key and closes the database */
  close() {
    wipe(this.master);
    this.master = undefined;
    if (this.db.open) this.db.close();
  }

  private insertSlot(kind: string, params: object): number {
    return Number(this.db.prepare('INSERT INTO key_slots (kind, params, created_at) VALUES (?, ?, ?)').run(kind, JSON.stringify(params), now()).lastInsertRowid);
  }

  /** Refuses to work with a master key another process has rotated away since */
  private checkCurrent() {
    if (!this.master) throw new SecretsError('sealed', 'the keyring is locked: open the master key first');
    if (this.storedMasterId() !== this.masterId)
      throw new SecretsError('sealed', 'the master key was rotated by another process since this one opened it: restart freehold');
  }
}
