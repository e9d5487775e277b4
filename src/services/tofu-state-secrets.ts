/**
 * OpenTofu/Terraform states kept through the secrets backend (issue 5: "storing state encrypted
 * through the secrets driver, so with OpenBao configured the state lives in OpenBao").
 *
 * `SecretsStateStore`: a `StateStore` on any `SecretsBackend`. A state is one secret,
 * `tofu/<name>` (in OpenBao: `<mount>/data/<prefix>/tofu/<name>`, by default
 * `secret/data/freehold/tofu/<name>`); each version of the state is a version of that secret
 * (the backend's own versions: KV v2 keeps `max_versions` of them, 10 by default, as the built-in
 * store does), its data `{ state: <the state's bytes, base64>, md5, serial, size }`. Locks, the
 * listing, serial and lineage stay in Freehold's store (`tofu_states`), as the interface says: a
 * lock is not secret and must be atomic with the listing.
 *
 * `TofuStateStores`: the `StateStore` `TofuStates` is given. It sends each write to the current
 * backend's store, and reads a state from where its newest version is.
 *
 * The choice for the built-in backend: states stay in `SealedStateStore` (`tofu_state_versions`
 * in freehold.db, each version sealed with the Sealer, whose key is a data key wrapped by the
 * master key): that already *is* encryption under the master key, so the built-in backend (the
 * default) changes nothing for anyone, and no migration copies every state of an existing
 * installation into secrets.db at start. Only another backend (OpenBao) gets a `SecretsStateStore`.
 *
 * A change of backend moves nothing. Which store holds a state's newest version is decided by
 * its MD5, which `tofu_states` records on every write: the current backend's newest version
 * when its MD5 is that one, else the built-in store's (a state written before OpenBao was set is
 * still read from freehold.db, and goes to OpenBao with its next write: `terraform apply`, or
 * `terraform state push`), else neither: the newest version is in a backend configured before
 * (another OpenBao, or OpenBao after going back to builtin) and the answer is a 503 saying so,
 * never "no state" (which would make terraform create everything again). `configure` reports
 * which states stay where (a reporter on `SecretsBackends`).
 */
import { createHash } from 'node:crypto';
import type { Store } from '../store/index.js';
import { SecretNotFoundError, type SecretsBackend } from '../drivers/secrets/index.js';
import { SecretsBackendError, type SecretsBackends } from './secrets-backend.js';
import { type SealedStateStore, type StateStore, type StateVersion } from './tofu-state.js';
import { UserError } from './errors.js';

const md5Of = (data: Buffer) => createHash('md5').update(data).digest('base64');

/** The folder of the states in the secrets backend */
export const TOFU_FOLDER = 'tofu';

/** A state's newest version is in none of the stores Freehold can reach now */
export class StateElsewhereError extends UserError {
  override readonly status = 503;
}

/** The states as secrets of one backend: one secret per state, one secret version per state version */
export class SecretsStateStore implements StateStore {
  constructor(
    private readonly backend: SecretsBackend,
    private readonly folder = TOFU_FOLDER,
  ) {}

  get kind() {
    return this.backend.kind;
  }

  path(name: string) {
    return `${this.folder}/${name}`;
  }

  async write(name: string, data: string, meta: { md5: string; serial: number | null }): Promise<number> {
    const bytes = Buffer.from(data, 'utf8');
    const secret = { state: bytes.toString('base64'), md5: meta.md5, serial: meta.serial === null ? '' : String(meta.serial), size: String(bytes.length) };
    return (await this.backend.put(this.path(name), secret)).version;
  }

  async read(name: string, version?: number): Promise<(StateVersion & { data: string }) | undefined> {
    let v;
    try {
      v = await this.backend.get(this.path(name), version === undefined ? {} : { version });
    } catch (err) {
      if (err instanceof SecretNotFoundError) return undefined;
      throw err;
    }
    const bytes = Buffer.from(v.data.state ?? '', 'base64');
    const md5 = md5Of(bytes);
    if (typeof v.data.state !== 'string' || (v.data.md5 && v.data.md5 !== md5)) {
      throw new SecretsBackendError(`OpenTofu state ${name} version ${v.version} in the ${this.backend.kind} secrets backend (secret ${this.path(name)}) is damaged: its MD5 is not the one written; look at the secret's earlier versions`, 'backend_error');
    }
    const serial = v.data.serial ? Number(v.data.serial) : null;
    return { version: v.version, size: bytes.length, serial: Number.isSafeInteger(serial) ? serial : null, md5, createdAt: v.createdAt, data: bytes.toString('utf8') };
  }

  async versions(name: string): Promise<StateVersion[]> {
    let list;
    try {
      list = await this.backend.versions(this.path(name));
    } catch (err) {
      if (err instanceof SecretNotFoundError) return [];
      throw err;
    }
    const out: StateVersion[] = [];
    // The backend's metadata has no size, serial or MD5: each kept version is read (at most max_versions of them)
    for (const info of list.versions.filter((x) => !x.deleted).reverse()) {
      const v = await this.read(name, info.version);
      if (v) out.push({ version: v.version, size: v.size, serial: v.serial, md5: v.md5, createdAt: v.createdAt });
    }
    return out;
  }

  async remove(name: string): Promise<void> {
    await this.backend.delete(this.path(name));
  }
}

/** Where a state's newest version is */
interface Located {
  store: StateStore;
  newest: (StateVersion & { data: string }) | undefined;
}

/**
 * The store of `TofuStates`: writes go to the current secrets backend (the sealed SQLite store
 * for builtin), reads to where a state's newest version is (see the top of this file).
 */
