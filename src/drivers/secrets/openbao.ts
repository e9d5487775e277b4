/**
 * OpenBao / HashiCorp Vault, KV secrets engine version 2, over its HTTP API (written from
 * OpenBao's api-docs/secret/kv/kv-v2 and api-docs/index):
 * - token auth: `X-Vault-Token` (and `X-Vault-Namespace` when a namespace is set);
 * - read: GET `/v1/<mount>/data/<prefix>/<path>[?version=N]` -> `data.data`, `data.metadata.version`;
 * - write: POST `/v1/<mount>/data/<path>` `{data, options: {cas}}` -> `data.version`; a cas that is
 *   not the current version is a 400 "check-and-set parameter did not match the current version";
 * - versions: GET `/v1/<mount>/metadata/<path>` -> `data.current_version`, `data.versions`;
 * - delete all versions: DELETE `/v1/<mount>/metadata/<path>` (204);
 * - list: GET `/v1/<mount>/metadata/<folder>?list=true` -> `data.keys` (404 when empty);
 * - errors: `{"errors": [...]}` with 400 (bad request, cas), 403 (bad token or policy),
 *   404 (no secret, or a deleted/destroyed version: then `data.metadata` says which), 503 (sealed).
 * Secrets live under `prefix` (default `freehold`) in the mount (default `secret`), so that one
 * token policy (`<mount>/data/freehold/*`, `<mount>/metadata/freehold/*`) covers them all.
 * The token and secret values never appear in an error or a log line.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { CasConflictError, SecretNotFoundError, SecretsError } from '../../secrets/errors.js';
import { checkData, checkPath, type BackendKind, type PutOptions, type SecretData, type SecretsBackend, type SecretVersion, type VersionInfo } from './types.js';

export interface OpenBaoConfig {
  /** e.g. https://bao.example.org:8200 */
  url: string;
  token: string;
  /** KV v2 mount path (default `secret`) */
  mount: string;
  /** Folder of Freehold's secrets in the mount (default `freehold`) */
  prefix: string;
  namespace?: string;
  /** PEM of the CA that signed the server's certificate, when not a public one */
  caCert?: string;
  timeoutMs: number;
}

interface Answer {
  status: number;
  body: any;
}

