/**
 * An app component's container: read-only root, writable /data (the installation's volume),
 * /tmp and /run; on the installation's own network; HTTP published on loopback for the edge.
 * Applying it means running it AND seeing its health check pass.
 */
import { mkdirSync, writeFileSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { addonDriver, type AddonOutputs } from '../../drivers/addons/index.js';
import { renderTemplate } from '../../manifest/template.js';
import { freePort, portIsFree, sleep } from '../../lib/net.js';
import type { Json, ResourceHandler } from '../resource.js';
import type { Mount } from '../../drivers/runtime/index.js';
import { LABEL_COMPONENT, LABEL_HASH, LABEL_INSTALLATION, type HostContext } from './context.js';
import { isNewerVersion } from '../../manifest/versions.js';

export interface ContainerResourceSpec {
  name: string;
  component: string;
  /** The app's upstream version; when it goes up, `migrate` runs before the new container starts */
  version: string;
  /** The manifest's migrate hook, on the component that runs it */
  migrate?: string[];
  /** address: the host's public address, when it has one (an address from a pool comes as an input) */
  installation: { name: string; domain: string; url: string; host: string; address?: string };
  command?: string[];
  env: Record<string, string>;
  files: Record<string, string>;
  /** Addons the app declared, with its env overrides (env name -> addon field) */
  addons: Record<string, Record<string, string>>;
  secrets: string[];
  config: Record<string, Json>;
  http?: { port: number; healthCheck?: { path: string; timeoutSeconds?: number; intervalMs?: number } };
  ports: { port: number; protocol: 'tcp' | 'udp' }[];
  memory?: string;
  user?: string;
  network: string;
}

export class HealthCheckError extends Error {}
export class MigrationError extends Error {}

const MIGRATION_TIMEOUT_SECONDS = 30 * 60;

function render(spec: ContainerResourceSpec, inputs: Record<string, Record<string, Json>>) {
  const addons: Record<string, AddonOutputs> = {};
  for (const kind of Object.keys(spec.addons)) addons[kind] = (inputs[`addon:${kind}`] ?? {}) as AddonOutputs;
  // A random secret is its value; a key pair, its parts ({{ secrets.<name>.private }} ...)
  const secrets: Record<string, string | Record<string, string>> = {};
  for (const s of spec.secrets) {
    const out = inputs[`secret:${s}`] ?? {};
    secrets[s] = 'value' in out || !Object.keys(out).length ? String(out.value ?? '') : Object.fromEntries(Object.entries(out).map(([k, v]) => [k, String(v)]));
  }
  const address = String(inputs.address?.address ?? spec.installation.address ?? '');
  const scope = { installation: { ...spec.installation, address }, addons, secrets, config: spec.config };
  const env: Record<string, string> = {};
  for (const [kind, overrides] of Object.entries(spec.addons)) {
    const mapping = { ...addonDriver(kind).defaultEnv, ...overrides };
    for (const [name, field] of Object.entries(mapping)) {
      const v = (addons[kind] as Record<string, unknown>)[field];
      if (v !== undefined) env[name] = String(v);
    }
  }
  for (const [k, v] of Object.entries(spec.env)) env[k] = renderTemplate(v, scope, `components.${spec.component}.env.${k}`);
  const files: Record<string, string> = {};
  for (const [path, v] of Object.entries(spec.files)) files[path] = renderTemplate(v, scope, `components.${spec.component}.files.${path}`);
  return { env, files };
}

async function waitHealthy(ctx: HostContext, name: string, port: number, check: NonNullable<ContainerResourceSpec['http']>['healthCheck'], log: (l: string) => void) {
  const path = check?.path ?? '/';
  const deadline = Date.now() + (check?.timeoutSeconds ?? 120) * 1000;
  const interval = check?.intervalMs ?? 250;
  // Most apps answer within a second of starting: probe often at first, then at the interval.
  let wait = Math.min(50, interval);
  let last = 'no answer yet';
  let probes = 0;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://${ctx.publishIp}:${port}${path}`, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.status < 400) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).cause ? String(((err as Error).cause as Error).message) : (err as Error).message;
    }
    // A container that exited will never become healthy: say so now, with its last words.
    if (++probes % 8 === 0) {
      const info = await ctx.runtime.inspect(name);
      if (info && info.state !== 'running') {
        const logs = (await ctx.runtime.logs(name, { tail: 15 })).trim();
        throw new HealthCheckError(`${name} exited during start-up (${info.state}). Last log lines:\n${logs}`);
      }
    }
    await sleep(wait);
    wait = Math.min(wait * 2, interval);
  }
  log(`health check of ${name} at ${path} did not pass: ${last}`);
  throw new HealthCheckError(`${name} did not pass its health check (GET ${path}) within ${check?.timeoutSeconds ?? 120}s: ${last}`);
}

