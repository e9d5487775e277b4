/**
 * OpenTofu/Terraform state, served over the HTTP state backend protocol (`backend "http"`).
 *
 * A state has a name (the last part of its URL). Its row in `tofu_states` holds the lock (the
 * lock info JSON the holder sent: {ID, Operation, Info, Who, Version, Created, Path}) and what
 * is known of the current version (serial, lineage, size, MD5); the state's bytes are kept by a
 * `StateStore`. The built-in one seals each version with the master key (AES-256-GCM, as every
 * other secret in the store: a state holds passwords and keys in clear) and keeps the last
 * versions so that a bad apply can be looked at and undone by hand. A store backed by the
 * secrets driver (OpenBao KV v2, which has versions of its own) implements the same interface.
 *
 * The protocol (as terraform's and tofu's http backend client speak it):
 * - GET: 200 with the state (and its Content-MD5), 204/404 when there is none.
 * - POST (or PUT), `?ID=<lock id>` when the client holds the lock: 200. While the state is
 *   locked, an update without the holder's ID is refused: 423 when it names no lock, 409 when it
 *   names another one, the holder's lock info as the body.
 * - LOCK with the lock info as body: 200 when taken (again by the same ID: 200 too, the client
 *   retries), 423 with the holder's lock info when someone else holds it.
 * - UNLOCK with the lock info as body: 200 when released (or when nothing was locked), 409 with
 *   the holder's lock info when the ID is another one, unless forced. An UNLOCK with an empty
 *   body is `terraform force-unlock` (its client sends no lock info then) and is forced.
 * - DELETE: removes the state and its versions (refused like an update while locked).
 * One control-plane process owns the store, so an in-process lock per name makes each of these
 * atomic.
 */
import { createHash } from 'node:crypto';
import type { Sealer } from '../lib/crypto.js';
import { Locks } from '../lib/locks.js';
import type { Store } from '../store/index.js';
import { now } from '../store/index.js';
import { NotFoundError, UserError } from './errors.js';

/** One kept version of a state */
export interface StateVersion {
  version: number;
  size: number;
  /** The state's own serial (terraform's count of its writes) */
  serial: number | null;
  /** Base64 MD5 of the state's bytes */
  md5: string;
  createdAt: string;
}

/**
 * Where the bytes of states live: the built-in sealed store, or (with the secrets work) the
 * secrets driver. Locks and the listing stay in Freehold's store, so a store only keeps versions.
 * `data` is the state's JSON text (UTF-8).
 */
export interface StateStore {
  readonly kind: string;
  /** Stores a new version of a state and returns its number (greater than every earlier one) */
  write(name: string, data: string, meta: { md5: string; serial: number | null }): Promise<number>;
  /** A version of a state (default: the newest); undefined when there is none */
  read(name: string, version?: number): Promise<(StateVersion & { data: string }) | undefined>;
  /** The versions kept, newest first */
  versions(name: string): Promise<StateVersion[]>;
  /** Removes every version of a state */
  remove(name: string): Promise<void>;
}

/** The built-in state store: versions sealed with the master key in `tofu_state_versions` */
export class SealedStateStore implements StateStore {
  readonly kind = 'builtin';

  constructor(
    private readonly db: Store,
    private readonly sealer: Sealer,
    /** How many versions of each state are kept (the newest ones) */
    readonly keep = 10,
  ) {
    if (!(Number.isInteger(keep) && keep >= 1)) throw new Error('keep must be a positive integer');
  }

  async write(name: string, data: string, meta: { md5: string; serial: number | null }): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const last = await tx.selectFrom('tofu_state_versions').select((eb) => eb.fn.max('version').as('v')).where('name', '=', name).executeTakeFirst();
      const version = Number(last?.v ?? 0) + 1;
      await tx
        .insertInto('tofu_state_versions')
        .values({ name, version, state: this.sealer.seal(data), md5: meta.md5, size: Buffer.byteLength(data), serial: meta.serial, created_at: now() })
        .execute();
      await tx.deleteFrom('tofu_state_versions').where('name', '=', name).where('version', '<=', version - this.keep).execute();
      return version;
    });
  }

  async read(name: string, version?: number) {
    let q = this.db.selectFrom('tofu_state_versions').selectAll().where('name', '=', name);
    q = version === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
    const row = await q.executeTakeFirst();
    if (!row) return undefined;
    return { version: row.version, size: row.size, serial: row.serial, md5: row.md5, createdAt: row.created_at, data: this.sealer.open(row.state) };
  }

  async versions(name: string): Promise<StateVersion[]> {
    const rows = await this.db.selectFrom('tofu_state_versions').select(['version', 'size', 'serial', 'md5', 'created_at']).where('name', '=', name).orderBy('version', 'desc').execute();
    return rows.map((r) => ({ version: r.version, size: r.size, serial: r.serial, md5: r.md5, createdAt: r.created_at }));
  }

  async remove(name: string) {
    await this.db.deleteFrom('tofu_state_versions').where('name', '=', name).execute();
  }
}

