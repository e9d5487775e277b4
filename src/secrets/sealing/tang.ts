/**
 * Tang servers, through clevis: the master key is encrypted with clevis's `sss` pin (Shamir's
 * secret sharing) over one `tang` pin per server, `threshold` of which must answer to open it.
 * So the control plane restarts unattended while enough of the fleet is up; Tang servers never
 * see the key (McCallum-Relyea exchange), and a stolen disk alone does not open it.
 *
 * Each server is trusted by the thumbprint (RFC 7638, SHA-256) of its signing key: given by the
 * operator (`url#thp` or {url, thp}), or read from the server's advertisement when sealing
 * (trust on first use; the thumbprints are shown so they can be checked with
 * `tang-show-keys` on the server). When opening fails, each server's advertisement is fetched
 * to say how many are reachable and how many are needed.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsError, UnsealError } from '../errors.js';
import { exec, lastLines } from './exec.js';
import type { SealMethod } from './index.js';

export interface TangServer {
  url: string;
  /** Thumbprint of the server's signing key */
  thp?: string;
}

export interface TangOptions {
  /** `http://host:port`, `http://host:port#<thp>` or {url, thp} */
  servers: (string | TangServer)[];
  /** How many servers must answer (default 1) */
  threshold?: number;
}

export interface TangParams {
  threshold: number;
  servers: Required<TangServer>[];
  /** clevis's compact JWE */
  jwe: string;
}

const ADV_TIMEOUT_MS = 3_000;
/** Bounds on each of clevis's requests to a Tang server (curl, through its config file) */
const CURL_CONNECT_TIMEOUT_S = 3;
const CURL_MAX_TIME_S = 5;

/**
 * Runs clevis with curl bounded: clevis's tang pin calls curl without a timeout, and its sss pin
 * waits for every server, so one server that accepts connections but never answers would hold
 * start-up for minutes. curl reads `$CURL_HOME/.curlrc`; this one sets its timeouts.
 */