export class TofuStateStores implements StateStore {
  private wrapped?: { backend: SecretsBackend; store: SecretsStateStore };

  constructor(
    private readonly db: Store,
    private readonly sealed: SealedStateStore,
    private readonly backends: SecretsBackends,
    private readonly log: (msg: string) => void = () => {},
  ) {
    backends.addReporter((change) => this.report(change));
  }

  get kind() {
    return this.backends.kind;
  }

  /** The store of a backend: the sealed SQLite one for builtin */
  private storeOf(backend: SecretsBackend): StateStore {
    if (backend.kind === 'builtin') return this.sealed;
    if (this.wrapped?.backend !== backend) this.wrapped = { backend, store: new SecretsStateStore(backend) };
    return this.wrapped.store;
  }

  private async current(): Promise<StateStore> {
    return this.storeOf(await this.guard('', () => this.backends.current()));
  }

  /** A backend's failure as the API's answer (502/503 naming it and the fix), logged */
  private async guard<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof UserError) throw err;
      const e = this.backends.failure(err, undefined, name ? `OpenTofu state ${name}` : 'OpenTofu states');
      this.log(e.message);
      throw e;
    }
  }

  private describe(store: StateStore) {
    return store === this.sealed ? 'the built-in store (freehold.db)' : store.kind === 'openbao' ? 'OpenBao' : `the ${store.kind} secrets backend`;
  }

  /** Which store holds the newest version of `name`, tried: the current one, then the built-in one */
  private async locate(name: string, current?: StateStore): Promise<Located> {
    const cur = current ?? (await this.current());
    for (let attempt = 0; ; attempt++) {
      const row = await this.db.selectFrom('tofu_states').select(['md5', 'serial', 'updated_at']).where('name', '=', name).executeTakeFirst();
      const newest = await this.guard(name, () => cur.read(name));
      if (!row?.md5 || newest?.md5 === row.md5) return { store: cur, newest };
      if (cur !== this.sealed) {
        const old = await this.sealed.read(name);
        if (old?.md5 === row.md5) return { store: this.sealed, newest: old };
      }
      // A write may have landed between reading the row and the store: once more
      if (attempt >= 1) {
        const e = new StateElsewhereError(
          `OpenTofu state ${name}: its newest version (serial ${row.serial ?? '?'}, written ${row.updated_at}) is not in ${this.describe(cur)}, the current secrets backend${cur !== this.sealed ? ', nor in the built-in store' : ''}: it was written while another secrets backend was configured. Configure that backend again (freehold secrets backend set ...) to serve it; nothing was changed`,
          [{ path: 'backend', message: 'does not hold the newest version of this state' }],
        );
        this.log(e.message);
        throw e;
      }
    }
  }

  async write(name: string, data: string, meta: { md5: string; serial: number | null }): Promise<number> {
    const store = await this.current();
    return this.guard(name, () => store.write(name, data, meta));
  }

  async read(name: string, version?: number) {
    const at = await this.locate(name);
    if (version === undefined) return at.newest;
    return this.guard(name, () => at.store.read(name, version));
  }

  async versions(name: string): Promise<StateVersion[]> {
    const at = await this.locate(name);
    return this.guard(name, () => at.store.versions(name));
  }

  /** Removes the state from the current store and from the built-in one (where it may have been before) */
  async remove(name: string): Promise<void> {
    const store = await this.current();
    await this.guard(name, () => store.remove(name));
    if (store !== this.sealed) await this.sealed.remove(name);
  }

  /** What a change of backend leaves behind: the states whose newest version the new one will not have */
  private async report(change: { from: SecretsBackend; to: SecretsBackend; verified: boolean }): Promise<string[]> {
    const rows = await this.db.selectFrom('tofu_states').select('name').where('md5', 'is not', null).orderBy('name').execute();
    if (!rows.length) return [];
    const before = this.storeOf(change.from);
    const after = change.to.kind === 'builtin' ? this.sealed : new SecretsStateStore(change.to);
    const where = new Map<string, string[]>();
    const add = (k: string, n: string) => where.set(k, [...(where.get(k) ?? []), n]);
    for (const { name } of rows) {
      const was = await this.locate(name, before).then((l) => l.store, () => undefined);
      if (!change.verified && after !== this.sealed) {
        if (was === this.sealed) add('fallback', name);
        else add('unchecked', name);
        continue;
      }
      const now = await this.locate(name, after).then((l) => l.store, () => undefined);
      if (!now) add('left', name);
      else if (now === this.sealed && after !== this.sealed) add('fallback', name);
    }
    const list = (names: string[]) => `${names.length} OpenTofu state(s) (${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''})`;
    const notes: string[] = [];
    if (where.get('fallback'))
      notes.push(`${list(where.get('fallback')!)}: kept in the built-in store (freehold.db); nothing was copied: they are still read from there and go to ${this.describe(after)} with their next write (terraform apply or terraform state push)`);
    if (where.get('left'))
      notes.push(
        `${list(where.get('left')!)}: their newest version is in ${this.describe(before)} and not in ${this.describe(after)}; nothing was copied: Freehold answers 503 for them until ${this.describe(before)} is configured again (to bring one over: with that backend set, terraform state pull > s.tfstate; with this one, DELETE /api/tofu/state/<name>?force=true, then terraform state push s.tfstate; or copy the secret ${TOFU_FOLDER}/<name> across by hand)`,
      );
    if (where.get('unchecked')) notes.push(`${list(where.get('unchecked')!)}: not checked (verify was off): states whose newest version is not in ${this.describe(after)} are answered with 503 until it is`);
    return notes;
  }
}
