/**
 * In-process fakes of the drivers below the engine's resource handlers, for the engine benchmark
 * only: a Runtime and an Edge that keep their state in memory, and fake postgres/redis addon
 * drivers. They follow the contracts of the real drivers (idempotent create, no-op removal of
 * what is absent, list by label), so the REAL handlers of src/engine/kinds run on top of them.
 * Every call is counted, to show how many driver calls one reconcile pass makes.
 */
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { ContainerInfo, ContainerSpec, ExecResult, Runtime } from '../src/drivers/runtime/index.js';
import type { Edge, Route } from '../src/drivers/edge/index.js';
import { addonDriver, registerAddon, type AddonContext, type AddonDriver, type AddonOutputs, type AddonTarget } from '../src/drivers/addons/index.js';
import { accountName } from '../src/drivers/addons/sql-server.js';
import { randomSecret } from '../src/lib/crypto.js';
import type { HostContextFactory } from '../src/services/hosts.js';

export class CallCounter {
  readonly calls = new Map<string, number>();
  count(name: string) {
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
  }
  reset() {
    this.calls.clear();
  }
  summary() {
    return [...this.calls].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  }
}

const matches = (labels: Record<string, string>, selector: string) => {
  const i = selector.indexOf('=');
  return i < 0 ? selector in labels : labels[selector.slice(0, i)] === selector.slice(i + 1);
};

/** A container runtime in memory. Published HTTP ports get a real listener answering 200, for health checks. */
export class FakeRuntime implements Runtime {
  readonly name = 'fake';
  private containers = new Map<string, ContainerInfo>();
  private networks = new Map<string, Record<string, string>>();
  private servers = new Map<string, Server[]>();
  private volumes = new Set<string>();

  constructor(
    readonly counter: CallCounter,
    private readonly images = new Set<string>(),
  ) {}

  private c(name: string) {
    this.counter.count(`runtime.${name}`);
  }

  async ping() {
    this.c('ping');
  }
  async imageExists(ref: string) {
    this.c('imageExists');
    return this.images.has(ref);
  }
  async buildImage(_context: string, tag: string) {
    this.c('buildImage');
    this.images.add(tag);
  }
  async importImage(_tar: string, tag: string) {
    this.c('importImage');
    this.images.add(tag);
  }
  async ensureNetwork(name: string, labels: Record<string, string> = {}) {
    this.c('ensureNetwork');
    if (!this.networks.has(name)) this.networks.set(name, labels);
  }
  async networkExists(name: string) {
    this.c('networkExists');
    return this.networks.has(name);
  }
  async listNetworks(label: string) {
    this.c('listNetworks');
    return [...this.networks].filter(([, l]) => matches(l, label)).map(([n]) => n);
  }
  async isolatedNetworks(names: string[]) {
    this.c('isolatedNetworks');
    return new Set(names.filter((n) => this.networks.has(n)));
  }
  async pullImage(ref: string) {
    this.c('pullImage');
    this.images.add(ref);
  }
  async removeNetwork(name: string) {
    this.c('removeNetwork');
    this.networks.delete(name);
  }
  async connect(network: string, container: string) {
    this.c('connect');
    const info = this.containers.get(container);
    if (info && !info.networks.includes(network)) info.networks.push(network);
  }
  async disconnect(network: string, container: string) {
    this.c('disconnect');
    const info = this.containers.get(container);
    if (info) info.networks = info.networks.filter((n) => n !== network);
  }
  async run(spec: ContainerSpec) {
    this.c('run');
    if (this.containers.has(spec.name)) throw new Error(`fake runtime: container name "${spec.name}" is already in use`);
    if (!this.images.has(spec.image)) throw new Error(`fake runtime: no image ${spec.image}`);
    if (spec.network && !this.networks.has(spec.network)) throw new Error(`fake runtime: no network ${spec.network}`);
    const servers: Server[] = [];
    for (const p of spec.publish ?? []) {
      if (p.protocol !== 'tcp') continue;
      const s = createServer((_req, res) => res.end('ok'));
      s.keepAliveTimeout = 100;
      await new Promise<void>((resolve, reject) => s.once('error', reject).listen(p.hostPort, p.hostIp, () => resolve()));
      servers.push(s);
    }
    this.servers.set(spec.name, servers);
    const info: ContainerInfo = { id: randomUUID(), name: spec.name, image: spec.image, state: 'running', labels: { ...spec.labels }, networks: spec.network ? [spec.network] : [] };
    this.containers.set(spec.name, info);
    return { ...info };
  }
  async runOnce(): Promise<ExecResult> {
    this.c('runOnce');
    return { code: 0, stdout: '', stderr: '' };
  }
  async start(name: string) {
    this.c('start');
    const info = this.containers.get(name);
    if (!info) throw new Error(`fake runtime: no container ${name}`);
    info.state = 'running';
  }
  async stop(name: string) {
    this.c('stop');
    const info = this.containers.get(name);
    if (info) info.state = 'exited';
  }
  async remove(name: string) {
    this.c('remove');
    for (const s of this.servers.get(name) ?? []) s.close();
    this.servers.delete(name);
    this.containers.delete(name);
  }
  async inspect(name: string) {
    this.c('inspect');
    const info = this.containers.get(name);
    return info ? { ...info, labels: { ...info.labels }, networks: [...info.networks] } : null;
  }
  async list(label: string) {
    this.c('list');
    return [...this.containers.values()].filter((c) => matches(c.labels, label)).map((c) => ({ ...c }));
  }
  async exec(): Promise<ExecResult> {
    this.c('exec');
    return { code: 0, stdout: '', stderr: '' };
  }
  async execToFile(_name: string, _argv: string[], file: string) {
    this.c('execToFile');
    await writeFile(file, '', { mode: 0o600 });
  }
  async execFromFile() {
    this.c('execFromFile');
  }
  async logs() {
    this.c('logs');
    return '';
  }
  followLogs() {
    return { stop() {} };
  }
  async removeVolume(name: string) {
    this.c('removeVolume');
    this.volumes.delete(name);
  }
  async volumeExists(name: string) {
    this.c('volumeExists');
    return this.volumes.has(name);
  }

