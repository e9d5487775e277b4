/** Runs programs with argument arrays (never a shell string). */
import { spawn, type SpawnOptions } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly result: RunResult,
  ) {
    const detail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
    super(`${argv[0]} ${argv[1] ?? ''} failed (exit ${result.code}): ${detail}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions extends SpawnOptions {
  stdin?: string | Buffer;
  /** Called with each line of output as it comes */
  onLine?: (line: string) => void;
  /** Reject when the exit code is not 0 (default true) */
  check?: boolean;
  timeoutMs?: number;
}

export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const { stdin, onLine, check = true, timeoutMs, ...spawnOpts } = opts;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { ...spawnOpts, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let partial = '';
    const feed = (chunk: Buffer) => {
      if (!onLine) return;
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) onLine(l);
    };
    child.stdout!.on('data', (c: Buffer) => (out.push(c), feed(c)));
    child.stderr!.on('data', (c: Buffer) => (err.push(c), feed(c)));
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? new Error(`${argv[0]} is not installed (run scripts/setup.sh)`) : e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (onLine && partial) onLine(partial);
      const result = { code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (check && result.code !== 0) reject(new CommandError(argv, result));
      else resolve(result);
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();
  });
}
