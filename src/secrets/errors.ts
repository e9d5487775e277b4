/**
 * Errors of the secrets work. Each names the component and says what to do; none ever carries a
 * credential (a passphrase, a token, a key or a secret value): messages are built from names,
 * URLs without credentials, status codes and the other side's error text only.
 */

export type SecretsErrorCode =
  | 'not_found'
  | 'cas_conflict'
  | 'permission_denied'
  | 'unreachable'
  | 'backend_sealed'
  | 'backend_error'
  | 'sealed'
  | 'wrong_passphrase'
  | 'unseal_failed'
  | 'invalid';

export class SecretsError extends Error {
  constructor(
    readonly code: SecretsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecretsError';
  }
}

/** No secret at this path (or not that version) */
export class SecretNotFoundError extends SecretsError {
  constructor(message: string) {
    super('not_found', message);
    this.name = 'SecretNotFoundError';
  }
}

/** A check-and-set write named a version that is not the current one */
export class CasConflictError extends SecretsError {
  constructor(
    message: string,
    readonly path: string,
    readonly expected: number,
  ) {
    super('cas_conflict', message);
    this.name = 'CasConflictError';
  }
}

/** One way of opening the master key (a key slot) failed; `hint` says what would make it work */
export class UnsealError extends SecretsError {
  constructor(
    message: string,
    readonly hint?: string,
    code: SecretsErrorCode = 'unseal_failed',
  ) {
    super(code, message);
    this.name = 'UnsealError';
  }
}

/** The passphrase given does not open the master key (AES-GCM's tag did not verify) */
export class WrongPassphraseError extends UnsealError {
  constructor(message = 'the passphrase is wrong: it does not open the master key') {
    super(message, 'give the passphrase the store was sealed with (FREEHOLD_PASSPHRASE or --passphrase-file <file>)', 'wrong_passphrase');
    this.name = 'WrongPassphraseError';
  }
}

/** No configured way of opening the master key worked: Freehold cannot start */
export class SealedStoreError extends SecretsError {
  constructor(readonly failures: { method: string; reason: string; hint?: string }[]) {
    const hints = [...new Set(failures.map((f) => f.hint).filter((h): h is string => !!h))];
    super(
      'sealed',
      [
        `the secrets store is sealed: ${failures.map((f) => `${f.method}: ${f.reason}`).join('; ')}`,
        hints.length ? `to open it: ${hints.join('; or ')}` : 'to open it: restore secrets.db from a backup',
      ].join('\n'),
    );
    this.name = 'SealedStoreError';
  }
}