  /** Closes the listeners of published ports */
  async close() {
    await Promise.all([...this.servers.values()].flat().map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
    this.servers.clear();
  }
}

/** An edge proxy in memory: a map of routes */
export class FakeEdge implements Edge {
  readonly name = 'fake';
  private routes = new Map<string, Route>();
  constructor(readonly counter: CallCounter) {}
  async ensureRunning() {
    this.counter.count('edge.ensureRunning');
  }
  async ping() {
    this.counter.count('edge.ping');
  }
  async setRoute(route: Route) {
    this.counter.count('edge.setRoute');
    this.routes.set(route.id, { ...route, hosts: [...route.hosts] });
  }
  async removeRoute(id: string) {
    this.counter.count('edge.removeRoute');
    this.routes.delete(id);
  }
  async getRoute(id: string) {
    this.counter.count('edge.getRoute');
    return this.routes.get(id) ?? null;
  }
  async listRoutes() {
    this.counter.count('edge.listRoutes');
    return [...this.routes.values()].map((r) => ({ ...r, hosts: [...r.hosts] }));
  }
  url(domain: string) {
    return `https://${domain}`;
  }
  caCertificateFile() {
    return undefined;
  }
}

/** A fake shared-server addon (postgres, redis): one account per installation, in memory */
function fakeServerAddon(kind: 'postgres' | 'redis', counter: CallCounter, defaultEnv: AddonDriver['defaultEnv']): AddonDriver {
  const accounts = new Map<string, string>();
  const port = kind === 'postgres' ? 5432 : 6379;
  return {
    kind,
    defaultEnv,
    async provision(_ctx: AddonContext, t: AddonTarget, previous?: AddonOutputs) {
      counter.count(`addon.${kind}.provision`);
      const name = accountName(t.installation);
      const password = previous?.password ?? accounts.get(name) ?? randomSecret(24);
      accounts.set(name, password);
      const url = kind === 'postgres' ? `postgres://${name}:${password}@postgres:${port}/${name}` : `redis://${name}:${password}@redis:${port}`;
      return { url, host: kind, port, username: name, password, ...(kind === 'postgres' ? { database: name } : { prefix: `${t.installation}:` }) };
    },
    async existing(_ctx: AddonContext, installations: string[]) {
      counter.count(`addon.${kind}.existing`);
      return new Set(installations.filter((i) => accounts.has(accountName(i))));
    },
    async deprovision(_ctx: AddonContext, t: AddonTarget) {
      counter.count(`addon.${kind}.deprovision`);
      accounts.delete(accountName(t.installation));
    },
    // The fake keeps no data, so there is nothing to dump or load.
    async backup() {
      counter.count(`addon.${kind}.backup`);
    },
    async restore() {
      counter.count(`addon.${kind}.restore`);
    },
  };
}

/**
 * Puts fake postgres and redis drivers in the (process-wide) addon registry; returns a function
 * that puts the real ones back. The volume addon stays real: a directory in the temp data dir.
 */
export function useFakeAddons(counter: CallCounter): () => void {
  const real = (['postgres', 'redis'] as const).map((k) => addonDriver(k));
  registerAddon(fakeServerAddon('postgres', counter, real[0].defaultEnv));
  registerAddon(fakeServerAddon('redis', counter, real[1].defaultEnv));
  return () => real.forEach((d) => registerAddon(d));
}

/** Every host gets the same fake runtime and edge */
export function fakeHostContext(dataDir: string, runtime: FakeRuntime, edge: FakeEdge): HostContextFactory {
  return (host) => ({
    hostId: host.id,
    runtime,
    edge,
    addons: { runtime, dataDir, log: () => {}, ensureImage: async (tag) => void (await runtime.buildImage('', tag)) },
    dataDir,
    publishIp: '127.0.0.1',
  });
}
