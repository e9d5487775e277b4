/**
 * Caddy as the edge, driven through its admin API on a unix socket (not a TCP port: nothing
 * else on the machine can reconfigure it). Freehold starts its own Caddy, detached, so apps keep
 * being served while the control plane restarts. TLS for *.localhost comes from Caddy's local CA.
 */
import { request } from 'node:http';
import { connect } from 'node:tls';
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../lib/net.js';
import { registerEdge, type CertificateEdge, type Edge, type LoadedCertificate, type Route } from './index.js';
import { createHash } from 'node:crypto';

export interface CaddyConfig {
  /** Directory for Caddy's config, storage (certificates, local CA) and admin socket */
  dir: string;
  httpsPort?: number;
  httpPort?: number;
  bin?: string;
  /** "internal" (Caddy's local CA) for local domains */
  issuer?: 'internal';
}

const SERVER = 'freehold';
/** Admin requests of each Caddy (by admin socket) run one after another */
const adminQueues = new Map<string, Promise<unknown>>();

/** How long a request waits for an app that does not answer before it gets a 502 */
const HOLD_WHILE_DOWN = '10s';

export class CaddyEdge implements Edge, CertificateEdge {
  readonly name = 'caddy';
  private readonly socket: string;
  private readonly httpsPort: number;
  private readonly httpPort: number;

  constructor(private readonly cfg: CaddyConfig) {
    this.socket = join(cfg.dir, 'admin.sock');
    this.httpsPort = cfg.httpsPort ?? 443;
    this.httpPort = cfg.httpPort ?? 80;
  }

  /**
   * One admin request at a time per Caddy: requests that overlap a config change fail with EPIPE
   * or "socket hang up" (Caddy 2.6.2, parallel setRoute calls of concurrent installs).
   */
  private call(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    const p = (adminQueues.get(this.socket) ?? Promise.resolve()).then(() => this.sendRetrying(method, path, body));
    adminQueues.set(this.socket, p.catch(() => undefined));
    return p;
  }

