/**
 * Real storage servers for backup-target tests, each on a free loopback port in a temporary
 * directory: OpenSSH's sshd (SFTP) and s3rver (S3, over TLS: restic's S3 client signs plain-HTTP
 * uploads as aws-chunked streams, which s3rver stores without decoding; over TLS it does not).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/lib/spawn.js';
import { freePort, sleep } from '../../src/lib/net.js';

const ROOT = new URL('../..', import.meta.url).pathname;

async function listening(port: number, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${output()}`);
    const ok = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), res(true)));
      s.on('error', () => res(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`server did not listen on 127.0.0.1:${port}: ${output()}`);
}

async function stopChild(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** An SSH key pair made for a test */
export async function sshKey(dir: string, name = 'id_ed25519') {
  const file = join(dir, name);
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'freehold-test', '-f', file]);
  return { file, privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8') };
}

export interface Sshd {
  port: number;
  user: string;
  dir: string;
  /** The private key that the server lets in */
  privateKey: string;
  keyFile: string;
  stop(): Promise<void>;
}

/** sshd on 127.0.0.1 letting the current user in with a generated key only */
export async function startSshd(): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-sshd-'));
  const host = await sshKey(dir, 'host_ed25519');
  const client = await sshKey(dir, 'client_ed25519');
  writeFileSync(join(dir, 'authorized_keys'), client.publicKey, { mode: 0o600 });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // Debian's privilege separation directory
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no', // the temp directory's modes are not sshd's business here
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config, '-p', String(port), '-h', host.file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  await listening(port, child, () => out);
  const user = (await run(['id', '-un'])).stdout.trim();
  return {
    port, user, dir, privateKey: client.privateKey, keyFile: client.file,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface S3 {
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  caCert: string;
  stop(): Promise<void>;
}

/** s3rver over TLS (self-signed certificate for 127.0.0.1) with one bucket */
export async function startS3(bucket = 'freehold'): Promise<S3> {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-s3-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  await run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  mkdirSync(join(dir, 'data'));
  const port = await freePort();
  const args = [join(ROOT, 'node_modules/s3rver/bin/s3rver.js'), '-d', join(dir, 'data'), '-a', '127.0.0.1', '-p', String(port), '--silent', '--key', key, '--cert', cert, '--configure-bucket', bucket];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  await listening(port, child, () => out);
  return {
    // s3rver's built-in account
    endpoint: `https://127.0.0.1:${port}`, bucket, accessKey: 'S3RVER', secretKey: 'S3RVER', caCert: readFileSync(cert, 'utf8'),
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
