/**
 * Runs OpenTofu (or Terraform where tofu is absent) on a module whose state Freehold keeps: the
 * long tail of infrastructure providers (clouds, DNS hosts, hypervisors) is reachable through
 * their OpenTofu providers without a Freehold driver of its own.
 *
 * A module is its configuration in OpenTofu's JSON syntax. For a run, the driver writes it as
 * `main.tf.json` in a work directory of its own (`<workRoot>/<state>`, 0700) with a
 * `backend "http"` pointing at Freehold's state backend (`<apiUrl>/api/tofu/state/<state>`, with
 * its LOCK/UNLOCK), then runs `init`, `apply`/`destroy` and `output -json` with argument arrays
 * (no shell). The admin token reaches the backend as TF_HTTP_PASSWORD in the child's
 * environment only: it is never written in the work directory (terraform keeps the backend's
 * file settings in .terraform/terraform.tfstate) nor logged. Variables go through a 0600 var file
 * removed after the run. Output lines stream to a log callback, except `output -json`'s (it holds
 * sensitive outputs in clear). A failure quotes the program's own error diagnostics.
 */
import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { run, type RunResult } from '../../lib/spawn.js';
import { Locks } from '../../lib/locks.js';

/** A module: configuration in OpenTofu's JSON syntax (resource, data, variable, output, locals, provider, module, terraform.required_providers...) */
export interface TofuModule {
  config: Record<string, unknown>;
  /** Values of the module's variables */
  variables?: Record<string, unknown>;
}

/** One of `output -json`'s values */
export interface TofuOutput {
  value: unknown;
  sensitive: boolean;
  type?: unknown;
}

export interface OpenTofuOptions {
  /** Freehold's API, e.g. http://127.0.0.1:8470 (states are <apiUrl>/api/tofu/state/<name>) */
  apiUrl: string;
  /** The admin token: the state backend's basic-auth password */
  token: string;
  /** Work directories are <workRoot>/<state name> */
  workRoot: string;
  /** Program to run (default: `tofu` on the PATH, else `terraform`) */
  binary?: string;
  /** More environment for the program (provider credentials, TF_CLI_CONFIG_FILE, TF_PLUGIN_CACHE_DIR...) */
  env?: Record<string, string>;
  /** How long to wait for the state lock (-lock-timeout; default 0s: fail at once when it is held) */
  lockTimeout?: string;
  /** Kill a command running longer than this (default 30 min) */
  timeoutMs?: number;
}

/** A command failed; `diagnostics` are the program's own error messages */
export class TofuError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number,
    readonly diagnostics: string[],
  ) {
    super(`${command} failed (exit ${exitCode})${diagnostics.length ? `:\n${diagnostics.join('\n\n')}` : ''}`);
    this.name = 'TofuError';
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The error diagnostics in terraform's/tofu's output ("Error: summary" and the detail after it), box drawing removed */
export function errorDiagnostics(output: string): string[] {
  const lines = output.split('\n').map((l) => l.replace(/^[│╷╵]\s?/, '').trimEnd());
  const found: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^Error: /.test(lines[i])) continue;
    const block = [lines[i]];
    for (let j = i + 1; j < lines.length && !/^(Error|Warning): /.test(lines[j]) && block.length < 16; j++) block.push(lines[j]);
    // up to the end of the diagnostic: terraform's explanation after a lock error is generic
    const text = block.join('\n').replace(/\n{3,}/g, '\n\n').trim();
    found.push(text.split(/\n\n(?=Terraform acquires a state lock|OpenTofu acquires a state lock)/)[0]);
  }
  return found;
}

/** `tofu` if it is on the PATH, else `terraform`; undefined when neither is */
export function findBinary(path = process.env.PATH ?? ''): string | undefined {
  for (const name of ['tofu', 'terraform']) {
    for (const dir of path.split(delimiter).filter(Boolean)) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        /* not here */
      }
    }
  }
  return undefined;
}

export class OpenTofu {
  private readonly runs = new Locks();
  private resolved?: string;

  constructor(private readonly o: OpenTofuOptions) {}

  /** The program this driver runs */
  binary(): string {
    this.resolved ??= this.o.binary ?? findBinary();
    if (!this.resolved) throw new Error('neither tofu nor terraform is installed: install OpenTofu (https://opentofu.org/docs/intro/install/) or Terraform');
    return this.resolved;
  }

  /** The state backend settings for a state (what the driver writes, and what docs/opentofu.md shows) */
  backendFor(state: string) {
    const address = `${this.o.apiUrl.replace(/\/+$/, '')}/api/tofu/state/${encodeURIComponent(state)}`;
    return { address, lock_address: address, unlock_address: address, username: 'freehold' };
  }

  workDir(state: string) {
    if (!NAME.test(state)) throw new Error(`invalid state name "${state}": use letters, digits, ".", "_" and "-"`);
    return join(this.o.workRoot, state);
  }

