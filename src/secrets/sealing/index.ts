/**
 * Ways of sealing the master key (key slots). Each kind seals the key into parameters that are
 * safe to store (never the key in the clear, except `plain`, which is what an unsealed store is)
 * and opens them again. One interface, a registry; no `if (kind === ...)` elsewhere.
 */
import { passphrase, type PassphraseOptions } from './passphrase.js';
import { tpm, type TpmOptions } from './tpm.js';
import { tang, type TangOptions } from './tang.js';
import { plain } from './plain.js';

export interface UnsealContext {
  /** The master key's public id: bound into what is sealed where the method allows it */
  masterId: string;
  /** The passphrase, when one was given (read only when a passphrase slot is tried) */
  passphrase(): Promise<string | undefined>;
}

export interface SealMethod<O, P> {
  readonly kind: string;
  /** Opens without a person (TPM, Tang): tried first at start-up */
  readonly unattended: boolean;
  /** Seals `key`; what it returns is stored as the slot's parameters */
  seal(key: Buffer, options: O, masterId: string): Promise<P>;
  /** Opens a slot; throws an `UnsealError` naming what failed and what would fix it */
  unseal(params: P, ctx: UnsealContext): Promise<Buffer>;
  /** One line for people: never a secret */
  describe(params: P): string;
  /** The options that seal a new key the same way (rotation); may need the passphrase */
  resealOptions(params: P, ctx: UnsealContext): Promise<O>;
}

export const sealMethods: Record<string, SealMethod<any, any>> = { plain, passphrase, tpm, tang } satisfies {
  plain: SealMethod<Record<string, never>, unknown>;
  passphrase: SealMethod<PassphraseOptions, unknown>;
  tpm: SealMethod<TpmOptions, unknown>;
  tang: SealMethod<TangOptions, unknown>;
};

export type { PassphraseOptions, TpmOptions, TangOptions };

export function sealMethod(kind: string): SealMethod<any, any> {
  const m = sealMethods[kind];
  if (!m) throw new Error(`unknown way of sealing the master key: ${kind} (known: ${Object.keys(sealMethods).join(', ')})`);
  return m;
}
