/**
 * Secrets backends: where secrets (generated passwords, key pairs, infrastructure state) are
 * kept, with versions and check-and-set. The built-in store (envelope encryption in the data
 * directory) and OpenBao/Vault KV v2. One interface, a registry; each passes
 * `contract.ts`.
 *
 * Paths are `/`-separated names (`installations/cal/admin_password`); a secret's data is a map
 * of strings. Errors are the classes of `secrets/errors.ts`: `SecretNotFoundError`,
 * `CasConflictError`, and `SecretsError` with code `permission_denied`, `unreachable`,
 * `backend_sealed`, `backend_error`. No message ever holds a token or a secret value.
 */
import { builtin, type BuiltinConfig } from './builtin.js';
import { openbao, type OpenBaoConfig } from './openbao.js';
import type { BackendKind, BackendDeps, Problems, SecretsBackend } from './types.js';

export { SecretsError, SecretNotFoundError, CasConflictError } from '../../secrets/errors.js';
export * from './types.js';

export const secretsBackends: Record<string, BackendKind<any>> = { builtin, openbao } satisfies {
  builtin: BackendKind<BuiltinConfig>;
  openbao: BackendKind<OpenBaoConfig>;
};

/** Opens the backend a configuration names (`{ kind: 'openbao', url, token, ... }`) */
export function openSecretsBackend(input: { kind?: string } & Record<string, unknown>, deps: BackendDeps): SecretsBackend {
  const kind = input.kind ?? 'builtin';
  const k = secretsBackends[kind];
  if (!k) throw new Error(`unknown secrets backend ${kind} (known: ${Object.keys(secretsBackends).join(', ')})`);
  const problems: Problems = [];
  const config = k.parse(input, problems);
  if (problems.length) throw new Error(`secrets backend ${kind}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
  return k.open(config, deps);
}
