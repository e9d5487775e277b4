/**
 * Real DNS servers for the DNS tests, each on free loopback ports in a temporary directory,
 * stopped and removed after: Knot (knotd, zones from zone files, a TSIG key allowed to update and
 * transfer them) and the PowerDNS Authoritative server (pdns_server with the gsqlite3 backend,
 * its schema from the Debian package, the HTTP API on). Debian packages: knot, knot-dnsutils,
 * pdns-server, pdns-backend-sqlite3.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { freePort, sleep } from '../../src/lib/net.js';
import { run } from '../../src/lib/spawn.js';

async function tcpOpen(port: number) {
  return new Promise<boolean>((res) => {
    const s = connect(port, '127.0.0.1', () => (s.destroy(), res(true)));
    s.on('error', () => res(false));
  });
}

async function waitFor(what: string, child: ChildProcess, output: () => string, ready: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}): ${output()}`);
    if (await ready()) return;
    await sleep(50);
  }
  throw new Error(`${what} did not start: ${output()}`);
}

async function stopChild(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

export interface Knot {
  port: number;
  /** host:port, as the rfc2136 provider takes it */
  server: string;
  keyName: string;
  secret: string;
  algorithm: 'hmac-sha256';
  zones: string[];
  dir: string;
  /** The rfc2136 provider settings for this server */
  settings(): { server: string; tsigName: string; tsigSecret: string; tsigAlgorithm: string };
  /** Records of a name and type, asked without TSIG (as a resolver would) */
  query(name: string, type: string): Promise<string[]>;
  output(): string;
  stop(): Promise<void>;
}

const soa = (zone: string) => [`$ORIGIN ${zone}.`, '$TTL 300', `@ SOA ns1.${zone}. hostmaster.${zone}. 1 3600 600 86400 300`, `@ NS ns1.${zone}.`, `ns1 A 127.0.0.1`, ''].join('\n');

/** Starts a server again when its first try fails (a port picked free may be taken before the server binds it) */
async function retried<T>(start: () => Promise<T>, tries = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (err) {
      if (i >= tries) throw err;
    }
  }
}

/** knotd serving `zones` (each with SOA, NS and ns1 A only, plus `extra` lines) on 127.0.0.1:<free port> */
export const startKnot = (opts: { zones?: string[]; extra?: Record<string, string[]> } = {}): Promise<Knot> => retried(() => startKnotOnce(opts));

