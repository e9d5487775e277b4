/**
 * Real Tang servers for tests: `tangd` (from the `tang` package) with keys made by
 * `tangd-keygen` in a temporary directory. tangd is socket-activated (it answers one HTTP
 * request on stdin/stdout), so a small TCP listener on a free loopback port runs one tangd per
 * connection, as systemd's socket unit would. `stop()` closes the port (clients get "connection
 * refused", as with a server that is down); `start()` opens it again on the same port.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/lib/spawn.js';
import { freePort } from '../../src/lib/net.js';
import { jwkThumbprint } from '../../src/secrets/sealing/tang.js';

const TANGD = '/usr/libexec/tangd';
const KEYGEN = '/usr/libexec/tangd-keygen';

export interface TangServer {
  url: string;
  port: number;
  /** Thumbprint of its signing key (what `tang-show-keys` prints) */
  thp: string;
  /** Requests answered so far */
  served: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and removes its keys */
  destroy(): Promise<void>;
}

export async function startTang(): Promise<TangServer> {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-tang-'));
  await run([KEYGEN, dir]);
  const signing = readdirSync(dir)
    .filter((f) => f.endsWith('.jwk'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')))
    .find((k) => k.key_ops?.includes('verify'));
  const port = await freePort();
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const self: TangServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    thp: jwkThumbprint(signing),
    served: 0,
    async start() {
      if (server) return;
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
        const tangd = spawn(TANGD, [dir], { stdio: ['pipe', 'pipe', 'ignore'] });
        tangd.on('error', () => socket.destroy());
        tangd.stdin.on('error', () => undefined);
        socket.pipe(tangd.stdin);
        tangd.stdout.pipe(socket);
        tangd.on('exit', () => {
          self.served++;
          socket.end();
        });
        socket.on('close', () => tangd.exitCode === null && tangd.kill());
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => s.close(() => r()));
    },
    async destroy() {
      await self.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await self.start();
  return self;
}
