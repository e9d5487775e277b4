/**
 * Opening the master key at start-up, and managing how it is sealed.
 *
 * `openMasterKey(dataDir)` returns the key the store's `Sealer` takes and the unlocked keyring:
 * - no keyring yet: one is made. The `Sealer`'s key is the existing `master.key` when there is
 *   one (migration: the same key, so everything sealed with it still opens; the file is then
 *   removed) or a new random key; the master key is kept `plain` until `freehold secrets seal`.
 * - a keyring: its slots are tried, unattended ones first (TPM, Tang, in the order they were
 *   added), then the passphrase (given in the options, or FREEHOLD_PASSPHRASE, or the file
 *   named by FREEHOLD_PASSPHRASE_FILE; both variables are removed from the environment at once,
 *   so that no child process inherits them). When none opens, a `SealedStoreError` names each
 *   method's failure and what to do.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyId, wipe } from './aead.js';
import { SealedStoreError, SecretsError, UnsealError } from './errors.js';
import { KEYRING_FILE, Keyring, type SlotRow } from './keyring.js';
import { sealMethod, sealMethods, type UnsealContext } from './sealing/index.js';

/** A passphrase, or how to get one when it is needed */
export type PassphraseSource = string | (() => Promise<string | undefined>);

export interface OpenMasterKeyOptions {
  /** Overrides the environment's FREEHOLD_PASSPHRASE / FREEHOLD_PASSPHRASE_FILE */
  passphrase?: PassphraseSource;
  /** Where FREEHOLD_PASSPHRASE(_FILE) are read from and removed (default process.env) */
  env?: NodeJS.ProcessEnv;
  log?: (msg: string) => void;
}

export interface MasterKey {
  /** The key the control plane's `Sealer` takes: `new Sealer(mk.sealerKey)` */
  readonly sealerKey: Buffer;
  /** The unlocked keyring: data keys of the built-in secrets store */
  readonly keyring: Keyring;
  /** The slot that opened the master key, for people (e.g. "Tang, 2 of 3: ...") */
  readonly unlockedBy: string;
  /** False while the master key is kept in the clear (`plain`) */
  readonly sealed: boolean;
  /** The passphrase source this was opened with (used again to re-seal on rotation) */
  readonly passphrase: () => Promise<string | undefined>;
  close(): void;
}

export const SEALER_SCOPE = 'sealer';
export const LEGACY_KEY_FILE = 'master.key';
export const PASSPHRASE_ENV = 'FREEHOLD_PASSPHRASE';
export const PASSPHRASE_FILE_ENV = 'FREEHOLD_PASSPHRASE_FILE';