async function clevis(args: string[], stdin: Buffer | string) {
  const home = mkdtempSync(join(tmpdir(), 'freehold-clevis-'));
  try {
    writeFileSync(join(home, '.curlrc'), `connect-timeout = ${CURL_CONNECT_TIMEOUT_S}\nmax-time = ${CURL_MAX_TIME_S}\n`);
    return await exec(['clevis', ...args], { stdin, timeoutMs: 60_000, env: { ...process.env, CURL_HOME: home } });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function normalize(s: string | TangServer): TangServer {
  const raw = typeof s === 'string' ? s : s.url;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new SecretsError('invalid', `not a Tang server URL: ${raw}`);
  }
  if (!['http:', 'https:'].includes(u.protocol) || u.username || u.password) throw new SecretsError('invalid', `a Tang server URL is http(s)://host[:port][/path]: ${raw}`);
  const thp = typeof s === 'string' ? (u.hash ? u.hash.slice(1) : undefined) : s.thp;
  u.hash = '';
  return { url: u.toString().replace(/\/$/, ''), thp };
}

/** RFC 7638 thumbprint (SHA-256, base64url) of an EC or OKP public JWK */
export function jwkThumbprint(k: Record<string, string>): string {
  const members = k.kty === 'EC' ? { crv: k.crv, kty: k.kty, x: k.x, y: k.y } : k.kty === 'OKP' ? { crv: k.crv, kty: k.kty, x: k.x } : undefined;
  if (!members) throw new Error(`no thumbprint for a ${k.kty} key`);
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** GET <url>/adv: the server's signed advertisement; throws a short reason when it cannot */
async function advertisement(url: string): Promise<{ keys: Record<string, any>[] }> {
  let res: Response;
  try {
    res = await fetch(`${url}/adv`, { signal: AbortSignal.timeout(ADV_TIMEOUT_MS), redirect: 'error' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new Error(
      cause === 'ECONNREFUSED' ? 'refused the connection' : (err as Error).name === 'TimeoutError' ? `no answer in ${ADV_TIMEOUT_MS / 1000} s` : `unreachable (${cause ?? (err as Error).message})`,
    );
  }
  if (!res.ok) throw new Error(`answered HTTP ${res.status}`);
  const jws = (await res.json()) as { payload?: string };
  if (typeof jws.payload !== 'string') throw new Error('answered something that is not a Tang advertisement');
  return JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8'));
}

/** How many servers answer, and why the others do not */
async function probe(servers: { url: string }[]) {
  const results = await Promise.all(
    servers.map(async (s) => {
      try {
        await advertisement(s.url);
        return { url: s.url, ok: true, reason: 'reachable' };
      } catch (err) {
        return { url: s.url, ok: false, reason: (err as Error).message };
      }
    }),
  );
  return { up: results.filter((r) => r.ok).length, results };
}

export const tang: SealMethod<TangOptions, TangParams> = {
  kind: 'tang',
  unattended: true,
  async seal(key, o) {
    const servers = (o.servers ?? []).map(normalize);
    if (!servers.length) throw new SecretsError('invalid', 'give at least one Tang server');
    if (new Set(servers.map((s) => s.url)).size !== servers.length) throw new SecretsError('invalid', 'a Tang server is named twice');
    const threshold = o.threshold ?? 1;
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > servers.length)
      throw new SecretsError('invalid', `the threshold must be between 1 and the number of Tang servers (${servers.length})`);
    const trusted: Required<TangServer>[] = [];
    for (const s of servers) {
      if (s.thp) {
        trusted.push(s as Required<TangServer>);
        continue;
      }
      let adv;
      try {
        adv = await advertisement(s.url);
      } catch (err) {
        throw new SecretsError('unreachable', `Tang server ${s.url} ${(err as Error).message}: every server must be up to seal (or give its thumbprint as ${s.url}#<thp>)`);
      }
      const signing = adv.keys.find((k) => Array.isArray(k.key_ops) && k.key_ops.includes('verify'));
      if (!signing) throw new SecretsError('invalid', `Tang server ${s.url} advertises no signing key`);
      trusted.push({ url: s.url, thp: jwkThumbprint(signing) });
    }
    const config = { t: threshold, pins: { tang: trusted.map((s) => ({ url: s.url, thp: s.thp })) } };
    const r = await clevis(['encrypt', 'sss', JSON.stringify(config)], key);
    if (r.code !== 0) throw new SecretsError('unseal_failed', `clevis could not seal to the Tang servers: ${lastLines(r.stderr)}`);
    const params: TangParams = { threshold, servers: trusted, jwe: r.stdout.toString('utf8').trim() };
    // Proves it opens before anyone relies on it.
    const back = await tang.unseal(params, { masterId: '', passphrase: async () => undefined });
    if (!back.equals(key)) throw new SecretsError('unseal_failed', 'clevis gave back another key than the one sealed');
    back.fill(0);
    return params;
  },
  async unseal(params) {
    const r = await clevis(['decrypt'], params.jwe);
    if (r.code === 0 && r.stdout.length === 32) return r.stdout;
    r.stdout.fill(0);
    const { up, results } = await probe(params.servers);
    const n = params.servers.length;
    const down = results.filter((x) => !x.ok).map((x) => `${x.url} ${x.reason}`);
    if (up < params.threshold)
      throw new UnsealError(
        `${up} of ${n} Tang server${n === 1 ? '' : 's'} reachable, ${params.threshold} needed${down.length ? ` (${down.join('; ')})` : ''}`,
        `bring ${params.threshold - up === 1 ? 'a Tang server' : `${params.threshold - up} Tang servers`} back`,
      );
    throw new UnsealError(
      `clevis could not open the key although ${up} of ${n} Tang servers are reachable (were their keys rotated or replaced?): ${lastLines(r.stderr) || `exit ${r.code}`}`,
      "check the Tang servers' keys (tang-show-keys)",
    );
  },
  describe(params) {
    const n = params.servers.length;
    return `Tang, ${params.threshold} of ${n}: ${params.servers.map((s) => s.url).join(', ')}`;
  },
  async resealOptions(params) {
    return { servers: params.servers, threshold: params.threshold };
  },
};
