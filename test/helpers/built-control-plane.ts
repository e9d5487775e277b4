/**
 * The built control plane (dist/, `npm run build`), started as a user starts it: through
 * bin/freehold.js and its first line's node options, or with other node options and environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../src/cli/client.js';
import { CaddyEdge } from '../../src/drivers/edge/caddy.js';
import { freePort } from '../../src/lib/net.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class BuiltControlPlane {
  private output = '';
  private constructor(
    readonly dataDir: string,
    readonly child: ChildProcess,
  ) {}
  client!: Client;

  static async start(opts: { nodeArgs?: string[]; env?: Record<string, string>; reconcileIntervalSeconds?: number } = {}) {
    const { nodeArgs = [], env = {}, reconcileIntervalSeconds = 30 } = opts;
    const dataDir = mkdtempSync(join(tmpdir(), 'freehold-built-'));
    const [api, https, http] = [await freePort(), await freePort(), await freePort()];
    // With no node options, run the launcher itself, so its shebang's node options apply as for users.
    const launcher = nodeArgs.length ? [process.execPath, ...nodeArgs, join(ROOT, 'bin/freehold.js')] : [join(ROOT, 'bin/freehold.js')];
    const args = [...launcher.slice(1), '--data-dir', dataDir, 'up', '--port', String(api), '--https-port', String(https), '--http-port', String(http), '--reconcile-interval', String(reconcileIntervalSeconds)];
    const child = spawn(launcher[0], args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1', ...env } });
    const cp = new BuiltControlPlane(dataDir, child);
    child.stdout!.on('data', (c) => (cp.output += c));
    child.stderr!.on('data', (c) => (cp.output += c));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`freehold up exited (${child.exitCode}):\n${cp.output}`);
      const apiFile = join(dataDir, 'api.json');
      if (existsSync(apiFile) && existsSync(join(dataDir, 'admin-token'))) {
        cp.client = new Client(JSON.parse(readFileSync(apiFile, 'utf8')).url, readFileSync(join(dataDir, 'admin-token'), 'utf8').trim());
        try {
          await cp.client.request('GET', '/api/health');
          return cp;
        } catch {
          /* not yet */
        }
      }
      await sleep(100);
    }
    await cp.stop();
    throw new Error(`freehold up did not become ready:\n${cp.output}`);
  }

  get pid() {
    return this.child.pid!;
  }

  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    await new CaddyEdge({ dir: join(this.dataDir, 'caddy') }).stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

