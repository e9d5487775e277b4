// The Caddy edge against a real Caddy: a route set for a new name serves HTTPS as soon as setRoute
// returns (Caddy gets the name's certificate from its local CA in the background; before this
// waited for it, a request right after an install could meet a TLS "internal error").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { CaddyEdge } from './caddy.js';
import { freePort } from '../../lib/net.js';

const handshake = (port: number, servername: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const subject = socket.getPeerCertificate().subjectaltname ?? '';
      socket.end();
      resolve(subject);
    });
    socket.on('error', reject);
  });

test('a new route serves HTTPS with a certificate for its name as soon as setRoute returns', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-caddy-'));
  const httpsPort = await freePort();
  const edge = new CaddyEdge({ dir, httpsPort, httpPort: await freePort() });
  try {
    await edge.ensureRunning();
    for (let i = 0; i < 10; i++) {
      const host = `r${i}-${Date.now().toString(36)}.localhost`;
      await edge.setRoute({ id: `fh-test-${i}`, hosts: [host], upstream: '127.0.0.1:9' });
      assert.match(await handshake(httpsPort, host), new RegExp(`DNS:${host.replace(/\./g, '\\.')}`));
    }
  } finally {
    await edge.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
