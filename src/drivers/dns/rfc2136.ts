/**
 * RFC 2136 dynamic UPDATE signed with TSIG, for Knot, BIND, PowerDNS (with DNS update enabled)
 * and any server that speaks it. Updates go through `knsupdate` (knot-dnsutils) over TCP, the
 * script on its standard input (the secret too: never on a command line); the zone is read back
 * with an AXFR through `kdig`, signed with the same key (its key file lives in a private temporary
 * directory for the duration of the call). So the key needs both `update` and `transfer` rights.
 *
 * A batch becomes as few UPDATE messages as fit in 48 KB each (every change of a name in the same
 * message, its deletions before its additions); each message is applied by the server all or
 * nothing, and knsupdate stops at the first refused one. Servers silently ignore some additions
 * (a CNAME beside other data, data beside a CNAME), so after sending, the changed RRsets are read
 * back and any that did not take is reported.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { run, CommandError } from '../../lib/spawn.js';
import type { DnsProvider, DnsProviderKind } from './index.js';
import { DnsError, checkChanges, fqdn, fromPresentation, groupRecords, isRecordType, relativeName, sameRecord, toPresentation, zoneName, type Problems, type RecordChange, type RecordSet, type RecordType } from './records.js';

export const TSIG_ALGORITHMS = ['hmac-sha256', 'hmac-sha384', 'hmac-sha512', 'hmac-sha224', 'hmac-sha1', 'hmac-md5'] as const;

export interface Rfc2136Config {
  /** Server address, e.g. 127.0.0.1, ns1.example.org or [2001:db8::53] */
  host: string;
  port: number;
  tsigName: string;
  tsigAlgorithm: (typeof TSIG_ALGORITHMS)[number];
  /** base64 */
  tsigSecret: string;
  timeoutSeconds: number;
}

const KIND = 'rfc2136';
/** Bytes of update lines per message: a message must stay under 64 KB over TCP */
const MESSAGE_BUDGET = 48_000;

/** "host", "host:port", "[v6]:port" or a bare IPv6 address */
export function parseServer(s: string): { host: string; port: number } | undefined {
  const v = s.trim();
  let host = v;
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(v);
  if (bracket) [host, port] = [bracket[1], bracket[2] ? Number(bracket[2]) : 53];
  else if (isIP(v) === 6) host = v;
  else if (/^[^:]+:\d+$/.test(v)) [host, port] = [v.slice(0, v.lastIndexOf(':')), Number(v.slice(v.lastIndexOf(':') + 1))];
  if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) return undefined;
  if (!(isIP(host) || /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(host))) return undefined;
  return { host, port };
}

const explainText = (c: Rfc2136Config, zone: string, text: string, what: 'update' | 'transfer'): DnsError => {
  const z = zoneName(zone);
  const server = `${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`;
  const err = (code: ConstructorParameters<typeof DnsError>[2], m: string) => new DnsError(KIND, z, code, m);
  const rcode = /(?:error|status:?) '?(BADSIG|BADKEY|BADTIME|NOTAUTH|NOTZONE|REFUSED|SERVFAIL|FORMERR|NOTIMP|YXDOMAIN|NXRRSET|YXRRSET|NXDOMAIN)'?/.exec(text)?.[1];
  if (rcode === 'BADSIG' || rcode === 'BADKEY' || (!rcode && /failed to verify TSIG|expected a TSIG/.test(text))) {
    return err('auth', `the server refused the TSIG key '${c.tsigName}' (${rcode ?? 'BADSIG'}): check the key name, algorithm (${c.tsigAlgorithm}) and secret`);
  }
  if (rcode === 'BADTIME') return err('auth', `the server refused the TSIG signature's time (BADTIME): the clocks of this machine and ${server} differ by more than 5 minutes`);
  if (rcode === 'NOTAUTH') {
    return err('zone', `the server at ${server} is not authoritative for ${z}, or does not let key '${c.tsigName}' ${what} it (NOTAUTH): check the zone name, and that the server serves ${z} with an ACL allowing update and transfer with this key`);
  }
  if (rcode === 'NOTZONE') return err('zone', `a record of the update is outside zone ${z} (NOTZONE): check that the domain belongs to this zone`);
  if (rcode === 'REFUSED') return err('auth', `the server at ${server} refused to ${what} ${z} (REFUSED): allow key '${c.tsigName}' to ${what} the zone in the server's ACL`);
  if (rcode === 'SERVFAIL') return err('server', `the server at ${server} failed to ${what} ${z} (SERVFAIL): see its log (is the zone loaded? is it a secondary?)`);
  if (rcode) return err('invalid', `the server answered ${rcode} to the ${what}: ${text.trim().split('\n').pop()}`);
  if (/can't connect|connection refused|response timeout|timed out|failed to query server|network is unreachable|failed to resolve/i.test(text)) {
    return err('unreachable', `cannot reach the DNS server at ${server} over TCP: check the server address and port, and that it listens there`);
  }
  return err('server', `${what} failed: ${text.trim().split('\n').slice(-3).join(' ') || 'no output'}`);
};

