/**
 * Podman runtime through its CLI, always with argument arrays. The CLI rather than the Engine API
 * socket: it needs no long-running service, and works the same for rootful and rootless hosts.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { run, CommandError } from '../../lib/spawn.js';
import { registerRuntime, type ContainerInfo, type ContainerSpec, type ExecResult, type Runtime } from './index.js';

const ISOLATION_CHAIN = 'FREEHOLD-ISOLATION';
const HOST_CAS = '/usr/local/share/ca-certificates';

async function iptables(args: string[], check = true) {
  try {
    return await run(['iptables', '-w', ...args], { check });
  } catch (err) {
    if (/not installed/.test((err as Error).message)) throw new Error('iptables is needed to keep installations apart: apt-get install iptables');
    throw err;
  }
}

async function ensureRule(rule: string[], where: 'insert' | 'append') {
  const [chain, ...spec] = rule;
  if ((await iptables(['-C', chain, ...spec], false)).code === 0) return;
  await iptables(where === 'insert' ? ['-I', chain, '1', ...spec] : ['-A', chain, ...spec]);
}

/** A process that exists and is not a zombie (an orphan nobody reaps stays one) */
function processAlive(pid: number) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export class PodmanRuntime implements Runtime {
  readonly name = 'podman';
  private readonly rootful = process.getuid?.() === 0;
  private chainReady?: Promise<void>;
  /** local: Podman runs on this machine, so its containers' processes are visible in /proc */
  constructor(private readonly bin = 'podman', private readonly local = true) {}

  private podman(args: string[], opts: Parameters<typeof run>[1] = {}) {
    return run([this.bin, ...args], opts);
  }

  /** When Podman last answered: `podman info` costs 0.3 s and more under load, so a recent answer stands */
  private pingedAt = 0;

  async ping() {
    if (Date.now() - this.pingedAt < 30_000) return;
    try {
      await this.podman(['info', '--format', '{{.Host.OCIRuntime.Name}}'], { timeoutMs: 30_000 });
      this.pingedAt = Date.now();
    } catch (err) {
      this.pingedAt = 0;
      throw new Error(`Podman is not usable: ${(err as Error).message}. Run "freehold doctor" to see how to fix it.`);
    }
  }

  /** Images seen lately: an image is rarely removed, and a check costs a podman call (~50 ms) */
  private imagesSeen = new Map<string, number>();

  async imageExists(ref: string) {
    if (Date.now() - (this.imagesSeen.get(ref) ?? 0) < 30_000) return true;
    const r = await this.podman(['image', 'exists', ref], { check: false });
    if (r.code === 0) this.imagesSeen.set(ref, Date.now());
    else this.imagesSeen.delete(ref);
    return r.code === 0;
  }

  async pullImage(ref: string, log?: (line: string) => void) {
    const r = await this.podman(['pull', ref], { onLine: log, check: false, timeoutMs: 15 * 60_000 });
    if (r.code !== 0) {
      const why = (r.stderr || r.stdout).trim().split('\n').pop() ?? '';
      throw new Error(`cannot pull image ${ref} (${why}); if this host cannot reach that registry, load the image with "podman load" or use an app whose manifest has a build context`);
    }
    this.imagesSeen.set(ref, Date.now());
  }

  async buildImage(context: string, tag: string, log?: (line: string) => void) {
    // Builds trust the host's extra CAs (a TLS-inspecting proxy in front of npm or apt, say);
    // an image that needs them runs update-ca-certificates in a build stage.
    const cas = existsSync(HOST_CAS) && readdirSync(HOST_CAS).length ? ['--volume', `${HOST_CAS}:${HOST_CAS}:ro`] : [];
    await this.podman(['build', '--pull=never', '--layers', ...cas, '-t', tag, context], { onLine: log });
  }

  async importImage(tarFile: string, tag: string) {
    await this.podman(['import', tarFile, tag]);
  }

  async ensureNetwork(name: string, labels: Record<string, string> = {}) {
    // isolate: containers on this network cannot reach containers on other networks
    // (netavark's bridges are otherwise routed to each other through the host).
    const args = ['network', 'create', '--opt', 'isolate=true'];
    for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
    // Create first and look only if that fails: it already exists, or a concurrent create won.
    const r = await this.podman([...args, name], { check: false });
    if (r.code !== 0 && !(await this.networkExists(name))) throw new CommandError([this.bin, ...args, name], r);
    await this.isolate(name);
  }

  private async bridgeOf(name: string): Promise<string | undefined> {
    // Rootful netavark keeps each network's definition here: reading it saves a podman call.
    try {
      const def = JSON.parse(readFileSync(`/etc/containers/networks/${name}.json`, 'utf8'));
      if (typeof def.network_interface === 'string' && def.network_interface) return def.network_interface;
    } catch {
      /* not there (other backend or location): ask podman */
    }
    const r = await this.podman(['network', 'inspect', '--format', '{{.NetworkInterface}}', name], { check: false });
    return r.code === 0 ? r.stdout.trim() || undefined : undefined;
  }

  /**
   * Drops traffic routed from this network's bridge to any other Podman bridge, in a chain of
   * Freehold's own: netavark's "isolate" option alone is not enough, because netavark 1.4
   * (Debian 12) removes its FORWARD jump when any isolated network is torn down.
   * Rootless Podman has no host bridges to route between, so there is nothing to do.
   */
  private async isolate(name: string) {
    if (!this.rootful) return;
    const bridge = await this.bridgeOf(name);
    if (!bridge) return;
    // The chain and its DROP rule are host-wide: set them up once per process.
    this.chainReady ??= (async () => {
      await iptables(['-N', ISOLATION_CHAIN], false);
      await ensureRule([ISOLATION_CHAIN, '-o', 'podman+', '-j', 'DROP'], 'append');
    })().catch((err) => {
      this.chainReady = undefined;
      throw err;
    });
    await this.chainReady;
    await ensureRule(['FORWARD', '-i', bridge, '!', '-o', bridge, '-j', ISOLATION_CHAIN], 'insert');
  }

  async isolatedNetworks(names: string[]): Promise<Set<string>> {
    if (!this.rootful || !names.length) return new Set(names);
    const rules = new Set((await iptables(['-S', 'FORWARD'])).stdout.split('\n').map((l) => l.trim()));
    const out = new Set<string>();
    for (const name of names) {
      const bridge = await this.bridgeOf(name);
      if (bridge && rules.has(`-A FORWARD -i ${bridge} ! -o ${bridge} -j ${ISOLATION_CHAIN}`)) out.add(name);
    }
    return out;
  }

  async networkExists(name: string) {
    return (await this.podman(['network', 'exists', name], { check: false })).code === 0;
  }

  async listNetworks(label: string) {
    const r = await this.podman(['network', 'ls', '--filter', `label=${label}`, '--format', '{{.Name}}']);
    return r.stdout.split('\n').filter(Boolean);
  }

  async removeNetwork(name: string) {
    if (!(await this.networkExists(name))) return;
    const bridge = this.rootful ? await this.bridgeOf(name) : undefined;
    if (bridge) await iptables(['-D', 'FORWARD', '-i', bridge, '!', '-o', bridge, '-j', ISOLATION_CHAIN], false);
    // No -f: it would also remove every container still on the network, shared ones included.
    await this.podman(['network', 'rm', name]);
  }

  async connect(network: string, container: string, aliases: string[] = []) {
    const info = await this.inspect(container);
    if (info?.networks.includes(network)) return;
    const args = ['network', 'connect'];
    for (const a of aliases) args.push('--alias', a);
    await this.podman([...args, network, container]);
  }

  async disconnect(network: string, container: string) {
    const info = await this.inspect(container);
    if (!info?.networks.includes(network)) return;
    await this.podman(['network', 'disconnect', '-f', network, container], { check: false });
  }

  /** podman run's options for a spec (detached or not is the caller's) */
  private runArgs(spec: ContainerSpec) {
    const args = [...(spec.replace ? ['--replace'] : []), '--name', spec.name, '--pull=never'];
    if (spec.network) {
      args.push('--network', spec.aliases?.length ? `${spec.network}:alias=${spec.aliases.join(',alias=')}` : spec.network);
    }
    for (const [k, v] of Object.entries(spec.labels ?? {})) args.push('--label', `${k}=${v}`);
    for (const [k, v] of Object.entries(spec.env ?? {})) args.push('--env', `${k}=${v}`);
    for (const m of spec.mounts ?? []) args.push('--volume', `${m.source}:${m.target}:${[m.readonly ? 'ro' : 'rw', ...(m.chown ? ['U'] : [])].join(',')}`);
    for (const t of spec.tmpfs ?? []) args.push('--tmpfs', t);
    for (const p of spec.publish ?? []) args.push('--publish', `${p.hostIp}:${p.hostPort}:${p.containerPort}/${p.protocol}`);
    if (spec.readOnly) args.push('--read-only', '--read-only-tmpfs=false');
    if (spec.memory) args.push('--memory', spec.memory);
    if (spec.user) args.push('--user', spec.user);
    return [...args, spec.image, ...(spec.command ?? [])];
  }

  async run(spec: ContainerSpec): Promise<ContainerInfo> {
    const r = await this.podman(['run', '-d', ...this.runArgs(spec)]);
    // What was asked is what runs: no second inspect on the install path (it costs ~35 ms).
    return { id: r.stdout.trim().split('\n').pop() ?? '', name: spec.name, image: spec.image, state: 'running', labels: spec.labels ?? {}, networks: spec.network ? [spec.network] : [] };
  }

  async runOnce(spec: ContainerSpec, timeoutSeconds = 600): Promise<ExecResult> {
    try {
      return await this.podman(['run', '--rm', ...this.runArgs({ ...spec, replace: true })], { check: false, timeoutMs: timeoutSeconds * 1000 });
    } finally {
      // A timeout leaves it running: it must not go on changing data behind the caller's back.
      await this.podman(['rm', '-f', '--ignore', spec.name], { check: false });
    }
  }

  async start(name: string) {
    await this.podman(['start', name]);
  }

  async stop(name: string, timeoutSeconds = 10) {
    await this.podman(['stop', '-t', String(timeoutSeconds), name], { check: false });
  }

  async remove(name: string) {
    await this.podman(['rm', '-f', '-v', '--ignore', name]);
  }

  /**
   * A container Podman records as running whose process is gone: its conmon was killed with
   * everything else (a sandbox or service manager ending all processes without a reboot), so no
   * exit was recorded and Podman never learns. It cannot be exec'd, stopped or started, only
   * removed; removing it lets the caller create it again, as after a reboot.
   */
  private isGhost(state: string, pid: number | undefined, conmonPid: number | undefined) {
    if (!this.local || !['running', 'stopping', 'paused'].includes(state)) return false;
    if (pid && processAlive(pid)) return false;
    // A process that has just exited while its conmon lives is not a ghost: conmon is recording
    // the exit (a race seen with apps that exit at once on start-up).
    return !conmonPid || !processAlive(conmonPid);
  }

  private async buryGhost(name: string) {
    console.error(`podman lists ${name} as running but its process is gone (killed without a reboot); removing it so it is created again`);
    // The first removal waits ~5 s for an exit file the dead conmon never writes, fails, and
    // records the container as exited; the second then removes it.
    for (let attempt = 1; ; attempt++) {
      const r = await this.podman(['rm', '-f', '--ignore', name], { check: false });
      if (r.code === 0) return;
      if (attempt === 2) throw new Error(`podman lists ${name} as running though its process is gone, and cannot remove it: ${r.stderr.trim()}. Remove it by hand: podman rm -f ${name}`);
    }
  }

  private toInfo(raw: any): ContainerInfo {
    const nets = raw.NetworkSettings?.Networks ?? {};
    return {
      id: raw.Id,
      name: String(raw.Name ?? '').replace(/^\//, ''),
      image: raw.ImageName ?? raw.Config?.Image ?? '',
      state: raw.State?.Status ?? 'unknown',
      labels: raw.Config?.Labels ?? {},
      networks: Object.keys(nets),
    };
  }

  async inspect(name: string) {
    const r = await this.podman(['container', 'inspect', name], { check: false });
    if (r.code !== 0) return null;
    const [raw] = JSON.parse(r.stdout);
    if (!raw) return null;
    const info = this.toInfo(raw);
    if (this.isGhost(info.state, raw.State?.Pid, raw.State?.ConmonPid)) {
      await this.buryGhost(info.name);
      return null;
    }
    // Exited, with its exit not recorded yet: say so already.
    if (info.state === 'running' && this.local && !(raw.State?.Pid && processAlive(raw.State.Pid))) return { ...info, state: 'exited' };
    return info;
  }

  async list(label: string): Promise<ContainerInfo[]> {
    const r = await this.podman(['ps', '-a', '--filter', `label=${label}`, '--format', 'json']);
    const rows: any[] = JSON.parse(r.stdout || '[]');
    // `ps` does not tell conmon's pid: a container whose process is gone is inspected to tell.
    const ghosts: any[] = [];
    for (const c of rows.filter((c) => this.isGhost(c.State, c.Pid, undefined))) {
      const seen = await this.inspect(c.Id); // buries a ghost
      if (seen) c.State = seen.state;
      else ghosts.push(c);
    }
    return rows.filter((c) => !ghosts.includes(c)).map((c) => ({
      id: c.Id,
      name: (c.Names ?? [])[0] ?? '',
      image: c.Image,
      state: c.State,
      labels: c.Labels ?? {},
      networks: c.Networks ?? [],
    }));
  }

  async exec(name: string, argv: string[], opts: { stdin?: string; user?: string; env?: Record<string, string> } = {}) {
    const args = ['exec'];
    if (opts.stdin !== undefined) args.push('-i');
    if (opts.user) args.push('--user', opts.user);
    for (const [k, v] of Object.entries(opts.env ?? {})) args.push('--env', `${k}=${v}`);
    return this.podman([...args, name, ...argv], { stdin: opts.stdin, check: false });
  }

  async execToFile(name: string, argv: string[], file: string, opts: { user?: string } = {}) {
    const out = await open(file, 'w', 0o600);
    let done = false;
    try {
      await this.execStreaming(name, argv, opts, { stdout: out.fd });
      done = true;
    } finally {
      await out.close();
      if (!done) await rm(file, { force: true });
    }
  }

  async execFromFile(name: string, argv: string[], file: string, opts: { user?: string } = {}) {
    const input = await open(file, 'r');
    try {
      await this.execStreaming(name, argv, opts, { stdin: input.fd });
    } finally {
      await input.close();
    }
  }

  /**
   * podman exec with a file descriptor as its stdin or stdout: podman reads or writes the file
   * itself, so gigabytes of dump never pass through this process. Only the last few KiB of the
   * piped output are kept, for the error message.
   */
  private execStreaming(name: string, argv: string[], opts: { user?: string }, fds: { stdin?: number; stdout?: number }) {
    const args = ['exec', ...(fds.stdin === undefined ? [] : ['-i']), ...(opts.user ? ['--user', opts.user] : []), name, ...argv];
    return new Promise<void>((resolve, reject) => {
      const child = spawn(this.bin, args, { stdio: [fds.stdin ?? 'ignore', fds.stdout ?? 'pipe', 'pipe'] });
      let tail = '';
      const keep = (chunk: Buffer) => void (tail = (tail + chunk.toString()).slice(-4096));
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (code === 0) return resolve();
        const detail = tail.trim().split('\n').slice(-5).join('\n');
        reject(new Error(`${argv.join(' ')} in ${name} failed (${code === null ? signal : `exit ${code}`})${detail ? `: ${detail}` : ''}`));
      });
    });
  }

  async logs(name: string, opts: { tail?: number } = {}) {
    const r = await this.podman(['logs', ...(opts.tail ? ['--tail', String(opts.tail)] : []), name], { check: false });
    return r.stdout + r.stderr;
  }

  followLogs(name: string, onLine: (line: string) => void, opts: { tail?: number } = {}) {
    const child = spawn(this.bin, ['logs', '-f', '--tail', String(opts.tail ?? 100), name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    const feed = (c: Buffer) => {
      partial += c.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(onLine);
    };
    child.stdout.on('data', feed);
    child.stderr.on('data', feed);
    return { stop: () => child.kill() };
  }

  async removeVolume(name: string) {
    await this.podman(['volume', 'rm', '-f', name], { check: false });
  }

  async volumeExists(name: string) {
    return (await this.podman(['volume', 'exists', name], { check: false })).code === 0;
  }
}

registerRuntime('podman', (config) => new PodmanRuntime((config.bin as string) ?? 'podman', config.local !== false));