async function startKnotOnce(opts: { zones?: string[]; extra?: Record<string, string[]> }): Promise<Knot> {
  const zones = opts.zones ?? ['example.test'];
  const dir = mkdtempSync(join(tmpdir(), 'freehold-knot-'));
  mkdirSync(join(dir, 'zones'));
  mkdirSync(join(dir, 'db'));
  for (const z of zones) writeFileSync(join(dir, 'zones', `${z}.zone`), soa(z) + (opts.extra?.[z] ?? []).join('\n') + '\n');
  const secret = randomBytes(32).toString('base64');
  const keyName = 'freehold-test';
  const port = await freePort();
  const config = [
    'server:',
    `    rundir: "${dir}"`,
    `    listen: 127.0.0.1@${port}`,
    '    tcp-workers: 2',
    '    udp-workers: 2',
    '    background-workers: 1',
    'log:',
    '  - target: stderr',
    '    any: info',
    'database:',
    `    storage: "${join(dir, 'db')}"`,
    'key:',
    `  - id: ${keyName}`,
    '    algorithm: hmac-sha256',
    `    secret: ${secret}`,
    'acl:',
    '  - id: freehold',
    `    key: ${keyName}`,
    '    action: [update, transfer]',
    'template:',
    '  - id: default',
    `    storage: "${join(dir, 'zones')}"`,
    '    file: "%s.zone"',
    '    zonefile-sync: -1',
    '    journal-content: changes',
    'zone:',
    ...zones.flatMap((z) => [`  - domain: ${z}`, '    acl: freehold']),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'knot.conf'), config, { mode: 0o600 });
  const child = spawn('knotd', ['-c', join(dir, 'knot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const loaded = () => zones.every((z) => out.includes(`[${z}.] loaded`));
  try {
    await waitFor('knotd', child, () => out, async () => {
      if (/cannot bind|failed to bind/i.test(out)) throw new Error(`knotd could not listen on 127.0.0.1:${port}: ${out}`);
      return loaded() && (await tcpOpen(port));
    }, 15_000);
  } catch (err) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    server: `127.0.0.1:${port}`,
    keyName,
    secret,
    algorithm: 'hmac-sha256',
    zones,
    dir,
    settings: () => ({ server: `127.0.0.1:${port}`, tsigName: keyName, tsigSecret: secret, tsigAlgorithm: 'hmac-sha256' }),
    async query(name, type) {
      const r = await run(['kdig', '@127.0.0.1', '-p', String(port), '+tcp', '+short', name, type]);
      return r.stdout.split('\n').filter(Boolean).sort();
    },
    output: () => out,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PowerDns {
  url: string;
  apiKey: string;
  dnsPort: number;
  settings(): { url: string; apiKey: string };
  /** Creates a zone (Native) through the API */
  createZone(zone: string): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

/** The gsqlite3 schema shipped by Debian's pdns-backend-sqlite3 */
function pdnsSchema(): string {
  for (const f of ['/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql', '/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql']) {
    if (existsSync(f)) return readFileSync(f, 'utf8');
  }
  throw new Error('the PowerDNS sqlite3 schema is missing: apt-get install pdns-server pdns-backend-sqlite3');
}

/** pdns_server with the gsqlite3 backend, DNS and the HTTP API on free loopback ports, `zones` created */
export const startPowerDns = (opts: { zones?: string[] } = {}): Promise<PowerDns> => retried(() => startPowerDnsOnce(opts));

async function startPowerDnsOnce(opts: { zones?: string[] }): Promise<PowerDns> {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-pdns-'));
  const dbFile = join(dir, 'pdns.sqlite3');
  const db = new Database(dbFile);
  db.exec(pdnsSchema());
  db.close();
  const apiKey = randomBytes(18).toString('base64url');
  const [dnsPort, webPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'pdns.conf'),
    [
      'launch=gsqlite3',
      `gsqlite3-database=${dbFile}`,
      'local-address=127.0.0.1',
      `local-port=${dnsPort}`,
      `socket-dir=${dir}`,
      'webserver=yes',
      'webserver-address=127.0.0.1',
      `webserver-port=${webPort}`,
      'webserver-allow-from=127.0.0.0/8',
      'api=yes',
      `api-key=${apiKey}`,
      'guardian=no',
      'daemon=no',
      'disable-syslog=yes',
      'write-pid=no',
      'distributor-threads=1',
      'receiver-threads=1',
      'security-poll-suffix=',
      'loglevel=4',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const child = spawn('pdns_server', [`--config-dir=${dir}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const url = `http://127.0.0.1:${webPort}`;
  try {
    await waitFor('pdns_server', child, () => out, () => tcpOpen(webPort), 15_000);
  } catch (err) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const pdns: PowerDns = {
    url,
    apiKey,
    dnsPort,
    settings: () => ({ url, apiKey }),
    async createZone(zone) {
      const res = await fetch(`${url}/api/v1/servers/localhost/zones`, {
        method: 'POST',
        headers: { 'X-API-Key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `${zone}.`, kind: 'Native', nameservers: [`ns1.${zone}.`] }),
      });
      if (res.status !== 201) throw new Error(`creating zone ${zone} in PowerDNS: HTTP ${res.status} ${await res.text()}`);
    },
    output: () => out,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const z of opts.zones ?? []) await pdns.createZone(z);
  } catch (err) {
    await pdns.stop();
    throw err;
  }
  return pdns;
}