/** The lock info terraform and tofu send with LOCK and UNLOCK (statemgr.LockInfo) */
export interface LockInfo {
  ID: string;
  Operation?: string;
  Info?: string;
  Who?: string;
  Version?: string;
  Created?: string;
  Path?: string;
  [other: string]: unknown;
}

/** What the API shows of a state (never its contents) */
export interface StateView {
  name: string;
  /** The state store's number of the current version (0: none yet) */
  version: number;
  serial: number | null;
  lineage: string | null;
  size: number;
  updatedAt: string;
  lock: LockInfo | null;
  lockedAt: string | null;
}

/**
 * The state is locked by someone else: the protocol's answer is this status with the holder's
 * lock info (exactly as the holder sent it) as the body.
 */
export class StateLockedError extends Error {
  constructor(
    readonly status: 409 | 423,
    /** The holder's lock info JSON */
    readonly holder: string,
    message: string,
  ) {
    super(message);
    this.name = 'StateLockedError';
  }
}

/** Names are one URL path segment */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const md5Base64 = (data: Buffer | string) => createHash('md5').update(data).digest('base64');

/** "root@host (OperationTypeApply, since ...)": who holds a lock, for messages */
export function describeLock(lock: LockInfo): string {
  const what = [lock.Operation, lock.Created && `since ${lock.Created}`].filter(Boolean).join(', ');
  return `${lock.Who || 'someone'}${what ? ` (${what})` : ''}, lock ID ${lock.ID}`;
}

function parseLockInfo(body: Buffer | string | undefined): { info: LockInfo; text: string } | undefined {
  const text = (Buffer.isBuffer(body) ? body.toString('utf8') : body ?? '').trim();
  if (!text) return undefined;
  let info: unknown;
  try {
    info = JSON.parse(text);
  } catch {
    throw new UserError('the lock info is not JSON (expected {"ID": "...", "Operation": ..., "Who": ...})');
  }
  if (!info || typeof info !== 'object' || Array.isArray(info) || typeof (info as LockInfo).ID !== 'string' || !(info as LockInfo).ID) {
    throw new UserError('the lock info needs an "ID" (a non-empty string)');
  }
  return { info: info as LockInfo, text };
}

export class TofuStates {
  private readonly mutex = new Locks();

