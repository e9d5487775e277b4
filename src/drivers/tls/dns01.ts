/**
 * DNS-01 through a DNS provider (drivers/dns): the TXT record `_acme-challenge.<name>` holds the
 * digest of the key authorization while the CA looks, then goes. A wildcard (*.example.org) is
 * validated at the name below it, so a certificate for example.org and *.example.org has two
 * values in the same TXT record: the solver keeps every value it has put in a record and writes
 * the whole record each time (providers set an RRset to exactly the values given).
 *
 * Which provider and zone hold a name is the caller's answer (`locate`: the configured domain
 * that contains it, services/domains.ts). With `verify`, the solver waits until the record is
 * visible at the given name servers before the CA is told to look (a hidden primary's
 * secondaries may lag behind it).
 */
import { Resolver, lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { relativeName, zoneName, type DnsProvider, type RecordChange } from '../dns/index.js';
import type { ChallengeAnswer, ChallengeSolver } from './index.js';
import { sleep } from '../../lib/net.js';

export interface DnsTarget {
  dns: DnsProvider;
  /** The zone holding the name */
  zone: string;
}

export interface Dns01Options {
  /** The provider and zone holding a name (throws when no configured domain holds it) */
  locate(name: string): Promise<DnsTarget>;
  /** TTL of the TXT records (default 60) */
  ttl?: number;
  /**
   * Name servers (ip or ip:port) to wait at until the record is visible, before the CA looks;
   * 'authoritative': the zone's own, i.e. the provider's (`nameServers`) or the zone's NS records
   */
  verify?: { servers: string[] | 'authoritative'; timeoutMs?: number };
  log?: (line: string) => void;
  /** A fixed wait after the records are set, for providers whose changes take time to be served */
  settleMs?: number;
}

export const challengeName = (domain: string) => `_acme-challenge.${domain}`;

export class Dns01Solver implements ChallengeSolver {
  readonly type = 'dns-01' as const;
  /** The values this solver has put in each record (key: zone + relative name) */
  private readonly active = new Map<string, { target: DnsTarget; name: string; values: Set<string> }>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: Dns01Options) {}

  /** One change to the records at a time: answers of two orders may share a record */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async place(answers: ChallengeAnswer[]) {
    const out: { key: string; target: DnsTarget; name: string; answer: ChallengeAnswer }[] = [];
    for (const a of answers) {
      const target = await this.opts.locate(a.domain);
      const name = relativeName(`${challengeName(a.domain)}.`, target.zone);
      if (name === undefined) throw new Error(`${challengeName(a.domain)} is outside zone ${zoneName(target.zone)}`);
      out.push({ key: `${target.dns.kind} ${zoneName(target.zone)} ${name}`, target, name, answer: a });
    }
    return out;
  }

  private holds(a: ChallengeAnswer) {
    for (const rec of this.active.values()) if (rec.values.has(a.value)) return true;
    return false;
  }

  private async write(keys: Set<string>) {
    const byZone = new Map<string, { target: DnsTarget; changes: RecordChange[] }>();
    for (const key of keys) {
      const rec = this.active.get(key);
      if (!rec) continue;
      const z = `${rec.target.dns.kind} ${zoneName(rec.target.zone)}`;
      const batch = byZone.get(z) ?? { target: rec.target, changes: [] };
      const values = [...rec.values].sort();
      batch.changes.push(values.length ? { action: 'update', record: { name: rec.name, type: 'TXT', ttl: this.opts.ttl ?? 60, values } } : { action: 'delete', record: { name: rec.name, type: 'TXT', ttl: 0, values: [] } });
      if (!values.length) this.active.delete(key);
      byZone.set(z, batch);
    }
    for (const { target, changes } of byZone.values()) await target.dns.applyChanges(target.zone, changes);
  }

  async prepare(domains: string[]) {
    for (const d of domains) await this.opts.locate(d.replace(/^\*\./, ''));
  }

  present(answers: ChallengeAnswer[]) {
    return this.serial(async () => {
      const placed = await this.place(answers);
      for (const p of placed) {
        const rec = this.active.get(p.key) ?? { target: p.target, name: p.name, values: new Set<string>() };
        rec.values.add(p.answer.value);
        this.active.set(p.key, rec);
      }
      await this.write(new Set(placed.map((p) => p.key)));
      if (this.opts.verify) await this.waitVisible(placed);
      if (this.opts.settleMs) await sleep(this.opts.settleMs);
    });
  }

  cleanup(answers: ChallengeAnswer[]) {
    return this.serial(async () => {
      // Only what this solver put in place: answers it could not place are not in any record.
      const placed = (await this.place(answers.filter((a) => this.holds(a)))).filter((p) => this.active.get(p.key)?.values.has(p.answer.value));
      for (const p of placed) {
        const rec = this.active.get(p.key) ?? { target: p.target, name: p.name, values: new Set<string>() };
        rec.values.delete(p.answer.value);
        this.active.set(p.key, rec);
      }
      await this.write(new Set(placed.map((p) => p.key)));
    });
  }

  /** Waits until every answer's TXT record is served by each of the servers the CA may ask */
  private async waitVisible(placed: { target: DnsTarget; answer: ChallengeAnswer }[]) {
    const { servers, timeoutMs = 60_000 } = this.opts.verify!;
    const deadline = Date.now() + timeoutMs;
    for (const { target, answer: a } of placed) {
      const at = servers === 'authoritative' ? await authoritativeServers(target) : servers;
      if (!at.length) {
        this.opts.log?.(`the name servers of ${zoneName(target.zone)} could not be found: not waiting for TXT ${challengeName(a.domain)} to be served before the CA looks`);
        continue;
      }
      for (const server of at) {
        const resolver = new Resolver({ timeout: 2000, tries: 1 });
        resolver.setServers([server]);
        for (;;) {
          const txt = await resolver.resolveTxt(challengeName(a.domain)).catch(() => [] as string[][]);
          if (txt.some((chunks) => chunks.join('') === a.value)) break;
          if (Date.now() > deadline) throw new Error(`TXT ${challengeName(a.domain)} is not served by ${server} after ${Math.round(timeoutMs / 1000)} s`);
          await sleep(250);
        }
      }
    }
  }

  where(a: ChallengeAnswer) {
    return `TXT ${challengeName(a.domain)}`;
  }

  hint(a: ChallengeAnswer) {
    return `is TXT ${challengeName(a.domain)} served by the public name servers of its zone (is the zone delegated to the DNS provider Freehold writes to, and are its secondaries up to date)?`;
  }
}


/**
 * The addresses (ip or ip:port) of the servers that answer for a zone: the provider's when it
 * knows them, else those its NS records name (as the system's resolver finds them). None when
 * neither can be found (a zone not delegated yet, or not in public DNS).
 */
export async function authoritativeServers(target: DnsTarget): Promise<string[]> {
  const named = target.dns.nameServers?.(target.zone) ?? (await new Resolver({ timeout: 3000, tries: 2 }).resolveNs(zoneName(target.zone)).catch(() => [] as string[]));
  const out: string[] = [];
  for (const server of named) {
    const m = /^\[([^\]]+)\](?::(\d+))?$|^([^:\[\]]+)(?::(\d+))?$/.exec(server);
    if (!m) continue;
    const host = m[1] ?? m[3];
    const port = m[2] ?? m[4];
    const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
    for (const ip of addresses) out.push(port ? (isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`) : ip);
  }
  return [...new Set(out)];
}