const enc = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export class OpenBaoSecrets implements SecretsBackend {
  readonly kind = 'openbao';
  private readonly base: URL;

  constructor(private readonly config: OpenBaoConfig) {
    this.base = new URL(config.url);
  }

  /** Where the server is, for messages: the URL without credentials or query */
  private get where() {
    return `OpenBao at ${this.base.protocol}//${this.base.host}`;
  }

  private full(path: string) {
    return [this.config.prefix, path].filter(Boolean).join('/');
  }

  private url(kind: 'data' | 'metadata', path: string, query?: Record<string, string>) {
    const u = new URL(this.base.toString());
    u.pathname = `${this.base.pathname.replace(/\/$/, '')}/v1/${enc(this.config.mount)}/${kind}/${enc(path)}`;
    for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
    return u;
  }

  private call(method: string, url: URL, body?: unknown): Promise<Answer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { 'x-vault-token': this.config.token, 'x-vault-request': 'true', accept: 'application/json' };
    if (this.config.namespace) headers['x-vault-namespace'] = this.config.namespace;
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(payload.length) });
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, ca: this.config.caCert, timeout: this.config.timeoutMs }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(this.unreachable(e)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = undefined;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer in ${this.config.timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => reject(this.unreachable(e)));
      req.end(payload);
    });
  }

  private unreachable(e: NodeJS.ErrnoException) {
    const reason = e.code === 'ECONNREFUSED' ? 'refused the connection' : e.code === 'ENOTFOUND' ? 'has a name that does not resolve' : e.code === 'ETIMEDOUT' ? e.message : `${e.code ?? ''} ${e.message}`.trim();
    return new SecretsError(
      'unreachable',
      `${this.where} is unreachable (${reason}): check that OpenBao runs there and that this machine reaches it (firewall, TLS, URL), or set another secrets backend`,
    );
  }

  /** The error an answer means; `what` names the operation and path for people */
  private fail(a: Answer, what: string, capability: string): SecretsError {
    const errors: string[] = Array.isArray(a.body?.errors) ? a.body.errors.map(String) : [];
    const said = errors.map((e) => e.replace(/\s+/g, ' ').trim()).filter(Boolean).join('; ');
    if (a.status === 403)
      return new SecretsError(
        'permission_denied',
        `${this.where} refused to ${what} (403${said ? `: ${said}` : ''}): the token is wrong or expired, or its policy lacks the "${capability}" capability on ${this.config.mount}/*/${this.config.prefix}/*; give Freehold a valid token with that policy`,
      );
    if (a.status === 503)
      return new SecretsError('backend_sealed', `${this.where} is sealed or in maintenance (503${said ? `: ${said}` : ''}): unseal it (bao operator unseal) and try again`);
    if (a.status === 404 && /no handler for route/.test(said))
      return new SecretsError(
        'backend_error',
        `${this.where} could not ${what} (HTTP 404: ${said}): there is no KV mount "${this.config.mount}"; enable one (bao secrets enable -path=${this.config.mount} kv-v2) or set mount`,
      );
    if (a.status === 404) return new SecretNotFoundError(`${this.where}: no ${what.replace(/^\w+ /, '')}${said ? ` (${said})` : ''}`);
    return new SecretsError('backend_error', `${this.where} could not ${what} (HTTP ${a.status}${said ? `: ${said}` : ''})`);
  }

  async get(path: string, opts: { version?: number } = {}): Promise<SecretVersion> {
    checkPath(path);
    const full = this.full(path);
    const a = await this.call('GET', this.url('data', full, opts.version !== undefined ? { version: String(opts.version) } : undefined));
    if (a.status === 404) {
      const meta = a.body?.data?.metadata;
      if (meta?.destroyed) throw new SecretNotFoundError(`${this.where}: version ${meta.version} of secret ${full} was destroyed`);
      if (meta?.deletion_time) throw new SecretNotFoundError(`${this.where}: version ${meta.version} of secret ${full} was deleted`);
      throw new SecretNotFoundError(`${this.where}: no secret ${full}${opts.version !== undefined ? ` version ${opts.version}` : ''} in mount ${this.config.mount}`);
    }
    if (a.status !== 200) throw this.fail(a, `read secret ${full}`, 'read');
    const d = a.body?.data;
    if (!d?.data || typeof d.metadata?.version !== 'number') throw new SecretsError('backend_error', `${this.where} answered a read of ${full} with something that is not a KV v2 secret (is ${this.config.mount} a KV version 2 mount?)`);
    return { version: d.metadata.version, data: d.data, createdAt: d.metadata.created_time };
  }

  async put(path: string, data: SecretData, opts: PutOptions = {}): Promise<{ version: number }> {
    checkPath(path);
    checkData(data);
    const full = this.full(path);
    const body = opts.cas !== undefined ? { options: { cas: opts.cas }, data } : { data };
    const a = await this.call('POST', this.url('data', full), body);
    if (a.status === 400 && JSON.stringify(a.body?.errors ?? '').includes('check-and-set parameter did not match')) {
      throw new CasConflictError(
        opts.cas === 0 ? `${this.where}: secret ${full} exists already: check-and-set 0 writes only new secrets` : `${this.where}: secret ${full} is not at version ${opts.cas} (check-and-set)`,
        path,
        opts.cas ?? -1,
      );
    }
    if (a.status !== 200 && a.status !== 204) throw this.fail(a, `write secret ${full}`, 'create" and "update');
    const version = a.body?.data?.version;
    if (typeof version !== 'number') throw new SecretsError('backend_error', `${this.where} answered a write of ${full} without a version (is ${this.config.mount} a KV version 2 mount?)`);
    return { version };
  }

  async versions(path: string): Promise<{ current: number; versions: VersionInfo[] }> {
    checkPath(path);
    const full = this.full(path);
    const a = await this.call('GET', this.url('metadata', full));
    if (a.status === 404) throw new SecretNotFoundError(`${this.where}: no secret ${full} in mount ${this.config.mount}`);
    if (a.status !== 200) throw this.fail(a, `read the versions of ${full}`, 'read');
    const d = a.body?.data ?? {};
    const versions = Object.entries((d.versions ?? {}) as Record<string, { created_time: string; deletion_time: string; destroyed: boolean }>)
      .map(([v, m]) => ({ version: Number(v), createdAt: m.created_time, deleted: !!m.deletion_time || !!m.destroyed }))
      .sort((x, y) => x.version - y.version);
    return { current: Number(d.current_version ?? 0), versions };
  }

  async delete(path: string): Promise<void> {
    checkPath(path);
    const full = this.full(path);
    const a = await this.call('DELETE', this.url('metadata', full));
    if (a.status === 404) return;
    if (a.status !== 204 && a.status !== 200) throw this.fail(a, `delete secret ${full}`, 'delete');
  }

  async list(folder: string): Promise<string[]> {
    const f = folder.replace(/^\/+|\/+$/g, '');
    if (f) checkPath(f);
    const full = this.full(f);
    const u = this.url('metadata', full ? `${full}/` : '', { list: 'true' });
    const a = await this.call('GET', u);
    if (a.status === 404) return [];
    if (a.status !== 200) throw this.fail(a, `list ${full || this.config.mount}`, 'list');
    return ((a.body?.data?.keys ?? []) as string[]).slice().sort();
  }

  async check(): Promise<void> {
    await this.list('');
  }

  async close(): Promise<void> {}
}

