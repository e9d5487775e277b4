/**
 * The secrets backend Freehold uses: the built-in store (the default: nothing to configure) or
 * OpenBao/Vault KV v2 (drivers/secrets). Which one, and its configuration, is one row of the
 * settings (`secrets_backend`), sealed with the store's Sealer as a whole (an OpenBao token is in
 * it); only what the kind's `view` allows is ever shown.
 *
 * - `current()`: the backend, opened once and kept until `configure` changes it;
 * - `view()`: its kind and non-secret settings (never a token);
 * - `configure(input)`: checks the input with the kind's `parse` (a UserError with field paths:
 *   HTTP 400), opens it and runs its `check()` unless `verify: false` (a failure: UpstreamError,
 *   HTTP 502, naming the server and the fix; nothing is kept), then keeps it. Nothing is moved
 *   from the previous backend: what uses the backend reports what stays where (`addReporter`,
 *   e.g. the OpenTofu states), and the answer carries those notes.
 * Errors of a backend at run time (unreachable, token refused, sealed) become `backendFailure`:
 * a 502/503 UserError naming the component and the fix, with any credential of the
 * configuration scrubbed from the message, as domains.ts does for DNS providers.
 */
import type { Sealer } from '../lib/crypto.js';
import { now } from '../store/index.js';
import { SecretsError, secretsBackends, type BackendDeps, type BackendKind, type Problems, type SecretsBackend } from '../drivers/secrets/index.js';
import type { Settings } from './settings.js';
import { UserError } from './errors.js';
import type { SecretsBackendInput, SecretsBackendView } from '../api/views.js';

export type { SecretsBackendInput, SecretsBackendView };

/** The settings key of the sealed configuration */
const KEY = 'secrets_backend';



/** The backend failed or refused (unreachable, token refused, sealed): 502, or 503 while sealed */
export class SecretsBackendError extends UserError {
  override readonly status: number;
  constructor(
    message: string,
    readonly code: string,
    details?: { path: string; message: string }[],
  ) {
    super(message, details);
    this.status = code === 'backend_sealed' || code === 'sealed' ? 503 : 502;
  }
}

interface Kept {
  kind: string;
  config: Record<string, unknown>;
  configuredAt: string | null;
}

/** Something that keeps data in the backend and can say what a change of backend leaves behind */
export type BackendReporter = (change: { from: SecretsBackend; to: SecretsBackend; verified: boolean }) => Promise<string[]>;

const names: Record<string, string> = { builtin: 'the built-in secrets store', openbao: 'OpenBao' };

/** The field an error code points at, for forms */
const fieldOf: Record<string, string> = { permission_denied: 'token', unreachable: 'url', backend_sealed: 'url', backend_error: 'mount' };

export class SecretsBackends {
  private kept?: Kept;
  private opened?: Promise<SecretsBackend>;
  private readonly reporters: BackendReporter[] = [];

