/** `freehold up`: starts the control plane (API, reconcile loop) and its edge (Caddy). */
import { writeFileSync, chmodSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { openFreehold, type Freehold } from '../services/freehold.js';
import { buildApi } from '../api/server.js';
import { passphraseSource } from '../secrets/master-key.js';

export interface UpOptions {
  dataDir: string;
  catalogDirs: string[];
  listen: string;
  port: number;
  httpsPort: number;
  httpPort: number;
  reconcileIntervalMs: number;
  scheduleIntervalMs: number;
  /** Between health probes of the running apps */
  healthIntervalMs?: number;
  /** How long an app may fail its health checks before it is an alert */
  unhealthyAfterMs?: number;
  quiet?: boolean;
  /** Where the passphrase of a sealed master key is (else FREEHOLD_PASSPHRASE / FREEHOLD_PASSPHRASE_FILE) */
  passphraseFile?: string;
}

export async function up(o: UpOptions): Promise<{ fh: Freehold; url: string; close(): Promise<void> }> {
  const say = (m: string) => !o.quiet && console.log(m);
  const fh = await openFreehold({
    dataDir: o.dataDir,
    catalogDirs: o.catalogDirs,
    httpsPort: o.httpsPort,
    httpPort: o.httpPort,
    unhealthyAfterMs: o.unhealthyAfterMs,
    passphrase: o.passphraseFile ? passphraseSource({ file: o.passphraseFile }) : undefined,
    log: (m) => say(`[freehold] ${m}`),
  });
  for (const p of fh.catalog.problems) say(`[freehold] catalog: ${p.error}`);
  const local = await fh.hosts.context('local');
  await local.edge.ensureRunning();
  // Checked now so that the first install does not wait for it (and problems show at start).
  await local.runtime.ping().catch((err) => say(`[freehold] warning: ${(err as Error).message}`));

  const tokenFile = join(o.dataDir, 'admin-token');
  const token = await fh.settings.ensureAdminToken();
  if (token) {
    writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
    chmodSync(tokenFile, 0o600);
  }
  const api = await buildApi(fh, { logger: !o.quiet });
  await api.listen({ host: o.listen, port: o.port });
  const address = api.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const url = `http://${o.listen.includes(':') ? `[${o.listen}]` : o.listen}:${port}`;
  // Written whole or not at all: the CLI (and tests) read it as soon as it exists
  writeFileSync(join(o.dataDir, 'api.json.tmp'), JSON.stringify({ url, pid: process.pid }) + '\n', { mode: 0o600 });
  renameSync(join(o.dataDir, 'api.json.tmp'), join(o.dataDir, 'api.json'));

  // A Caddy started afresh serves none of the issued certificates until they are loaded again
  await fh.certificates.sync().catch((err) => say(`[freehold] warning: certificates: ${(err as Error).message}`));
  await fh.reconciler.resumeUnfinished();
  await fh.reconciler.reconcileOnce().catch((err) => say(`[freehold] first reconcile failed: ${(err as Error).message}`));
  fh.reconciler.start(o.reconcileIntervalMs);
  fh.schedule.start(o.scheduleIntervalMs);
  fh.updates.start(o.scheduleIntervalMs);
  fh.health.start(o.healthIntervalMs ?? 30_000);
  fh.certificateRenewal.start(6 * 3600_000);

  say(`Freehold is running.
  Web UI:        ${url}/  (sign in with the admin token)
  API and docs:  ${url}/docs
  Admin token:   ${token ? `${token}  (shown once; also kept in ${tokenFile})` : `in ${tokenFile}`}
  Data:          ${o.dataDir}
  Apps are served at https://<name>.${o.httpsPort === 443 ? 'localhost' : `localhost:${o.httpsPort}`}; Caddy's local CA: ${local.edge.caCertificateFile()}
  Try: freehold catalog list; freehold install radicale --domain calendar`);
  return {
    fh,
    url,
    async close() {
      await api.close();
      await fh.close();
    },
  };
}
