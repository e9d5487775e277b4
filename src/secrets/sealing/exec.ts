/**
 * Runs a sealing tool (clevis, tpm2-tools) with an argument array, bytes in and out: the master
 * key goes through stdin/stdout pipes only, never an argument, a file or the environment.
 * Errors carry the tool's name and the end of its stderr, which never holds the key.
 */
import { spawn } from 'node:child_process';
import { UnsealError } from '../errors.js';

export interface ExecResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export function exec(argv: string[], opts: { stdin?: Buffer | string; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    // A process group of its own, so that a timeout ends the tool's children too (clevis runs
    // curl and jose; they hold the pipes open).
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd, detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? new UnsealError(`${argv[0]} is not installed`, `install it (apt-get install ${packageOf(argv[0])})`) : e);
    });
    child.stdin.on('error', () => undefined); // a tool that exits early closes its stdin
    child.on('close', (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString() + (timedOut ? `\n(timed out after ${Math.round((opts.timeoutMs ?? 30_000) / 1000)} s)` : '');
      resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** The last meaningful lines of a tool's stderr, on one line */
export const lastLines = (stderr: string, n = 2) =>
  stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' / ');

const packageOf = (tool: string) => (tool.startsWith('tpm2_') ? 'tpm2-tools' : tool.startsWith('clevis') ? 'clevis' : tool);
