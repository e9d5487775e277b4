/**
 * An OpenBao KV version 2 SIMULATOR (not OpenBao) on loopback, for testing the `openbao` secrets
 * driver where no OpenBao can run. Written from OpenBao's documentation:
 * website/content/api-docs/secret/kv/kv-v2.mdx (paths, parameters, sample answers) and
 * website/content/api-docs/index.mdx (token headers, `{"errors": [...]}` on every status >= 400,
 * status codes, `?list=true` as LIST, PUT = POST).
 *
 * Endpoints, under /v1/<mount>/ for each KV v2 mount (default `secret`):
 *   GET/POST  config                       max_versions (0 = 10), cas_required
 *   GET       data/:path?version=N         404 {"errors":[]} when absent; a deleted or destroyed
 *                                          version: 404 with data.metadata saying so
 *   POST/PUT  data/:path {data, options}   options.cas: 0 = only when absent, N = only when
 *                                          current is N, else 400 "check-and-set parameter did not
 *                                          match the current version"; cas_required without cas:
 *                                          400 "check-and-set parameter required for this call"
 *   DELETE    data/:path                   soft-deletes the newest version (204)
 *   POST      delete/:path {versions}      soft-deletes versions (204)
 *   POST      undelete/:path {versions}    (204)
 *   PUT/POST  destroy/:path {versions}     removes their data for good (204)
 *   GET       metadata/:path               current_version, oldest_version, versions{n: ...}
 *   GET       metadata/:folder?list=true   {data: {keys}} ("x/" for folders); 404 when empty
 *   POST      metadata/:path               max_versions, cas_required, custom_metadata (204)
 *   DELETE    metadata/:path               every version and the metadata, for good (204)
 * Behaviours followed:
 *   - `X-Vault-Token` or `Authorization: Bearer`; none or unknown: 403 {"errors":["permission
 *     denied"]}. A token has a policy: path globs (a trailing `*`) with capabilities (create,
 *     read, update, delete, list); a request its policy does not allow: 403 the same way.
 *     Writes need `create` for a new secret, `update` for an existing one.
 *   - Versions above max_versions are removed oldest first (oldest_version moves).
 *   - A path of a mount that does not exist: 404 "no handler for route".
 *   - Sealed (a test hook): every request 503 {"errors":["OpenBao is sealed"]}.
 *   - Methods a path does not take: 405.
 * Left out: PATCH (merge patch), subkeys, detailed-metadata, SCAN, delete_version_after timers,
 * namespaces, response wrapping, leases, every other engine and sys/ endpoint, TLS.
 * Test hooks (not HTTP): tokens with policies, seal/unseal, a log of requests (method, path,
 * status: never the token or a body), `stop()`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

export type Capability = 'create' | 'read' | 'update' | 'delete' | 'list';
export type Policy = { path: string; capabilities: Capability[] }[] | 'root';

interface Version {
  data: Record<string, unknown> | null;
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

interface Secret {
  created_time: string;
  updated_time: string;
  current_version: number;
  oldest_version: number;
  max_versions: number;
  cas_required: boolean;
  custom_metadata: Record<string, string> | null;
  versions: Map<number, Version>;
}

interface Mount {
  config: { max_versions: number; cas_required: boolean; delete_version_after: string };
  secrets: Map<string, Secret>;
}

export interface OpenBaoSimulator {
  url: string;
  port: number;
  /** A token allowed everything */
  rootToken: string;
  addToken(policy: Policy, token?: string): string;
  seal(): void;
  unseal(): void;
  /** Requests seen: method, path (with query), status; never a token or a body */
  requests: { method: string; path: string; status: number }[];
  /** Stored data of a secret's version, for tests to look at what was written */
  peek(mount: string, path: string): Secret | undefined;
  stop(): Promise<void>;
}

const now = () => new Date().toISOString();