  constructor(
    private readonly settings: Settings,
    private readonly sealer: Sealer,
    private readonly deps: BackendDeps,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  /** The kind in use, known without opening anything once `load` or `current` ran ('builtin' before) */
  get kind(): string {
    return this.kept?.kind ?? 'builtin';
  }

  /** Reads the configuration (done by `current` and `view` too; call once at start for `kind`) */
  async load(): Promise<void> {
    await this.config();
  }

  /** The backend in use, opened once and kept until `configure` changes it */
  current(): Promise<SecretsBackend> {
    this.opened ??= this.config().then((k) => this.open(k.kind, k.config));
    const pending = this.opened;
    pending.catch(() => {
      if (this.opened === pending) this.opened = undefined;
    });
    return pending;
  }

  async view(): Promise<SecretsBackendView> {
    const k = await this.config();
    return { kind: k.kind, settings: this.kindOf(k.kind).view(k.config), configuredAt: k.configuredAt };
  }

  /** Registers what reports, on a change of backend, what stays in the previous one */
  addReporter(r: BackendReporter) {
    this.reporters.push(r);
  }

  /**
   * Sets the backend. Checked first (unless `verify: false`): an error changes nothing. Nothing
   * is copied from the previous backend; `notes` say what stays where.
   */
  async configure(input: SecretsBackendInput): Promise<{ backend: SecretsBackendView; notes: string[] }> {
    const p: Problems = [];
    const kindName = typeof input?.kind === 'string' ? input.kind : '';
    const kind = secretsBackends[kindName] as BackendKind<Record<string, unknown>> | undefined;
    if (!kind) {
      p.push({ path: 'kind', message: `must be one of ${Object.keys(secretsBackends).join(', ')}` });
      throw new UserError(`invalid secrets backend: kind must be one of ${Object.keys(secretsBackends).join(', ')}`, p);
    }
    // Over the API a file name would make the control plane read its own files: the token is given, not a path
    const { verify, tokenFile: _ignored, ...fields } = input;
    const config = kind.parse(fields, p);
    if (p.length) throw new UserError(`invalid secrets backend ${kindName}: ${p.map((x) => `${x.path} ${x.message}`).join('; ')}`, p);
    const next = this.open(kindName, config);
    if (verify !== false) {
      try {
        await next.check();
      } catch (err) {
        await next.close().catch(() => undefined);
        throw this.failure(err, { kind: kindName, config }, `the ${kindName === 'openbao' ? 'OpenBao' : kindName} backend was not kept (nothing changed)`);
      }
    }
    const from = await this.current().catch(() => undefined);
    const notes: string[] = [];
    if (from) {
      for (const r of this.reporters) {
        try {
          notes.push(...(await r({ from, to: next, verified: verify !== false })));
        } catch (err) {
          notes.push(`could not tell what stays in the previous backend: ${this.failure(err).message}`);
        }
      }
    }
    const kept: Kept = { kind: kindName, config, configuredAt: now() };
    await this.settings.set(KEY, this.sealer.seal(JSON.stringify(kept)));
    this.kept = kept;
    this.opened = Promise.resolve(next);
    await from?.close().catch(() => undefined);
    this.log(`secrets backend set to ${kindName} (${JSON.stringify(kind.view(config))})${verify === false ? ', not checked' : ''}`);
    for (const n of notes) this.log(n);
    return { backend: await this.view(), notes };
  }

  /**
   * A backend's error as the surfaces' error: 502 (503 while sealed) naming the component and
   * the fix, credentials of the configuration scrubbed. `context` prefixes the message.
   */
  failure(err: unknown, kept: { kind: string; config: Record<string, unknown> } | undefined = this.kept, context?: string): UserError {
    if (err instanceof UserError) return err;
    const config = kept?.config ?? {};
    const shown = JSON.stringify(kept ? (this.kindOf(kept.kind).view(config) ?? {}) : {});
    const secrets = Object.values(config).filter((v): v is string => typeof v === 'string' && v.length >= 6 && !shown.includes(v));
    const scrub = (s: string) => secrets.reduce((acc, x) => acc.split(x).join('***'), s);
    const message = scrub((err as Error)?.message ?? String(err));
    const prefix = context ? `${context}: ` : '';
    if (err instanceof SecretsError) {
      if (err.code === 'not_found' || err.code === 'cas_conflict') return new SecretsBackendError(`${prefix}${message}`, 'backend_error');
      const field = fieldOf[err.code];
      return new SecretsBackendError(`${prefix}${message}`, err.code, field ? [{ path: field, message: err.code }] : undefined);
    }
    // Not the driver's own error (a bug, a bad path): say which backend it came from
    return new SecretsBackendError(`${prefix}${names[kept?.kind ?? 'builtin'] ?? kept?.kind}: ${message}`, 'backend_error');
  }

  private kindOf(kind: string): BackendKind<Record<string, unknown>> {
    const k = secretsBackends[kind];
    if (!k) throw new UserError(`the secrets backend is "${kind}", which this Freehold does not know: set another one (freehold secrets backend set builtin|openbao)`);
    return k;
  }

  private open(kind: string, config: Record<string, unknown>): SecretsBackend {
    return this.kindOf(kind).open(config, this.deps);
  }

  private async config(): Promise<Kept> {
    if (this.kept) return this.kept;
    const sealed = await this.settings.get(KEY);
    if (sealed) this.kept = JSON.parse(this.sealer.open(sealed)) as Kept;
    else this.kept = { kind: 'builtin', config: secretsBackends.builtin.parse({}, []), configuredAt: null };
    return this.kept;
  }
}
