/** The types every secrets backend shares (index.ts re-exports them with the registry). */
import type { Keyring } from '../../secrets/keyring.js';

export type SecretData = Record<string, string>;

export interface SecretVersion {
  version: number;
  data: SecretData;
  createdAt: string;
}

export interface VersionInfo {
  version: number;
  createdAt: string;
  /** Soft-deleted (OpenBao keeps it until destroyed; the built-in store never soft-deletes) */
  deleted: boolean;
}

export interface PutOptions {
  /**
   * Check-and-set: the write succeeds only when the current version is this one (0: only when
   * the secret does not exist yet); otherwise `CasConflictError`.
   */
  cas?: number;
}

export interface SecretsBackend {
  readonly kind: string;
  /** A version of a secret (default the newest); `SecretNotFoundError` when there is none */
  get(path: string, opts?: { version?: number }): Promise<SecretVersion>;
  /** Writes a new version and returns its number (1 for a new secret) */
  put(path: string, data: SecretData, opts?: PutOptions): Promise<{ version: number }>;
  /** The versions kept (oldest first) and the current one; `SecretNotFoundError` when none */
  versions(path: string): Promise<{ current: number; versions: VersionInfo[] }>;
  /** Removes a secret with all its versions; nothing happens when there is none */
  delete(path: string): Promise<void>;
  /** The secrets right under a folder (`a/` for folders), sorted; [] when none */
  list(folder: string): Promise<string[]>;
  /** Checks that the backend can be used (reachable, the credentials work) */
  check(): Promise<void>;
  close(): Promise<void>;
}

export type Problems = { path: string; message: string }[];

/** What a backend needs from the control plane */
export interface BackendDeps {
  /** The unlocked keyring (the built-in store's data keys) */
  keyring: Keyring;
}

export interface BackendKind<C> {
  /** Checks the input and returns the configuration to keep (sealed: it may hold a token) */
  parse(input: Record<string, unknown>, p: Problems): C;
  /** What may be shown of the configuration: never a token */
  view(config: C): Record<string, unknown>;
  open(config: C, deps: BackendDeps): SecretsBackend;
}

/** Checks a secret path: segments of letters, digits, `._-`, no empty, `.` or `..` segment */
export function checkPath(path: string): string {
  const segs = path.split('/');
  if (!path || segs.some((s) => !/^[A-Za-z0-9_.-]+$/.test(s) || s === '.' || s === '..'))
    throw new Error(`invalid secret path "${path}": use /-separated names of letters, digits, '.', '_' and '-'`);
  return path;
}

/** Checks secret data: a map of strings */
export function checkData(data: SecretData) {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error('secret data must be a map of strings');
  for (const [k, v] of Object.entries(data)) if (typeof v !== 'string') throw new Error(`secret data must be a map of strings (${k} is ${typeof v})`);
}