/** Runs a tool; a missing one becomes a DnsError that says which package to install */
async function tool(c: Rfc2136Config, zone: string, what: 'update' | 'transfer', argv: string[], stdin?: string) {
  try {
    return await run(argv, { stdin, timeoutMs: (c.timeoutSeconds + 5) * 1000, env: { ...process.env, LC_ALL: 'C' } });
  } catch (e) {
    if (e instanceof CommandError) throw explainText(c, zone, `${e.result.stderr}\n${e.result.stdout}`, what);
    if (/is not installed/.test((e as Error).message)) throw new DnsError(KIND, zoneName(zone), 'missing-tool', `${argv[0]} is not installed: apt-get install knot-dnsutils`);
    throw e;
  }
}

/** A private directory holding a TSIG key file for one call */
async function withKeyFile<T>(c: Rfc2136Config, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-tsig-'));
  try {
    const file = join(dir, 'key');
    writeFileSync(file, `${c.tsigAlgorithm}:${c.tsigName}:${c.tsigSecret}\n`, { mode: 0o600 });
    return await fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The knsupdate lines of one change: deletions of the RRset, then its additions */
function lines(zone: string, ch: RecordChange): { del: string[]; add: string[] } {
  const owner = fqdn(ch.record.name, zone);
  const del = [`update delete ${owner} ${ch.record.type}`];
  const add = ch.action === 'delete' ? [] : ch.record.values.map((v) => `update add ${owner} ${ch.record.ttl} ${ch.record.type} ${toPresentation(ch.record.type, v)}`);
  return { del, add };
}

/** Parses `kdig +noall +answer` lines into records of the zone */
export function parseZoneLines(out: string, zone: string): RecordSet[] {
  const items: { name: string; type: RecordType; ttl: number; value: string }[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+IN\s+([A-Z0-9]+)\s+(.*)$/.exec(line.trim());
    if (!m || !isRecordType(m[3])) continue;
    const name = relativeName(m[1], zone);
    if (name === undefined) continue;
    const value = fromPresentation(m[3], m[4]);
    if (value !== undefined) items.push({ name, type: m[3], ttl: Number(m[2]), value });
  }
  return groupRecords(items);
}

export class Rfc2136Provider implements DnsProvider {
  readonly kind = KIND;
  constructor(private readonly c: Rfc2136Config) {}

  /** The primary it updates serves the zone */
  nameServers(): string[] {
    return [`${this.c.host.includes(':') ? `[${this.c.host}]` : this.c.host}:${this.c.port}`];
  }

  private header(zone: string) {
    return [`server ${this.c.host} ${this.c.port}`, `zone ${zoneName(zone)}.`, `key ${this.c.tsigAlgorithm}:${this.c.tsigName} ${this.c.tsigSecret}`];
  }

  private async send(zone: string, messages: string[][]) {
    const script = [...this.header(zone), ...messages.flatMap((m) => [...m, 'send']), 'quit', ''].join('\n');
    await tool(this.c, zone, 'update', ['knsupdate', '-v', '-t', String(this.c.timeoutSeconds), '-r', '0'], script);
  }

  async listRecords(zone: string): Promise<RecordSet[]> {
    const z = zoneName(zone);
    const r = await withKeyFile(this.c, (file) =>
      tool(this.c, z, 'transfer', ['kdig', `@${this.c.host}`, '-p', String(this.c.port), '-k', file, `${z}.`, 'AXFR', '+noall', '+answer', `+timeout=${this.c.timeoutSeconds}`, '+retry=0']),
    );
    // kdig exits 0 with an empty answer when the server closes the transfer without a reason.
    if (!/\sIN\s+SOA\s/.test(r.stdout)) throw explainText(this.c, z, `${r.stderr}\n; status: 'NOTAUTH'`, 'transfer');
    return parseZoneLines(r.stdout, z);
  }

  async applyChanges(zone: string, changes: RecordChange[]): Promise<void> {
    const z = zoneName(zone);
    const checked = checkChanges(changes, KIND, z);
    if (!checked.length) return;
    // Changes of one name stay in one message, so a CNAME can replace an A (delete, then add).
    const byName = new Map<string, RecordChange[]>();
    for (const ch of checked) byName.set(ch.record.name, [...(byName.get(ch.record.name) ?? []), ch]);
    const messages: string[][] = [];
    let cur: { del: string[]; add: string[] } = { del: [], add: [] };
    let size = 0;
    const flush = () => {
      if (cur.del.length || cur.add.length) messages.push([...cur.del, ...cur.add]);
      cur = { del: [], add: [] };
      size = 0;
    };
    for (const group of byName.values()) {
      const ls = group.map((ch) => lines(z, ch));
      const bytes = ls.reduce((n, l) => n + [...l.del, ...l.add].reduce((m, s) => m + s.length, 0), 0);
      if (size && size + bytes > MESSAGE_BUDGET) flush();
      for (const l of ls) cur.del.push(...l.del), cur.add.push(...l.add);
      size += bytes;
    }
    flush();
    await this.send(z, messages);
    // Read back what was changed: a server ignores additions it finds in conflict (RFC 2136 3.4.2.2).
    const now = new Map((await this.listRecords(z)).map((r) => [`${r.name} ${r.type}`, r]));
    const missed = checked.filter((ch) => {
      const got = now.get(`${ch.record.name} ${ch.record.type}`);
      return ch.action === 'delete' ? !!got : !sameRecord(got, ch.record);
    });
    if (missed.length) {
      const what = missed.map((m) => `${m.action} ${m.record.type} ${m.record.name || '@'}`).join(', ');
      throw new DnsError(KIND, z, 'invalid', `the server did not apply ${what}: a CNAME cannot stand beside other records of its name (the server ignores such additions): remove the other records first`);
    }
  }

  async ping(zone: string): Promise<void> {
    // An UPDATE without changes checks the key and the update right; the transfer checks the other.
    await this.send(zone, [[]]);
    await this.listRecords(zone);
  }
}

export const rfc2136: DnsProviderKind<Rfc2136Config> = {
  description: 'RFC 2136 dynamic update with TSIG (Knot, BIND, PowerDNS...), through knsupdate and kdig',
  parse(i, p: Problems) {
    const server = typeof i.server === 'string' ? parseServer(i.server) : undefined;
    if (i.server === undefined || i.server === '') p.push({ path: 'server', message: 'is required for rfc2136 (host or host:port of the primary server)' });
    else if (!server) p.push({ path: 'server', message: 'must be host, host:port or [IPv6]:port' });
    const name = typeof i.tsigName === 'string' ? i.tsigName.trim().replace(/\.$/, '') : '';
    if (!name) p.push({ path: 'tsigName', message: 'is required for rfc2136 (the TSIG key name)' });
    else if (!/^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,200})$/.test(name)) p.push({ path: 'tsigName', message: 'must be a key name (letters, digits, . _ -)' });
    const algorithm = (i.tsigAlgorithm ?? 'hmac-sha256') as Rfc2136Config['tsigAlgorithm'];
    if (!TSIG_ALGORITHMS.includes(algorithm)) p.push({ path: 'tsigAlgorithm', message: `must be one of ${TSIG_ALGORITHMS.join(', ')}` });
    const secret = typeof i.tsigSecret === 'string' ? i.tsigSecret.trim() : '';
    if (!secret) p.push({ path: 'tsigSecret', message: 'is required for rfc2136 (the TSIG secret, base64)' });
    else if (!/^[A-Za-z0-9+/]+={0,2}$/.test(secret) || Buffer.from(secret, 'base64').length < 8) p.push({ path: 'tsigSecret', message: 'must be a base64 secret of at least 8 bytes' });
    const timeout = i.timeoutSeconds ?? 10;
    if (!(Number.isInteger(timeout) && (timeout as number) >= 1 && (timeout as number) <= 120)) p.push({ path: 'timeoutSeconds', message: 'must be 1-120' });
    return { host: server?.host ?? '', port: server?.port ?? 53, tsigName: name, tsigAlgorithm: algorithm, tsigSecret: secret, timeoutSeconds: timeout as number };
  },
  view: (c) => ({ server: `${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`, tsigName: c.tsigName, tsigAlgorithm: c.tsigAlgorithm }),
  create: (c) => new Rfc2136Provider(c),
};