  /** Writes the module as main.tf.json (with the backend) in the state's work directory; returns the directory */
  render(state: string, module: TofuModule): string {
    const dir = this.workDir(state);
    const tf = module.config.terraform;
    if (tf !== undefined && (typeof tf !== 'object' || tf === null || Array.isArray(tf))) throw new Error('the module\'s "terraform" block must be an object');
    if (tf && 'backend' in tf) throw new Error('the module must not declare a backend: its state is kept by Freehold');
    if (tf && 'cloud' in tf) throw new Error('the module must not declare a "cloud" block: its state is kept by Freehold');
    const config = { ...module.config, terraform: { ...(tf as object | undefined), backend: { http: this.backendFor(state) } } };
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
    return dir;
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1', // no call home to check for newer versions
      ...this.o.env,
      TF_HTTP_PASSWORD: this.o.token,
    };
  }

  private async exec(dir: string, args: string[], log?: (line: string) => void, quiet = false): Promise<RunResult> {
    const bin = this.binary();
    const command = `${bin.split('/').pop()} ${args[0]}`;
    const r = await run([bin, ...args], { cwd: dir, env: this.env(), check: false, timeoutMs: this.o.timeoutMs ?? 30 * 60_000, ...(!quiet && log && { onLine: log }) });
    if (r.code !== 0) {
      const diagnostics = errorDiagnostics(`${r.stderr}\n${r.stdout}`);
      if (!diagnostics.length) diagnostics.push((r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n'));
      throw new TofuError(command, r.code, diagnostics);
    }
    return r;
  }

  /** Renders the module, runs init, then `fn` in the work directory; the var file (if any) is removed after */
  private async withModule<T>(state: string, module: TofuModule, log: ((line: string) => void) | undefined, fn: (dir: string, varArgs: string[]) => Promise<T>): Promise<T> {
    return this.runs.with(state, async () => {
      const dir = this.render(state, module);
      const varFile = join(dir, 'freehold.tfvars.json');
      rmSync(varFile, { force: true });
      try {
        const varArgs: string[] = [];
        if (module.variables && Object.keys(module.variables).length) {
          writeFileSync(varFile, JSON.stringify(module.variables), { mode: 0o600 });
          varArgs.push(`-var-file=${varFile}`);
        }
        await this.exec(dir, ['init', '-input=false', '-no-color', '-reconfigure'], log);
        return await fn(dir, varArgs);
      } finally {
        rmSync(varFile, { force: true });
      }
    });
  }

  private lockArgs() {
    return [`-lock-timeout=${this.o.lockTimeout ?? '0s'}`];
  }

  /** Applies the module (init, apply) and answers its outputs */
  async apply(state: string, module: TofuModule, log?: (line: string) => void): Promise<Record<string, TofuOutput>> {
    return this.withModule(state, module, log, async (dir, varArgs) => {
      await this.exec(dir, ['apply', '-auto-approve', '-input=false', '-no-color', ...this.lockArgs(), ...varArgs], log);
      return this.readOutputs(dir, log);
    });
  }

  /** Whether applying the module would change anything (plan -detailed-exitcode) */
  async plan(state: string, module: TofuModule, log?: (line: string) => void): Promise<{ changes: boolean }> {
    return this.withModule(state, module, log, async (dir, varArgs) => {
      try {
        await this.exec(dir, ['plan', '-detailed-exitcode', '-input=false', '-no-color', ...this.lockArgs(), ...varArgs], log);
        return { changes: false };
      } catch (err) {
        if (err instanceof TofuError && err.exitCode === 2) return { changes: true };
        throw err;
      }
    });
  }

  /** Destroys what the module made (its state stays in Freehold, empty) */
  async destroy(state: string, module: TofuModule, log?: (line: string) => void): Promise<void> {
    await this.withModule(state, module, log, async (dir, varArgs) => {
      await this.exec(dir, ['destroy', '-auto-approve', '-input=false', '-no-color', ...this.lockArgs(), ...varArgs], log);
    });
  }

  /** The outputs recorded in the state (the module is needed to initialise the work directory) */
  async outputs(state: string, module: TofuModule, log?: (line: string) => void): Promise<Record<string, TofuOutput>> {
    return this.withModule(state, module, log, (dir) => this.readOutputs(dir, log));
  }

  private async readOutputs(dir: string, log?: (line: string) => void): Promise<Record<string, TofuOutput>> {
    // Not streamed to the log: sensitive outputs are in clear in this JSON
    const r = await this.exec(dir, ['output', '-json', '-no-color'], log, true);
    const parsed = JSON.parse(r.stdout || '{}') as Record<string, { value: unknown; sensitive?: boolean; type?: unknown }>;
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, { value: v.value, sensitive: Boolean(v.sensitive), type: v.type }]));
  }
}
