/**
 * Test harness: a real Freehold control plane (child process, as `freehold up`) with its own
 * Caddy on free loopback ports and a temporary data directory; HTTPS requests to installations
 * through Caddy, checked against Caddy's local CA.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { Client } from '../../src/cli/client.js';
import { freePort, sleep } from '../../src/lib/net.js';
import { CaddyEdge } from '../../src/drivers/edge/caddy.js';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Task {
  id: string;
  status: string;
  percent: number;
  message: string;
  error: string | null;
  params: Record<string, unknown>;
}

export class TestFreehold {
  private child?: ChildProcess;
  client!: Client;
  output = '';

  private constructor(
    readonly dataDir: string,
    readonly apiPort: number,
    readonly httpsPort: number,
    readonly httpPort: number,
    readonly catalogDirs: string[],
  ) {}

  static async start(opts: { catalogDirs?: string[]; reconcileIntervalSeconds?: number; scheduleIntervalSeconds?: number; healthIntervalSeconds?: number; unhealthyAfterSeconds?: number; env?: Record<string, string> } = {}) {
    const fh = new TestFreehold(mkdtempSync(join(tmpdir(), 'freehold-test-')), await freePort(), await freePort(), await freePort(), opts.catalogDirs ?? []);
    if (opts.scheduleIntervalSeconds) fh.scheduleInterval = opts.scheduleIntervalSeconds;
    if (opts.healthIntervalSeconds) fh.healthInterval = opts.healthIntervalSeconds;
    if (opts.unhealthyAfterSeconds) fh.unhealthyAfter = opts.unhealthyAfterSeconds;
    await fh.launch(opts.reconcileIntervalSeconds ?? 3600, opts.env);
    return fh;
  }

  private reconcileInterval = 3600;
  /** Seconds between checks for due backups; long by default so tests take no backups they did not ask for */
  scheduleInterval = 3600;
  /** Seconds between health probes; long by default so tests get no health alerts they did not ask for */
  healthInterval = 3600;
  /** Seconds an app may fail its health checks before an alert */
  unhealthyAfter = 300;

  /** Starts the control plane; `env` adds variables for this run only (e.g. FREEHOLD_FAILPOINT) */
  async launch(reconcileIntervalSeconds = this.reconcileInterval, env: Record<string, string> = {}) {
    this.reconcileInterval = reconcileIntervalSeconds;
    const apiFile = join(this.dataDir, 'api.json');
    rmSync(apiFile, { force: true });
    const args = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), '--data-dir', this.dataDir, 'up', '--port', String(this.apiPort), '--https-port', String(this.httpsPort), '--http-port', String(this.httpPort), '--reconcile-interval', String(reconcileIntervalSeconds), '--schedule-interval', String(this.scheduleInterval)];
    args.push('--health-interval', String(this.healthInterval), '--unhealthy-after', String(this.unhealthyAfter));
    for (const d of this.catalogDirs) args.push('--catalog', d);
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1', ...env } });
    this.child = child;
    child.stdout!.on('data', (c) => (this.output += c));
    child.stderr!.on('data', (c) => (this.output += c));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`freehold up exited (${child.exitCode}):\n${this.output}`);
      if (existsSync(apiFile)) {
        const token = readFileSync(join(this.dataDir, 'admin-token'), 'utf8').trim();
        this.client = new Client(JSON.parse(readFileSync(apiFile, 'utf8')).url, token);
        try {
          await this.client.request('GET', '/api/health');
          return;
        } catch {
          /* not yet */
        }
      }
      await sleep(100);
    }
    throw new Error(`freehold up did not become ready:\n${this.output}`);
  }

  /** Kills the control plane (default SIGKILL: no chance to clean up) */
  /** Resolves when the control plane exits by itself (e.g. at a failpoint) */
  async exited(timeoutMs = 600_000): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`control plane still running after ${timeoutMs} ms`)), timeoutMs);
      c.once('exit', () => (clearTimeout(t), resolve()));
    });
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL') {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
  }

  /**
   * Restarts the control plane with a failpoint, starts something (returns its task id), lets the
   * control plane die at the failpoint, starts it again normally and waits for that task's end.
   */
  async crashAt(failpoint: string, start: () => Promise<string>): Promise<Task> {
    await this.kill();
    await this.launch(this.reconcileInterval, { FREEHOLD_FAILPOINT: failpoint });
    const taskId = await start();
    await this.exited();
    if (!this.output.includes(`failpoint ${failpoint}`)) throw new Error(`the control plane did not die at ${failpoint}`);
    await this.launch(this.reconcileInterval);
    return this.waitTask(taskId);
  }

  async restart() {
    await this.kill('SIGTERM');
    await this.launch();
  }

  request<T = any>(method: string, path: string, body?: unknown) {
    return this.client.request<T>(method, path, body);
  }

  async waitTask(id: string, timeoutMs = 600_000): Promise<Task> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { task } = await this.request('GET', `/api/tasks/${id}`);
      if (['succeeded', 'failed', 'rolled_back'].includes(task.status)) return task;
      await sleep(200);
    }
    throw new Error(`task ${id} did not finish in ${timeoutMs} ms`);
  }

  async install(app: string, domain: string, set: string[] = [], version?: string): Promise<{ installation: any; task: Task }> {
    const r = await this.request('POST', '/api/installations', { app, domain, set, ...(version && { version }) });
    return { installation: r.installation, task: await this.waitTask(r.task.id) };
  }

  async uninstall(name: string): Promise<Task> {
    const r = await this.request('DELETE', `/api/installations/${name}`);
    return this.waitTask(r.task.id);
  }

  get caFile() {
    return join(this.dataDir, 'caddy', 'data', 'pki', 'authorities', 'local', 'root.crt');
  }

  /** An HTTPS request to <domain> through Caddy, trusting only Caddy's local CA (or only `init.ca`) */
  https(domain: string, path = '/', init: { method?: string; headers?: Record<string, string>; body?: string; ca?: string } = {}): Promise<HttpsResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: domain,
          servername: domain,
          port: this.httpsPort,
          path,
          method: init.method ?? 'GET',
          headers: { host: `${domain}:${this.httpsPort}`, ...init.headers },
          ca: init.ca ?? readFileSync(this.caFile),
          lookup: (_h, opts, cb) => ((opts as { all?: boolean }).all ? (cb as any)(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)),
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(init.body);
    });
  }

  /** Stops the control plane and its Caddy, and removes the data directory */
  async stop() {
    await this.kill('SIGTERM');
    await new CaddyEdge({ dir: join(this.dataDir, 'caddy') }).stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export const uniqueName = (prefix: string) => `${prefix}${Math.random().toString(36).slice(2, 7)}`;
