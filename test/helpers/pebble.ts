/**
 * A real pebble (Let's Encrypt's ACME test server, Debian package `pebble`) on free loopback
 * ports in a temporary directory, stopped and removed after.
 *
 * Debian's package ships no test certificates, so the helper makes its own "minica": a CA and a
 * certificate for localhost/127.0.0.1 (openssl), which pebble serves its directory and management
 * interface with. Clients trust that CA for pebble only (`caBundle`). Pebble validates HTTP-01
 * on `httpPort` of the name it resolves through `dnsServer` (tests point it at a real Knot that
 * holds the names, and the TXT records of DNS-01). Sleeps, nonce rejection and authorization
 * reuse are off, so a test is quick and always solves its challenges; nothing is valid unless
 * actually validated (PEBBLE_VA_ALWAYS_VALID=0).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/lib/spawn.js';
import { freePort, sleep } from '../../src/lib/net.js';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { CaddyEdge } from '../../src/drivers/edge/caddy.js';
import { openStore, type Store } from '../../src/store/index.js';
import { Sealer } from '../../src/lib/crypto.js';
import { Domains } from '../../src/services/domains.js';
import { Certificates, locateInDomains, type CertificatesOptions } from '../../src/services/certificates.js';
import { startKnot, type Knot } from './dns-servers.js';

export interface Pebble {
  /** The ACME directory URL */
  directoryUrl: string;
  /** PEM of the CA that signs pebble's own HTTPS certificate (not the ACME root) */
  caBundle: string;
  caFile: string;
  managementUrl: string;
  dir: string;
  /** PEM of the root that issued certificates chain up to (management /roots/0) */
  root(): Promise<string>;
  /** A file holding that root, for `openssl verify -CAfile` */
  rootFile(): Promise<string>;
  /** What pebble says of a certificate by serial (hex): { Status: 'Valid' | 'Revoked', ... } */
  certStatus(serialHex: string): Promise<{ Status: string; Reason?: number; Serial: string }>;
  output(): string;
  stop(): Promise<void>;
}

export interface PebbleOptions {
  /** Port pebble fetches http://<name>:<port>/.well-known/acme-challenge/ on (the edge's HTTP port) */
  httpPort: number;
  /** Port of TLS-ALPN-01 validation (the edge's HTTPS port; Freehold does not use TLS-ALPN-01) */
  tlsPort: number;
  /** host:port of the DNS server pebble resolves names and looks up TXT records through */
  dnsServer: string;
  /** Lifetime of issued certificates in seconds (pebble's default is 5 years) */
  validitySeconds?: number;
}

/** A CA and a certificate for localhost and 127.0.0.1 signed by it, for pebble's own HTTPS */
async function minica(dir: string) {
  const f = (n: string) => join(dir, n);
  writeFileSync(f('leaf.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run(['openssl', 'req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=Freehold test minica for pebble']);
  await run(['openssl', 'req', ...ec, '-keyout', f('key.pem'), '-out', f('leaf.csr'), '-subj', '/CN=localhost']);
  await run(['openssl', 'x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('cert.pem'), '-days', '2', '-extfile', f('leaf.ext')]);
  return { caFile: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem') };
}

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

const tcpOpen = (port: number) =>
  new Promise<boolean>((res) => {
    const s = connect(port, '127.0.0.1', () => (s.destroy(), res(true)));
    s.on('error', () => res(false));
  });

export async function startPebble(opts: PebbleOptions): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-pebble-'));
  const tls = await minica(dir);
  const [port, mgmt] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: tls.cert,
        privateKey: tls.key,
        httpPort: opts.httpPort,
        tlsPort: opts.tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(opts.validitySeconds && { certificateValidityPeriod: opts.validitySeconds }),
      },
    }),
  );
  const child: ChildProcess = spawn('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', opts.dnsServer, '-strict=false'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_VA_ALWAYS_VALID: '0', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
  });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  child.on('error', (e) => (out += `\n${e.message} (apt-get install pebble)`));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || /ENOENT/.test(out)) throw new Error(`pebble exited: ${out}`);
    if ((await tcpOpen(port)) && (await tcpOpen(mgmt))) break;
    if (Date.now() > deadline) throw new Error(`pebble did not start: ${out}`);
    await sleep(50);
  }
  const caBundle = readFileSync(tls.caFile, 'utf8');
  const managementUrl = `https://127.0.0.1:${mgmt}`;
  let rootPem: string | undefined;
  const pebble: Pebble = {
    directoryUrl: `https://127.0.0.1:${port}/dir`,
    caBundle,
    caFile: tls.caFile,
    managementUrl,
    dir,
    async root() {
      if (!rootPem) {
        const r = await get(`${managementUrl}/roots/0`, caBundle);
        if (r.status !== 200) throw new Error(`pebble /roots/0: HTTP ${r.status} ${r.body}`);
        rootPem = r.body;
      }
      return rootPem;
    },
    async rootFile() {
      const file = join(dir, 'acme-root.pem');
      writeFileSync(file, await pebble.root());
      return file;
    },
    async certStatus(serial) {
      const r = await get(`${managementUrl}/cert-status-by-serial/${serial.toLowerCase().replace(/^0+/, '')}`, caBundle);
      if (r.status !== 200) throw new Error(`pebble cert-status-by-serial/${serial}: HTTP ${r.status} ${r.body}`);
      return JSON.parse(r.body);
    },
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return pebble;
}