  /**
   * Caddy replaces its admin server after each config change, so the request that follows one
   * can meet the closing listener. Retried when Caddy cannot have acted on it: not delivered
   * (EPIPE, refused), or dropped on a method that is safe to repeat.
   */
  private async sendRetrying(method: string, path: string, body?: unknown) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(method, path, body);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        const undelivered = ['EPIPE', 'ECONNREFUSED', 'ENOENT'].includes(code);
        const dropped = ['ECONNRESET'].includes(code) || /socket hang up/.test((err as Error).message);
        if (attempt >= 4 || !(undelivered || (dropped && method !== 'POST'))) throw err;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }

  private send(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        { socketPath: this.socket, method, path, headers: { host: 'localhost', ...(data && { 'content-type': 'application/json' }) }, timeout: 15_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('Caddy admin API timed out')));
      req.on('error', reject);
      req.end(data);
    });
  }

  private async ok(method: string, path: string, body?: unknown) {
    const r = await this.call(method, path, body);
    if (r.status >= 300) throw new Error(`Caddy admin API ${method} ${path}: HTTP ${r.status} ${r.body.trim()}`);
    return r.body ? JSON.parse(r.body) : null;
  }

  baseConfig() {
    const storage = join(this.cfg.dir, 'data');
    return {
      // No autosave: Caddy starts from this base config and Freehold puts its routes and
      // certificates back; an autosaved copy would hold the served certificates' private keys.
      admin: { listen: `unix/${this.socket}`, origins: ['localhost'], config: { persist: false } },
      storage: { module: 'file_system', root: storage },
      logging: { logs: { default: { level: 'WARN' } } },
      apps: {
        http: {
          http_port: this.httpPort,
          https_port: this.httpsPort,
          servers: { [SERVER]: { listen: [`:${this.httpsPort}`], routes: [] } },
        },
        tls: { automation: { policies: [{ issuers: [{ module: this.cfg.issuer ?? 'internal' }] }] } },
        pki: { certificate_authorities: { local: { install_trust: false } } },
      },
    };
  }

  async ping() {
    try {
      await this.ok('GET', '/config/apps/http/servers/freehold/listen');
    } catch (err) {
      throw new Error(`Caddy is not reachable on ${this.socket}: ${(err as Error).message}. Start Freehold with "freehold up" (it starts Caddy), or run "freehold doctor".`);
    }
  }

  async ensureRunning() {
    try {
      await this.ping();
      return;
    } catch {
      /* not running: start it */
    }
    mkdirSync(this.cfg.dir, { recursive: true, mode: 0o700 });
    const configFile = join(this.cfg.dir, 'caddy.json');
    writeFileSync(configFile, JSON.stringify(this.baseConfig(), null, 2));
    const logFd = openSync(join(this.cfg.dir, 'caddy.log'), 'a');
    const child = spawn(this.cfg.bin ?? 'caddy', ['run', '--config', configFile, '--pidfile', join(this.cfg.dir, 'caddy.pid')], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, XDG_DATA_HOME: join(this.cfg.dir, 'xdg-data'), XDG_CONFIG_HOME: join(this.cfg.dir, 'xdg-config'), HOME: this.cfg.dir },
    });
    let exited: number | null = null;
    child.on('exit', (code) => (exited = code ?? 1));
    child.on('error', () => (exited = 127));
    child.unref();
    for (let i = 0; i < 100; i++) {
      if (exited !== null) break;
      try {
        await this.ping();
        return;
      } catch {
        await sleep(100);
      }
    }
    const tail = existsSync(join(this.cfg.dir, 'caddy.log')) ? readFileSync(join(this.cfg.dir, 'caddy.log'), 'utf8').trim().split('\n').slice(-3).join('\n') : '';
    throw new Error(`Caddy did not start (ports ${this.httpPort}/${this.httpsPort} in use, or caddy missing?). ${tail}`);
  }

  async stop() {
    await this.call('POST', '/stop').catch(() => undefined);
  }

  private toCaddy(route: Route) {
    return {
      '@id': route.id,
      match: [{ host: route.hosts }],
      handle: [
        {
          handler: 'reverse_proxy',
          upstreams: [{ dial: route.upstream }],
          // While the app's container is replaced (an update, a restore, a repair) its port
          // refuses or hangs for a second or two: requests wait for it instead of failing.
          load_balancing: { try_duration: HOLD_WHILE_DOWN, try_interval: '100ms' },
          transport: { protocol: 'http', dial_timeout: '500ms' },
        },
      ],
      terminal: true,
    };
  }

  private fromCaddy(r: any): Route | null {
    if (typeof r?.['@id'] !== 'string') return null;
    return { id: r['@id'], hosts: r.match?.[0]?.host ?? [], upstream: r.handle?.[0]?.upstreams?.[0]?.dial ?? '' };
  }

  async setRoute(route: Route) {
    const existing = await this.call('GET', `/id/${encodeURIComponent(route.id)}`);
    if (existing.status === 200) await this.ok('PATCH', `/id/${encodeURIComponent(route.id)}`, this.toCaddy(route));
    else await this.ok('POST', `/config/apps/http/servers/${SERVER}/routes`, this.toCaddy(route));
    // Caddy gets a new name's certificate (its local CA's) in the background after the config
    // change; until then a visitor meets a TLS "internal error". The route serves once it has one.
    for (const host of route.hosts) await this.waitForCertificate(host);
  }

  /** Waits until Caddy completes a TLS handshake for this name (any certificate: this is not a check of trust) */
  private async waitForCertificate(host: string, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const ok = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: this.httpsPort, servername: host, rejectUnauthorized: false, timeout: 2000 }, () => {
          socket.end();
          resolve(true);
        });
        socket.on('error', (err) => {
          last = err.message;
          resolve(false);
        });
        socket.on('timeout', () => {
          last = 'timed out';
          socket.destroy();
          resolve(false);
        });
      });
      if (ok) return;
      await sleep(50);
    }
    throw new Error(`Caddy serves no certificate for ${host} ${timeoutMs / 1000} s after its route was set (last: ${last}); see ${join(this.cfg.dir, 'caddy.log')}`);
  }

  async removeRoute(id: string) {
    const r = await this.call('DELETE', `/id/${encodeURIComponent(id)}`);
    if (r.status >= 300 && r.status !== 404 && !/unknown object ID/i.test(r.body)) throw new Error(`Caddy: cannot remove route ${id}: ${r.body.trim()}`);
  }

  async getRoute(id: string) {
    const r = await this.call('GET', `/id/${encodeURIComponent(id)}`);
    return r.status === 200 ? this.fromCaddy(JSON.parse(r.body)) : null;
  }

  async listRoutes() {
    const routes = (await this.ok('GET', `/config/apps/http/servers/${SERVER}/routes`)) ?? [];
    return (routes as unknown[]).map((r) => this.fromCaddy(r)).filter((r): r is Route => r !== null);
  }

  url(domain: string) {
    return `https://${domain}${this.httpsPort === 443 ? '' : `:${this.httpsPort}`}`;
  }

  caCertificateFile() {
    return join(this.cfg.dir, 'data', 'pki', 'authorities', 'local', 'root.crt');
  }

  // ---- ACME (drivers/tls): HTTP-01 answers on the HTTP port, certificates issued by Freehold ----
  // Challenge answers are routes of a server of their own on the HTTP port ("freehold-acme",
  // made when first needed): Caddy's automatic HTTPS then adds its HTTP->HTTPS redirects after
  // them on that server instead of making a server of its own. Certificates are `load_pem`
  // entries of the tls app (one per certificate, by @id); Caddy obtains no certificate of its own
  // for a name a loaded certificate covers (wildcards included), so the internal issuer stays
  // for *.localhost and names without one.

  private static challengeId(host: string, token: string) {
    return `fh-acme-${createHash('sha256').update(`${host.toLowerCase()} ${token}`).digest('hex').slice(0, 24)}`;
  }

  private static certificateId(id: string) {
    return `fh-cert-${id.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  }

  async setChallenge(host: string, token: string, keyAuthorization: string) {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error(`ACME challenge token for ${host} is not base64url: ${token}`);
    const route = {
      '@id': CaddyEdge.challengeId(host, token),
      match: [{ host: [host.toLowerCase()], path: [`/.well-known/acme-challenge/${token}`] }],
      handle: [{ handler: 'static_response', status_code: 200, headers: { 'Content-Type': ['text/plain'] }, body: keyAuthorization }],
      terminal: true,
    };
    const id = encodeURIComponent(route['@id']);
    if ((await this.call('GET', `/id/${id}`)).status === 200) return void (await this.ok('PATCH', `/id/${id}`, route));
    const server = await this.ok('GET', `/config/apps/http/servers/${ACME_SERVER}`);
    if (!server) await this.ok('POST', `/config/apps/http/servers/${ACME_SERVER}`, { listen: [`:${this.httpPort}`], routes: [route] });
    else await this.ok('POST', `/config/apps/http/servers/${ACME_SERVER}/routes`, route);
  }

  async removeChallenge(host: string, token: string) {
    await this.removeById(CaddyEdge.challengeId(host, token), `the ACME challenge route of ${host}`);
  }

  async listChallenges() {
    const server = await this.ok('GET', `/config/apps/http/servers/${ACME_SERVER}`);
    return ((server?.routes ?? []) as any[])
      .filter((r) => typeof r?.['@id'] === 'string' && r['@id'].startsWith('fh-acme-'))
      .map((r) => ({ host: String(r.match?.[0]?.host?.[0] ?? ''), token: String(r.match?.[0]?.path?.[0] ?? '').split('/').pop() ?? '' }));
  }

  async loadCertificate(cert: LoadedCertificate) {
    const entry = { '@id': CaddyEdge.certificateId(cert.id), certificate: cert.certificate, key: cert.key, tags: ['freehold', `fh-id:${cert.id}`, ...cert.hosts.map((h) => `fh-host:${h}`)] };
    const id = encodeURIComponent(entry['@id']);
    if ((await this.call('GET', `/id/${id}`)).status === 200) return void (await this.ok('PATCH', `/id/${id}`, entry));
    const certificates = await this.ok('GET', '/config/apps/tls/certificates');
    if (!certificates) await this.ok('POST', '/config/apps/tls/certificates', { load_pem: [entry] });
    else if (!Array.isArray(certificates.load_pem)) await this.ok('POST', '/config/apps/tls/certificates/load_pem', [entry]);
    else await this.ok('POST', '/config/apps/tls/certificates/load_pem', entry);
  }

  async removeCertificate(id: string) {
    await this.removeById(CaddyEdge.certificateId(id), `certificate ${id}`);
  }

  async listCertificates() {
    // Read from the parent: on a Caddy started afresh there is no certificates object to traverse
    const entries = ((await this.ok('GET', '/config/apps/tls/certificates'))?.load_pem ?? []) as any[];
    return entries
      .filter((e) => typeof e?.['@id'] === 'string' && e['@id'].startsWith('fh-cert-'))
      .map((e) => {
        const tags = (e.tags ?? []) as string[];
        return {
          id: tags.find((t) => t.startsWith('fh-id:'))?.slice(6) ?? e['@id'].slice(8),
          hosts: tags.filter((t) => t.startsWith('fh-host:')).map((t) => t.slice(8)),
          certificate: String(e.certificate ?? ''),
        };
      });
  }

  private async removeById(id: string, what: string) {
    const r = await this.call('DELETE', `/id/${encodeURIComponent(id)}`);
    if (r.status >= 300 && r.status !== 404 && !/unknown object ID/i.test(r.body)) throw new Error(`Caddy: cannot remove ${what}: ${r.body.trim()}`);
  }
}

/** The server on the HTTP port that answers ACME HTTP-01 challenges */
const ACME_SERVER = 'freehold-acme';

registerEdge('caddy', (config) => new CaddyEdge(config as unknown as CaddyConfig));