function send(res: ServerResponse, status: number, body?: unknown) {
  if (body === undefined || status === 204) {
    res.writeHead(status);
    return res.end();
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
const errors = (res: ServerResponse, status: number, ...messages: string[]) => send(res, status, { errors: messages });

const glob = (pattern: string, path: string) => (pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : pattern === path);

export async function startOpenBaoSimulator(o: { mounts?: string[] } = {}): Promise<OpenBaoSimulator> {
  const mounts = new Map<string, Mount>();
  for (const m of o.mounts ?? ['secret']) mounts.set(m, { config: { max_versions: 0, cas_required: false, delete_version_after: '0s' }, secrets: new Map() });
  const tokens = new Map<string, Policy>();
  const rootToken = `s.${randomBytes(12).toString('hex')}`;
  tokens.set(rootToken, 'root');
  let sealed = false;
  const requests: OpenBaoSimulator['requests'] = [];

  const allowed = (policy: Policy, path: string, cap: Capability) => policy === 'root' || policy.some((r) => r.capabilities.includes(cap) && glob(r.path, path));

  async function body(req: IncomingMessage): Promise<any> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text.trim()) return {};
    return JSON.parse(text);
  }

  const maxOf = (m: Mount, s: Secret) => s.max_versions || m.config.max_versions || 10;
  const versionMeta = (s: Secret, n: number) => {
    const v = s.versions.get(n)!;
    return { created_time: v.created_time, custom_metadata: s.custom_metadata, deletion_time: v.deletion_time, destroyed: v.destroyed, version: n };
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = (req.method ?? 'GET').toUpperCase();
    if (sealed) return errors(res, 503, 'OpenBao is sealed');
    if (!url.pathname.startsWith('/v1/')) return errors(res, 404);
    const rel = decodeURIComponent(url.pathname.slice(4));
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = (req.headers['x-vault-token'] as string | undefined) ?? bearer;
    const policy = token ? tokens.get(token) : undefined;
    if (!policy) return errors(res, 403, 'permission denied');

    const mountName = [...mounts.keys()].sort((a, b) => b.length - a.length).find((m) => rel === m || rel.startsWith(`${m}/`));
    const deny = (path: string, cap: Capability) => !allowed(policy, path, cap);
    if (!mountName) {
      if (policy !== 'root') return errors(res, 403, 'permission denied');
      return errors(res, 404, `no handler for route "${rel}". route entry not found.`);
    }
    const mount = mounts.get(mountName)!;
    const rest = rel.slice(mountName.length + 1);
    const slash = rest.indexOf('/');
    const op = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? '' : rest.slice(slash + 1);
    const list = url.searchParams.get('list') === 'true' || method === 'LIST';
    const write = method === 'POST' || method === 'PUT';

    if (op === 'config' && !path) {
      if (method === 'GET') {
        if (deny(rel, 'read')) return errors(res, 403, 'permission denied');
        return send(res, 200, { data: mount.config });
      }
      if (write) {
        if (deny(rel, 'update')) return errors(res, 403, 'permission denied');
        const b = await body(req);
        if (b.max_versions !== undefined) mount.config.max_versions = Number(b.max_versions);
        if (b.cas_required !== undefined) mount.config.cas_required = !!b.cas_required;
        return send(res, 204);
      }
      return errors(res, 405);
    }

    if (op === 'metadata' && list && method === 'GET') {
      if (deny(rel, 'list')) return errors(res, 403, 'permission denied');
      const prefix = path.replace(/\/*$/, '/').replace(/^\/$/, '');
      const keys = new Set<string>();
      for (const p of mount.secrets.keys()) {
        if (!p.startsWith(prefix)) continue;
        const r = p.slice(prefix.length);
        const i = r.indexOf('/');
        keys.add(i < 0 ? r : r.slice(0, i + 1));
      }
      if (!keys.size) return errors(res, 404);
      return send(res, 200, { data: { keys: [...keys].sort() } });
    }

    if (!path) return errors(res, 404, `no handler for route "${rel}". route entry not found.`);
    const secret = mount.secrets.get(path);

    switch (`${op} ${method === 'PUT' ? 'POST' : method}`) {
      case 'data GET': {
        if (deny(rel, 'read')) return errors(res, 403, 'permission denied');
        if (!secret) return errors(res, 404);
        const n = Number(url.searchParams.get('version') ?? 0) || secret.current_version;
        const v = secret.versions.get(n);
        if (!v) return errors(res, 404);
        if (v.deletion_time || v.destroyed) return send(res, 404, { errors: [], data: { data: null, metadata: versionMeta(secret, n) } });
        return send(res, 200, { data: { data: v.data, metadata: versionMeta(secret, n) } });
      }
      case 'data POST': {
        if (deny(rel, secret ? 'update' : 'create')) return errors(res, 403, 'permission denied');
        let b: any;
        try {
          b = await body(req);
        } catch {
          return errors(res, 400, 'failed to parse JSON input');
        }
        if (!b.data || typeof b.data !== 'object' || Array.isArray(b.data)) return errors(res, 400, 'no data provided');
        const cas = b.options?.cas;
        if (cas !== undefined && !Number.isInteger(cas)) return errors(res, 400, 'invalid cas parameter');
        if ((mount.config.cas_required || secret?.cas_required) && cas === undefined) return errors(res, 400, 'check-and-set parameter required for this call');
        if (cas !== undefined && cas !== (secret?.current_version ?? 0)) return errors(res, 400, 'check-and-set parameter did not match the current version');
        const s: Secret = secret ?? {
          created_time: now(),
          updated_time: now(),
          current_version: 0,
          oldest_version: 0,
          max_versions: 0,
          cas_required: false,
          custom_metadata: null,
          versions: new Map(),
        };
        const n = s.current_version + 1;
        s.versions.set(n, { data: b.data, created_time: now(), deletion_time: '', destroyed: false });
        s.current_version = n;
        s.updated_time = now();
        const max = maxOf(mount, s);
        for (const old of [...s.versions.keys()].sort((x, y) => x - y)) if (old <= n - max) s.versions.delete(old);
        s.oldest_version = Math.min(...s.versions.keys());
        mount.secrets.set(path, s);
        return send(res, 200, { data: versionMeta(s, n) });
      }
      case 'data DELETE': {
        if (deny(rel, 'delete')) return errors(res, 403, 'permission denied');
        const v = secret?.versions.get(secret.current_version);
        if (v && !v.deletion_time) v.deletion_time = now();
        return send(res, 204);
      }
      case 'delete POST':
      case 'undelete POST':
      case 'destroy POST': {
        if (deny(rel, 'update')) return errors(res, 403, 'permission denied');
        const b = await body(req).catch(() => ({}));
        if (!Array.isArray(b.versions) || !b.versions.length) return errors(res, 400, 'no version number provided');
        for (const n of b.versions as number[]) {
          const v = secret?.versions.get(Number(n));
          if (!v) continue;
          if (op === 'delete' && !v.deletion_time) v.deletion_time = now();
          if (op === 'undelete' && !v.destroyed) v.deletion_time = '';
          if (op === 'destroy') Object.assign(v, { destroyed: true, data: null });
        }
        return send(res, 204);
      }
      case 'metadata GET': {
        if (deny(rel, 'read')) return errors(res, 403, 'permission denied');
        if (!secret) return errors(res, 404);
        const versions = Object.fromEntries(
          [...secret.versions.entries()].map(([n, v]) => [String(n), { created_time: v.created_time, deletion_time: v.deletion_time, destroyed: v.destroyed }]),
        );
        return send(res, 200, {
          data: {
            cas_required: secret.cas_required,
            created_time: secret.created_time,
            current_version: secret.current_version,
            delete_version_after: '0s',
            max_versions: secret.max_versions,
            oldest_version: secret.oldest_version,
            updated_time: secret.updated_time,
            custom_metadata: secret.custom_metadata,
            versions,
          },
        });
      }
      case 'metadata POST': {
        if (deny(rel, secret ? 'update' : 'create')) return errors(res, 403, 'permission denied');
        const b = await body(req).catch(() => ({}));
        const s = secret;
        if (!s) return send(res, 204); // OpenBao makes empty metadata; nothing here needs it
        if (b.max_versions !== undefined) s.max_versions = Number(b.max_versions);
        if (b.cas_required !== undefined) s.cas_required = !!b.cas_required;
        if (b.custom_metadata !== undefined) s.custom_metadata = b.custom_metadata;
        return send(res, 204);
      }
      case 'metadata DELETE': {
        if (deny(rel, 'delete')) return errors(res, 403, 'permission denied');
        mount.secrets.delete(path);
        return send(res, 204);
      }
      default:
        if (['data', 'metadata', 'delete', 'undelete', 'destroy'].includes(op)) return errors(res, 405);
        return errors(res, 404, `no handler for route "${rel}". route entry not found.`);
    }
  }

  const server: Server = createServer((req, res) => {
    res.on('finish', () => requests.push({ method: req.method ?? '', path: req.url ?? '', status: res.statusCode }));
    handle(req, res).catch(() => errors(res, 500, 'internal error'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    rootToken,
    addToken(policy, token = `s.${randomBytes(12).toString('hex')}`) {
      tokens.set(token, policy);
      return token;
    },
    seal: () => void (sealed = true),
    unseal: () => void (sealed = false),
    requests,
    peek: (m, p) => mounts.get(m)?.secrets.get(p),
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