export const openbao: BackendKind<OpenBaoConfig> = {
  parse(input, p) {
    const s = (k: string) => (typeof input[k] === 'string' ? (input[k] as string).trim() : undefined);
    const url = s('url');
    if (!url) p.push({ path: 'url', message: 'is required (e.g. https://bao.example.org:8200)' });
    else {
      try {
        const u = new URL(url);
        if (!['http:', 'https:'].includes(u.protocol)) p.push({ path: 'url', message: 'must be an http:// or https:// URL' });
        if (u.username || u.password || u.search) p.push({ path: 'url', message: 'must not hold credentials or a query: give the token as token' });
      } catch {
        p.push({ path: 'url', message: 'is not a URL' });
      }
    }
    let token = s('token');
    if (!token && s('tokenFile')) {
      try {
        token = readFileSync(s('tokenFile')!, 'utf8').trim();
      } catch (err) {
        p.push({ path: 'tokenFile', message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
      }
    }
    if (!token && !s('tokenFile')) p.push({ path: 'token', message: 'is required (an OpenBao token allowed to read and write the prefix)' });
    const mount = (s('mount') ?? 'secret').replace(/^\/+|\/+$/g, '');
    const prefix = (s('prefix') ?? 'freehold').replace(/^\/+|\/+$/g, '');
    for (const [k, v] of [['mount', mount], ['prefix', prefix]] as const) {
      try {
        if (v || k === 'mount') checkPath(v);
      } catch {
        p.push({ path: k, message: 'must be /-separated names of letters, digits, ".", "_" and "-"' });
      }
    }
    const timeoutMs = input.timeoutMs === undefined ? 10_000 : Number(input.timeoutMs);
    if (!(timeoutMs > 0)) p.push({ path: 'timeoutMs', message: 'must be a positive number' });
    return { url: url ?? '', token: token ?? '', mount, prefix, namespace: s('namespace') || undefined, caCert: s('caCert') || undefined, timeoutMs };
  },
  view(c) {
    return { kind: 'openbao', url: c.url, mount: c.mount, prefix: c.prefix, namespace: c.namespace ?? null, customCa: !!c.caCert };
  },
  open(config) {
    return new OpenBaoSecrets(config);
  },
};