/** Reads a passphrase file (or /dev/fd/N): its content without the final line break */
export function readPassphraseFile(file: string): string {
  let text: string;
  try {
    // /dev/fd/N is read through the descriptor itself: opening it again fails for sockets
    const fd = /^\/dev\/fd\/(\d+)$/.exec(file)?.[1];
    text = readFileSync(fd !== undefined ? Number(fd) : file, 'utf8');
  } catch (err) {
    throw new SecretsError('invalid', `cannot read the passphrase file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return text.replace(/\r?\n$/, '');
}

/**
 * The passphrase source for `openMasterKey`: an explicit file (e.g. `freehold up --passphrase-file`),
 * else FREEHOLD_PASSPHRASE, else FREEHOLD_PASSPHRASE_FILE. The variables are removed from `env`
 * now, whether or not the passphrase is needed later.
 */
export function passphraseSource(o: { file?: string; env?: NodeJS.ProcessEnv } = {}): () => Promise<string | undefined> {
  const env = o.env ?? process.env;
  const value = env[PASSPHRASE_ENV];
  const file = o.file ?? env[PASSPHRASE_FILE_ENV];
  delete env[PASSPHRASE_ENV];
  delete env[PASSPHRASE_FILE_ENV];
  let cached: string | undefined;
  return async () => {
    if (cached !== undefined) return cached;
    if (o.file || (value === undefined && file)) cached = readPassphraseFile(file!);
    else cached = value;
    return cached;
  };
}

const toSource = (p: PassphraseSource | undefined, env?: NodeJS.ProcessEnv) => {
  const fromEnv = passphraseSource({ env }); // removes the variables in every case
  if (p === undefined) return fromEnv;
  if (typeof p === 'string') return async () => p;
  return p;
};

/** Unattended slots first (in the order they were added), then passphrases, `plain` last */
const order = (slots: SlotRow[]) => {
  const rank = (s: SlotRow) => (s.kind === 'plain' ? 2 : sealMethods[s.kind]?.unattended ? 0 : 1);
  return [...slots].sort((a, b) => rank(a) - rank(b) || a.id - b.id);
};

export async function openMasterKey(dataDir: string, opts: OpenMasterKeyOptions = {}): Promise<MasterKey> {
  const log = opts.log ?? (() => undefined);
  const passphrase = toSource(opts.passphrase, opts.env);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const keyring = Keyring.open(dataDir);
  try {
    const legacyFile = join(dataDir, LEGACY_KEY_FILE);
    if (!keyring.initialized) {
      const legacy = existsSync(legacyFile) ? readLegacyKey(legacyFile) : undefined;
      const sealerKey = legacy ?? randomBytes(32);
      const master = randomBytes(32);
      keyring.initialize(master, [{ kind: 'plain', params: await sealMethod('plain').seal(master, {}, keyId(master)) }], [{ scope: SEALER_SCOPE, key: sealerKey }]);
      wipe(master);
      if (legacy) {
        shred(legacyFile);
        log(`moved ${LEGACY_KEY_FILE} into the keyring (secrets.db); it is not sealed yet: run "freehold secrets seal"`);
      } else log('made a new master key; it is not sealed yet: run "freehold secrets seal"');
      return handle(keyring, sealerKey, sealMethod('plain').describe({}), false, passphrase);
    }

    const masterId = keyring.storedMasterId()!;
    const ctx: UnsealContext = { masterId, passphrase };
    const failures: { method: string; reason: string; hint?: string }[] = [];
    const slots = order(keyring.slots());
    for (const slot of slots) {
      const method = sealMethods[slot.kind];
      if (!method) {
        failures.push({ method: `key slot ${slot.id}`, reason: `this version of Freehold does not know how to open a "${slot.kind}" slot`, hint: 'upgrade Freehold' });
        continue;
      }
      const name = method.describe(slot.params);
      let key: Buffer | undefined;
      try {
        key = await method.unseal(slot.params, ctx);
        keyring.unlock(key);
      } catch (err) {
        wipe(key);
        const hint = err instanceof UnsealError ? err.hint : undefined;
        failures.push({ method: name, reason: (err as Error).message, hint });
        continue;
      }
      wipe(key);
      for (const f of failures) log(`could not open the master key with ${f.method}: ${f.reason}`);
      if (slot.kind === 'plain') log('warning: the master key is not sealed (it is in the clear in secrets.db): seal it with "freehold secrets seal passphrase|tpm|tang"');
      else log(`master key opened with ${name}`);
      const sealerKey = keyring.dataKey(SEALER_SCOPE, false);
      if (existsSync(legacyFile)) {
        // A crash between making the keyring and removing the file leaves it: remove it now.
        const legacy = readLegacyKey(legacyFile);
        if (legacy.length === 32 && timingSafeEqual(legacy, sealerKey)) shred(legacyFile);
        else log(`warning: ${legacyFile} is not the key in the keyring; left as it is`);
      }
      return handle(keyring, sealerKey, name, slot.kind !== 'plain', passphrase);
    }
    if (!slots.length) failures.push({ method: 'keyring', reason: 'it holds no way of opening the master key', hint: 'restore secrets.db from a backup' });
    throw new SealedStoreError(failures);
  } catch (err) {
    keyring.close();
    throw err;
  }
}

function handle(keyring: Keyring, sealerKey: Buffer, unlockedBy: string, sealed: boolean, passphrase: () => Promise<string | undefined>): MasterKey {
  return {
    sealerKey,
    keyring,
    unlockedBy,
    sealed,
    passphrase,
    close() {
      wipe(sealerKey);
      keyring.close();
    },
  };
}

function readLegacyKey(file: string): Buffer {
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new SecretsError('invalid', `${file} does not hold a 32-byte key (base64)`);
  return key;
}

/** Overwrites a key file before removing it */
function shred(file: string) {
  const size = readFileSync(file).length;
  writeFileSync(file, Buffer.alloc(size));
  rmSync(file);
}

/** What `freehold secrets status` shows: nothing secret, and nothing needs unlocking */
export function keyringStatus(dataDir: string) {
  if (!existsSync(join(dataDir, KEYRING_FILE)))
    return { initialized: false, legacyKeyFile: existsSync(join(dataDir, LEGACY_KEY_FILE)), sealed: false, masterKeyId: null, slots: [] };
  const keyring = Keyring.open(dataDir);
  try {
    const slots = keyring.slots().map((s) => ({ id: s.id, kind: s.kind, description: sealMethods[s.kind]?.describe(s.params) ?? `unknown kind ${s.kind}`, createdAt: s.createdAt }));
    return {
      initialized: keyring.initialized,
      legacyKeyFile: existsSync(join(dataDir, LEGACY_KEY_FILE)),
      sealed: slots.length > 0 && slots.every((s) => s.kind !== 'plain'),
      masterKeyId: keyring.storedMasterId() ?? null,
      slots,
    };
  } finally {
    keyring.close();
  }
}

/**
 * Seals the master key one more way (a new slot). Once it is sealed any way but `plain`, the
 * `plain` slot is removed (overwritten in the file). Returns the new slot's id.
 */
export async function addSealing(mk: MasterKey, kind: string, options: object): Promise<number> {
  if (kind === 'plain') throw new SecretsError('invalid', 'the master key cannot be unsealed this way: restore it from a backup instead');
  const method = sealMethod(kind);
  const [master, masterId] = mk.keyring.withMaster((m, id) => [Buffer.from(m), id] as const);
  let params: unknown;
  try {
    params = await method.seal(master, options, masterId);
  } finally {
    wipe(master);
  }
  const id = mk.keyring.addSlot(kind, params as object);
  const plainSlots = mk.keyring.slots().filter((s) => s.kind === 'plain');
  if (plainSlots.length) mk.keyring.removeSlots(plainSlots.map((s) => s.id));
  return id;
}

/** Removes a way of opening the master key (never the last one) */
export function removeSealing(mk: MasterKey, slotId: number) {
  if (!mk.keyring.slots().some((s) => s.id === slotId)) throw new SecretsError('not_found', `no key slot ${slotId} (see freehold secrets status)`);
  mk.keyring.removeSlots([slotId]);
}

/**
 * A new master key: every slot is sealed again the same way (the passphrase is needed for
 * passphrase slots, every Tang server and the TPM for theirs), then data keys are re-wrapped and
 * the slots replaced in one transaction. Secrets and sealed values are not touched; the
 * `Sealer`'s key does not change.
 */
export async function rotateMasterKey(mk: MasterKey): Promise<{ masterKeyId: string; slots: number }> {
  const slots = mk.keyring.slots();
  const masterId = mk.keyring.storedMasterId()!;
  const ctx: UnsealContext = { masterId, passphrase: mk.passphrase };
  const next = randomBytes(32);
  const nextId = keyId(next);
  try {
    const sealed: { kind: string; params: object }[] = [];
    for (const s of slots) {
      const method = sealMethod(s.kind);
      const options = await method.resealOptions(s.params, ctx);
      sealed.push({ kind: s.kind, params: (await method.seal(next, options, nextId)) as object });
    }
    mk.keyring.replaceMaster(next, sealed);
    return { masterKeyId: nextId, slots: sealed.length };
  } finally {
    wipe(next);
  }
}