  constructor(
    private readonly db: Store,
    readonly store: StateStore,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  static checkName(name: string) {
    if (!NAME.test(name)) throw new UserError(`invalid state name "${name}": use letters, digits, ".", "_" and "-" (at most 128, starting with a letter or digit)`);
  }

  private row(name: string) {
    return this.db.selectFrom('tofu_states').selectAll().where('name', '=', name).executeTakeFirst();
  }

  private async ensureRow(name: string) {
    const at = now();
    await this.db.insertInto('tofu_states').values({ name, version: 0, size: 0, created_at: at, updated_at: at }).onConflict((oc) => oc.column('name').doNothing()).execute();
  }

  private view(r: NonNullable<Awaited<ReturnType<TofuStates['row']>>>): StateView {
    return {
      name: r.name,
      version: r.version,
      serial: r.serial,
      lineage: r.lineage,
      size: r.size,
      updatedAt: r.updated_at,
      lock: r.lock_info ? (JSON.parse(r.lock_info) as LockInfo) : null,
      lockedAt: r.locked_at,
    };
  }

  async list(): Promise<StateView[]> {
    const rows = await this.db.selectFrom('tofu_states').selectAll().orderBy('name').execute();
    return rows.map((r) => this.view(r));
  }

  async show(name: string): Promise<StateView & { versions: StateVersion[] }> {
    TofuStates.checkName(name);
    const r = await this.row(name);
    if (!r) throw new NotFoundError(`no OpenTofu state named ${name}`);
    return { ...this.view(r), versions: await this.store.versions(name) };
  }

  /**
   * The current state: undefined when the name is unknown, null when it is known (e.g. locked)
   * but holds no state yet.
   */
  async get(name: string): Promise<{ data: string; md5: string; version: number } | null | undefined> {
    TofuStates.checkName(name);
    const r = await this.row(name);
    if (!r) return undefined;
    const v = await this.store.read(name);
    return v ? { data: v.data, md5: md5Base64(v.data), version: v.version } : null;
  }

  /** A kept version of a state (for looking at what an earlier apply left) */
  async getVersion(name: string, version: number): Promise<{ data: string; md5: string; version: number }> {
    TofuStates.checkName(name);
    const v = Number.isInteger(version) && version > 0 ? await this.store.read(name, version) : undefined;
    if (!v) throw new NotFoundError(`state ${name} has no version ${version} (kept: ${(await this.store.versions(name)).map((x) => x.version).join(', ') || 'none'})`);
    return { data: v.data, md5: md5Base64(v.data), version: v.version };
  }

  async versions(name: string): Promise<StateVersion[]> {
    await this.show(name);
    return this.store.versions(name);
  }

  /** Refuses a change while someone else holds the lock (`lockId`: the ID the client sent) */
  private checkHolder(name: string, lockInfo: string | null, lockId: string | undefined, what: string) {
    if (!lockInfo) return;
    const holder = JSON.parse(lockInfo) as LockInfo;
    if (lockId === holder.ID) return;
    if (!lockId) throw new StateLockedError(423, lockInfo, `state ${name} is locked by ${describeLock(holder)}; ${what} without its lock ID is refused`);
    throw new StateLockedError(409, lockInfo, `state ${name} is locked by ${describeLock(holder)}, not by lock ${lockId}; ${what} is refused`);
  }

  /** A new version of a state (the body of POST/PUT); `lockId` is the `ID` query parameter */
  async put(name: string, body: Buffer, opts: { lockId?: string; contentMd5?: string } = {}): Promise<{ version: number; serial: number | null }> {
    TofuStates.checkName(name);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      throw new UserError('the state is not UTF-8 text');
    }
    const md5 = md5Base64(body);
    if (opts.contentMd5 && opts.contentMd5.trim() !== md5) throw new UserError(`Content-MD5 ${opts.contentMd5} does not match the body's (${md5}): the state was damaged on the way`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new UserError(`the state is not JSON: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UserError('the state must be a JSON object');
    const { serial, lineage } = parsed as { serial?: unknown; lineage?: unknown };
    const meta = { md5, serial: typeof serial === 'number' && Number.isSafeInteger(serial) ? serial : null };
    return this.mutex.with(name, async () => {
      const r = await this.row(name);
      this.checkHolder(name, r?.lock_info ?? null, opts.lockId || undefined, 'an update');
      const version = await this.store.write(name, text, meta);
      await this.ensureRow(name);
      await this.db
        .updateTable('tofu_states')
        .set({ version, serial: meta.serial, lineage: typeof lineage === 'string' ? lineage : null, md5, size: body.length, updated_at: now() })
        .where('name', '=', name)
        .execute();
      return { version, serial: meta.serial };
    });
  }

  /** Takes the lock (the body of LOCK: the client's lock info) */
  async lock(name: string, body: Buffer | string | undefined): Promise<LockInfo> {
    TofuStates.checkName(name);
    const parsed = parseLockInfo(body);
    if (!parsed) throw new UserError('LOCK needs the lock info as its body ({"ID": "...", ...})');
    return this.mutex.with(name, async () => {
      await this.ensureRow(name);
      const r = await this.row(name);
      if (r?.lock_info) {
        const holder = JSON.parse(r.lock_info) as LockInfo;
        if (holder.ID === parsed.info.ID) return holder; // the same client again (a retried request)
        throw new StateLockedError(423, r.lock_info, `state ${name} is already locked by ${describeLock(holder)}`);
      }
      await this.db.updateTable('tofu_states').set({ lock_info: parsed.text, locked_at: now() }).where('name', '=', name).where('lock_info', 'is', null).execute();
      return parsed.info;
    });
  }

  /**
   * Releases the lock. The holder's ID comes from the body (UNLOCK's lock info) or `id`; with
   * `force` any lock is released (what `freehold tofu unlock --force` does after a crashed run).
   * An UNLOCK that names no lock at all is what `terraform force-unlock` sends (its client has no
   * lock info to send: the body is empty, the ID given on its command line is not sent), so with
   * `emptyIsForce` it is a forced unlock too. Answers what was released (null: nothing was locked).
   */
  async unlock(name: string, opts: { body?: Buffer | string; id?: string; force?: boolean; emptyIsForce?: boolean } = {}): Promise<LockInfo | null> {
    TofuStates.checkName(name);
    const id = parseLockInfo(opts.body)?.info.ID ?? (opts.id || undefined);
    const force = opts.force || (opts.emptyIsForce && id === undefined);
    return this.mutex.with(name, async () => {
      const r = await this.row(name);
      if (!r) throw new NotFoundError(`no OpenTofu state named ${name}`);
      if (!r.lock_info) return null;
      const holder = JSON.parse(r.lock_info) as LockInfo;
      if (!force && id !== holder.ID) {
        throw new StateLockedError(409, r.lock_info, `state ${name} is locked by ${describeLock(holder)}; ${id ? `lock ${id} is not it` : 'give its lock ID'} (or force the unlock)`);
      }
      await this.db.updateTable('tofu_states').set({ lock_info: null, locked_at: null }).where('name', '=', name).execute();
      if (id !== holder.ID) this.log(`OpenTofu state ${name}: lock of ${describeLock(holder)} forced open`);
      return holder;
    });
  }

  /** Removes a state and every kept version (refused while someone else holds its lock) */
  async remove(name: string, opts: { lockId?: string; force?: boolean } = {}) {
    TofuStates.checkName(name);
    await this.mutex.with(name, async () => {
      const r = await this.row(name);
      if (!r) throw new NotFoundError(`no OpenTofu state named ${name}`);
      if (!opts.force) this.checkHolder(name, r.lock_info, opts.lockId || undefined, 'deleting it');
      await this.store.remove(name);
      await this.db.deleteFrom('tofu_states').where('name', '=', name).execute();
      this.log(`OpenTofu state ${name} deleted`);
    });
  }
}
