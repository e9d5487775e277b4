/**
 * A software TPM 2.0 for tests: `swtpm socket --tpm2` with its state in a temporary directory,
 * the TPM command port and its control port (the next port: where the swtpm TCTI looks for it)
 * on free loopback ports, started and initialised
 * (`--flags not-need-init,startup-clear`). tpm2-tools reach it with the TCTI `tcti`
 * (`swtpm:host=127.0.0.1,port=N`). Each call makes a new TPM with its own seed, so a key
 * sealed by one does not open on another.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portIsFree, sleep } from '../../src/lib/net.js';

export interface SoftTpm {
  tcti: string;
  port: number;
  stop(): Promise<void>;
}

const listening = (port: number) =>
  new Promise<boolean>((res) => {
    const s = connect(port, '127.0.0.1', () => (s.destroy(), res(true)));
    s.on('error', () => res(false));
  });

export async function startSwtpm(): Promise<SoftTpm> {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-swtpm-'));
  // The swtpm TCTI finds the control port at the TPM port + 1
  let port = await freePort();
  while (!(await portIsFree(port + 1, '127.0.0.1'))) port = await freePort();
  const ctrl = port + 1;
  const child: ChildProcess = spawn(
    'swtpm',
    [
      'socket',
      '--tpm2',
      '--server',
      `type=tcp,port=${port},bindaddr=127.0.0.1`,
      '--ctrl',
      `type=tcp,port=${ctrl},bindaddr=127.0.0.1`,
      '--tpmstate',
      `dir=${dir}`,
      '--flags',
      'not-need-init,startup-clear',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null) throw new Error(`swtpm exited (${child.exitCode}): ${err}`);
    if (Date.now() > deadline) throw new Error(`swtpm did not listen on ${port}: ${err}`);
    await sleep(50);
  }
  return {
    tcti: `swtpm:host=127.0.0.1,port=${port}`,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