// ---- the whole setting for ACME tests and the benchmark ------------------------------------------


export const ZONE = 'example.test';

export interface AcmeWorld {
  dir: string;
  /** Freehold's own Caddy (the real edge driver), on free loopback ports */
  edge: CaddyEdge;
  httpPort: number;
  httpsPort: number;
  /** knotd serving example.test: every name A 127.0.0.1; pebble resolves through it */
  knot: Knot;
  pebble: Pebble;
  store: Store;
  sealer: Sealer;
  domains: Domains;
  certificates: Certificates;
  /** An app behind the edge: answers "hello from <host>" */
  appPort: number;
  /** Routes `hosts` to the app */
  route(id: string, hosts: string[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Caddy, Knot (zone example.test, the domain configured with the rfc2136 provider), pebble
 * validating against that Caddy and resolving through that Knot, a store, and the certificates
 * service on top, with the ACME account configured.
 */
export async function startAcmeWorld(opts: { validitySeconds?: number; log?: (l: string) => void; certificates?: Partial<CertificatesOptions> } = {}): Promise<AcmeWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-acme-'));
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const edge = new CaddyEdge({ dir: join(dir, 'caddy'), httpPort, httpsPort });
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await edge.ensureRunning();
    cleanups.push(() => edge.stop());
    const knot = await startKnot({ zones: [ZONE], extra: { [ZONE]: ['@ A 127.0.0.1', '* A 127.0.0.1'] } });
    cleanups.push(() => knot.stop());
    const pebble = await startPebble({ httpPort, tlsPort: httpsPort, dnsServer: knot.server, validitySeconds: opts.validitySeconds });
    cleanups.push(() => pebble.stop());
    const store = await openStore(join(dir, 'store.db'));
    cleanups.push(() => store.destroy());
    const sealer = new Sealer(randomBytes(32));
    const domains = new Domains(store, sealer);
    await domains.add({ name: ZONE, provider: 'rfc2136', ...knot.settings() });
    const certificates = new Certificates(store, sealer, {
      edge,
      edgeHttpPort: httpPort,
      locateDns: locateInDomains(domains),
      dnsVerify: { servers: [knot.server], timeoutMs: 10_000 },
      poll: { minMs: 50, maxMs: 500, attempts: 40 },
      log: opts.log,
      ...opts.certificates,
    });
    await certificates.configure({ directoryUrl: pebble.directoryUrl, email: 'admin@example.test', caBundle: pebble.caBundle });
    const app: Server = createServer((req, res) => res.end(`hello from ${req.headers.host}`));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => app.close(r)));
    const appPort = (app.address() as { port: number }).port;
    return {
      dir,
      edge,
      httpPort,
      httpsPort,
      knot,
      pebble,
      store,
      sealer,
      domains,
      certificates,
      appPort,
      route: (id, hosts) => edge.setRoute({ id, hosts, upstream: `127.0.0.1:${appPort}` }),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

/** The chain the edge serves for `servername` (leaf first), as openssl s_client sees it */
export async function servedChain(httpsPort: number, servername: string): Promise<string[]> {
  const r = await run(['openssl', 's_client', '-connect', `127.0.0.1:${httpsPort}`, '-servername', servername, '-showcerts'], { stdin: '', check: false, timeoutMs: 15_000 });
  const certs = r.stdout.match(PEM) ?? [];
  if (!certs.length) throw new Error(`openssl s_client got no certificate for ${servername}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return certs.map((c) => (c.endsWith('\n') ? c : `${c}\n`));
}

/** `openssl verify` of a served chain against pebble's root, for a host name; returns openssl's output */
export async function verifyServed(pebble: Pebble, httpsPort: number, servername: string): Promise<{ ok: boolean; output: string; serial: string }> {
  const [leaf, ...rest] = await servedChain(httpsPort, servername);
  const dir = mkdtempSync(join(tmpdir(), 'freehold-verify-'));
  try {
    writeFileSync(join(dir, 'leaf.pem'), leaf);
    writeFileSync(join(dir, 'chain.pem'), rest.join(''));
    const args = ['openssl', 'verify', '-CAfile', await pebble.rootFile(), '-verify_hostname', servername];
    if (rest.length) args.push('-untrusted', join(dir, 'chain.pem'));
    const r = await run([...args, join(dir, 'leaf.pem')], { check: false });
    const serial = (await run(['openssl', 'x509', '-noout', '-serial', '-in', join(dir, 'leaf.pem')])).stdout.trim().replace(/^serial=/, '').toUpperCase();
    return { ok: r.code === 0 && /: OK\s*$/.test(r.stdout), output: `${r.stdout}${r.stderr}`.trim(), serial };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A GET through the edge over HTTPS, trusting only `ca` */
export function httpsGet(httpsPort: number, host: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: httpsPort, servername: host, path: '/', headers: { host: `${host}:${httpsPort}` }, ca, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
