/** Hosts are data: a row names its provider and runtime; drivers come from the registries. */
import { join } from 'node:path';
import type { Store } from '../store/index.js';
import { now } from '../store/index.js';
import { createRuntime } from '../drivers/runtime/index.js';
import { createEdge } from '../drivers/edge/index.js';
import { ensureImage } from '../drivers/runtime/images.js';
import type { HostContext } from '../engine/kinds/context.js';
import { NotFoundError, UserError } from './errors.js';
import { isIP } from 'node:net';
import '../drivers/runtime/podman.js';
import '../drivers/edge/caddy.js';
import '../drivers/addons/all.js';

export interface EdgeSettings {
  httpsPort: number;
  httpPort: number;
}

/**
 * Where the internet reaches a host: its public addresses (A/AAAA records of the installations on
 * configured domains point there), a name (a CNAME), e.g. a router's dynamic-DNS name, or an IP
 * pool: each installation gets its own address from it (a prefix routed to the host, e.g. an
 * IPv6 /64 or a block of failover IPs; Freehold does not configure the host's interfaces).
 */
export type PublicTarget = { addresses: string[] } | { cname: string } | { pool: string };

export interface HostView {
  id: string;
  name: string;
  provider: string;
  runtime: string;
  public: PublicTarget | null;
}

export type HostContextFactory = (host: { id: string; runtime: string; config: Record<string, unknown> }) => HostContext;

export function localHostContextFactory(dataDir: string, edge: EdgeSettings): HostContextFactory {
  return (host) => {
    // FREEHOLD_PODMAN names another podman binary (tests use a broken one to check the errors).
    const runtime = createRuntime(host.runtime, { ...(process.env.FREEHOLD_PODMAN && { bin: process.env.FREEHOLD_PODMAN }), ...host.config });
    return {
      hostId: host.id,
      runtime,
      edge: createEdge('caddy', { dir: join(dataDir, 'caddy'), httpsPort: edge.httpsPort, httpPort: edge.httpPort }),
      addons: { runtime, dataDir, log: () => {}, ensureImage: (tag, context) => ensureImage(runtime, tag, context) },
      dataDir,
      publishIp: '127.0.0.1',
    };
  };
}

export class Hosts {
  private contexts = new Map<string, HostContext>();

  constructor(
    private readonly db: Store,
    private readonly factory: HostContextFactory,
  ) {}

  /** The machine Freehold runs on is always a host */
  async ensureLocal() {
    await this.db
      .insertInto('hosts')
      .values({ id: 'local', name: 'local', provider: 'local', runtime: 'podman', config: '{}', created_at: now() })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async list() {
    return this.db.selectFrom('hosts').selectAll().execute();
  }

  async views(): Promise<HostView[]> {
    return (await this.list()).map((h) => ({ id: h.id, name: h.name, provider: h.provider, runtime: h.runtime, public: JSON.parse(h.config).public ?? null }));
  }

  /** A host's public target, read once: installations on configured domains ask for it at every plan */
  private publics = new Map<string, PublicTarget | null>();

  async publicTarget(hostId: string): Promise<PublicTarget | null> {
    if (!this.publics.has(hostId)) {
      const row = await this.db.selectFrom('hosts').select('config').where('id', '=', hostId).executeTakeFirst();
      if (!row) throw new NotFoundError(`no host "${hostId}"`);
      this.publics.set(hostId, JSON.parse(row.config).public ?? null);
    }
    return this.publics.get(hostId)!;
  }

  /** Sets (or with null, clears) where the internet reaches a host; the reconcile loop moves the DNS records */
  async setPublic(idOrName: string, input: unknown): Promise<HostView> {
    const row = await this.db.selectFrom('hosts').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
    if (!row) throw new NotFoundError(`no host "${idOrName}" (see "freehold hosts")`);
    const target = parsePublicTarget(input);
    const config = { ...JSON.parse(row.config), public: target ?? undefined };
    await this.db.updateTable('hosts').set({ config: JSON.stringify(config) }).where('id', '=', row.id).execute();
    this.publics.delete(row.id);
    return (await this.views()).find((h) => h.id === row.id)!;
  }

  async context(idOrName: string): Promise<HostContext> {
    const cached = this.contexts.get(idOrName);
    if (cached) return cached;
    const row = await this.db.selectFrom('hosts').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
    if (!row) throw new NotFoundError(`no host "${idOrName}"`);
    const { public: _public, ...config } = JSON.parse(row.config);
    const ctx = this.factory({ id: row.id, runtime: row.runtime, config });
    this.contexts.set(row.id, ctx);
    this.contexts.set(row.name, ctx);
    return ctx;
  }
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Checks a public target: `{addresses: [...]}` (IPv4/IPv6, at least one) or `{cname: host}`; null clears */
export function parsePublicTarget(input: unknown): PublicTarget | null {
  if (input === null) return null;
  const t = (input ?? {}) as { addresses?: unknown; cname?: unknown; pool?: unknown };
  if ([t.addresses, t.cname, t.pool].filter((x) => x !== undefined).length > 1) throw new UserError('give the public addresses, a public name or an IP pool: one of them', [{ path: 'public', message: 'has more than one of addresses, cname, pool' }]);
  if (t.pool !== undefined) {
    if (typeof t.pool !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,62}$/.test(t.pool)) throw new UserError(`IP pool "${t.pool}" is not a pool name`, [{ path: 'public.pool', message: 'is not a pool name' }]);
    return { pool: t.pool };
  }
  if (typeof t.cname === 'string') {
    const cname = t.cname.trim().toLowerCase().replace(/\.$/, '');
    if (!HOST_NAME.test(cname)) throw new UserError(`public name "${t.cname}" is not a host name (e.g. home.example.net)`, [{ path: 'public.cname', message: 'is not a host name' }]);
    return { cname };
  }
  const addresses = Array.isArray(t.addresses) ? t.addresses : [];
  const bad = addresses.filter((a) => typeof a !== 'string' || !isIP(a));
  if (!addresses.length || bad.length) {
    throw new UserError(`a host's public target is its IPv4/IPv6 addresses or a host name${bad.length ? ` (not addresses: ${bad.join(', ')})` : ''}`, [{ path: 'public.addresses', message: 'must be IPv4 or IPv6 addresses' }]);
  }
  return { addresses: [...new Set(addresses as string[])] };
}
