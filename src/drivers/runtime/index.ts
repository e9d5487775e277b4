/**
 * Runtime drivers run containers on a host. One interface, a registry of implementations; the
 * engine and the addons only ever talk to this interface.
 */
export interface Mount {
  source: string; // host path or named volume
  target: string;
  readonly?: boolean;
  /** Give the source to the container's user (Podman's :U) */
  chown?: boolean;
}

export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  env?: Record<string, string>;
  labels?: Record<string, string>;
  network?: string;
  /** Extra names the container answers to on its network */
  aliases?: string[];
  mounts?: Mount[];
  /** Writable in-memory directories (e.g. /tmp, /run) */
  tmpfs?: string[];
  readOnly?: boolean;
  publish?: PublishedPort[];
  memory?: string;
  user?: string;
  /** Replace a container of the same name (one a crash left behind) instead of failing */
  replace?: boolean;
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  state: string; // running, exited, created, paused, ...
  labels: Record<string, string>;
  networks: string[];
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Runtime {
  readonly name: string;
  /** Throws an error that says what to do when the runtime cannot be used */
  ping(): Promise<void>;
  imageExists(ref: string): Promise<boolean>;
  /** Pulls an image from its registry; throws an error that says what to do when that fails */
  pullImage(ref: string, log?: (line: string) => void): Promise<void>;
  /** Builds an image from a context directory (its Containerfile) */
  buildImage(context: string, tag: string, log?: (line: string) => void): Promise<void>;
  /** Imports a root filesystem tarball stream as an image */
  importImage(tarFile: string, tag: string): Promise<void>;
  ensureNetwork(name: string, labels?: Record<string, string>): Promise<void>;
  networkExists(name: string): Promise<boolean>;
  listNetworks(label: string): Promise<string[]>;
  /** Which of these networks are still cut off from other networks (their firewall rules in place) */
  isolatedNetworks(names: string[]): Promise<Set<string>>;
  removeNetwork(name: string): Promise<void>;
  /** Connects a running container to a network under extra names; no-op when already connected */
  connect(network: string, container: string, aliases?: string[]): Promise<void>;
  disconnect(network: string, container: string): Promise<void>;
  /** Creates and starts a container */
  run(spec: ContainerSpec): Promise<ContainerInfo>;
  /**
   * Runs a container to completion and removes it (a migration, say): its exit code and output.
   * Killed and removed when it runs longer than the timeout.
   */
  runOnce(spec: ContainerSpec, timeoutSeconds?: number): Promise<ExecResult>;
  start(name: string): Promise<void>;
  stop(name: string, timeoutSeconds?: number): Promise<void>;
  /** Removes a container (and its anonymous volumes); no-op when absent */
  remove(name: string): Promise<void>;
  inspect(name: string): Promise<ContainerInfo | null>;
  /** Containers carrying the label (key or key=value) */
  list(label: string): Promise<ContainerInfo[]>;
  exec(name: string, argv: string[], opts?: { stdin?: string; user?: string; env?: Record<string, string> }): Promise<ExecResult>;
  /**
   * Runs argv in the container with its stdout streamed into a host file (created mode 600;
   * binary-safe, never held in memory). On a non-zero exit the file is removed, so a cut dump
   * never passes for a whole one, and the error names the command and ends with its output.
   */
  execToFile(name: string, argv: string[], file: string, opts?: { user?: string }): Promise<void>;
  /** Runs argv in the container with a host file streamed to its stdin; errors as execToFile */
  execFromFile(name: string, argv: string[], file: string, opts?: { user?: string }): Promise<void>;
  logs(name: string, opts?: { tail?: number }): Promise<string>;
  followLogs(name: string, onLine: (line: string) => void, opts?: { tail?: number }): { stop(): void };
  removeVolume(name: string): Promise<void>;
  volumeExists(name: string): Promise<boolean>;
}

export type RuntimeFactory = (config: Record<string, unknown>) => Runtime;

const registry = new Map<string, RuntimeFactory>();
export const registerRuntime = (name: string, factory: RuntimeFactory) => registry.set(name, factory);
export function createRuntime(name: string, config: Record<string, unknown> = {}): Runtime {
  const factory = registry.get(name);
  if (!factory) throw new Error(`unknown runtime "${name}" (known: ${[...registry.keys()].join(', ')})`);
  return factory(config);
}