export const containerHandler: ResourceHandler<HostContext> = {
  async observe(ctx, items) {
    const found = new Map((await ctx.runtime.list(LABEL_INSTALLATION)).map((c) => [c.name, c]));
    return items.map((i) => {
      const c = found.get((i.spec as unknown as ContainerResourceSpec).name);
      if (!c) return { state: 'absent' } as const;
      if (c.state !== 'running') return { state: 'drifted', reason: `container is ${c.state}` } as const;
      return { state: 'present' } as const;
    });
  },

  async apply({ ctx, installation, spec: raw, hash, previous, inputs, log }) {
    const spec = raw as unknown as ContainerResourceSpec;
    const image = String(inputs[`image:${spec.component}`]?.ref ?? '');
    const volume = String(inputs['addon:volume']?.path ?? '');
    const hostPort = spec.http ? await pickPort(ctx, previous?.hostPort) : undefined;
    // Only a recorded container can be the one wanted; a first run replaces whatever is in the way.
    const existing = previous ? await ctx.runtime.inspect(spec.name) : null;
    if (existing && existing.labels[LABEL_HASH] === hash && previous?.hostPort === hostPort) {
      // Same container as wanted: just make sure it runs (repairs a stop by hand).
      if (existing.state !== 'running') {
        log(`starting ${spec.name}`);
        await ctx.runtime.start(spec.name);
      }
    } else {
      if (existing) {
        // Removed first, so that the ports it holds are free for the check below.
        log(`replacing ${spec.name}`);
        await ctx.runtime.remove(spec.name);
      }
      for (const p of spec.ports) {
        if (p.protocol === 'tcp' && !(await portIsFree(p.port))) {
          throw new Error(`port ${p.port}/tcp is already in use on this host; stop what uses it (see "ss -ltnp sport = :${p.port}") or install the app on another host`);
        }
      }
      const { env, files } = render(spec, inputs);
      const mounts: Mount[] = [{ source: volume, target: '/data', chown: true }];
      const filesDir = join(ctx.dataDir, 'files', installation, spec.component);
      rmSync(filesDir, { recursive: true, force: true });
      for (const [path, content] of Object.entries(files)) {
        const host = join(filesDir, path.replace(/\//g, '_'));
        mkdirSync(filesDir, { recursive: true, mode: 0o700 });
        writeFileSync(host, content, { mode: 0o600 });
        mounts.push({ source: host, target: path, readonly: true, chown: true });
      }
      const sandbox = {
        image,
        env,
        network: spec.network,
        mounts,
        // The app's user is not root: /tmp is sticky and world-writable, /run is given to it
        // (U: Podman sets /run's mode itself, so only ownership works there).
        tmpfs: ['/tmp:rw,nosuid,nodev,mode=1777', '/run:rw,nosuid,nodev,U'],
        readOnly: true,
        memory: spec.memory,
        user: spec.user,
      };
      // Only an upgrade migrates: not a first install (postInstall sets up), not a packaging
      // revision, not going back to an older version (a rollback or restore brings its own data).
      const from = typeof previous?.version === 'string' ? previous.version : undefined;
      if (spec.migrate && from && isNewerVersion(spec.version, from)) {
        log(`migrating ${installation} from ${from} to ${spec.version}: ${spec.migrate.join(' ')}`);
        const r = await ctx.runtime.runOnce({ ...sandbox, name: `${spec.name}-migrate`, command: spec.migrate, labels: { [LABEL_INSTALLATION]: installation } }, MIGRATION_TIMEOUT_SECONDS);
        for (const line of (r.stdout + r.stderr).trim().split('\n').slice(-20)) if (line) log(`  ${line}`);
        if (r.code !== 0) throw new MigrationError(`the migration from ${from} to ${spec.version} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`);
      }
      log(`running ${spec.name} from ${image}`);
      await ctx.runtime.run({
        ...sandbox,
        name: spec.name,
        command: spec.command,
        labels: { [LABEL_INSTALLATION]: installation, [LABEL_COMPONENT]: spec.component, [LABEL_HASH]: hash },
        aliases: [spec.component],
        publish: [
          ...(hostPort && spec.http ? [{ hostIp: ctx.publishIp, hostPort, containerPort: spec.http.port, protocol: 'tcp' as const }] : []),
          ...spec.ports.map((p) => ({ hostIp: '0.0.0.0', hostPort: p.port, containerPort: p.port, protocol: p.protocol })),
        ],
        replace: true,
      });
    }
    if (spec.http && hostPort) {
      log(`waiting for ${spec.name} to answer on ${spec.http.healthCheck?.path ?? '/'}`);
      await waitHealthy(ctx, spec.name, hostPort, spec.http.healthCheck, log);
    }
    return { hostPort: hostPort ?? null, version: spec.version };
  },

  async delete({ ctx, installation, spec }) {
    const s = spec as unknown as ContainerResourceSpec;
    await ctx.runtime.remove(s.name);
    rmSync(join(ctx.dataDir, 'files', installation, s.component), { recursive: true, force: true });
    try {
      rmdirSync(join(ctx.dataDir, 'files', installation));
    } catch {
      /* absent, or other components' files are still there */
    }
  },
};

/** Keeps the port the container had, so the route to it stays valid */
async function pickPort(ctx: HostContext, previous: Json | undefined): Promise<number> {
  if (typeof previous === 'number') return previous;
  return freePort(ctx.publishIp);
}
