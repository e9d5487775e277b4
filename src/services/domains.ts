/**
 * Domains: a domain the user owns, configured once with a DNS provider (drivers/dns), so that
 * installations on it get their records: `<name>.<domain>` as A/AAAA to the host's public
 * addresses, or as a CNAME. The provider's configuration is sealed in the store and never shown
 * (only what its kind's `view` allows).
 *
 * For installations (the engine calls these):
 * - `ensureInstallationRecords(domain, name, target)`: makes the records of `<name>.<domain>`
 *   what the target says (A/AAAA or CNAME; the other of these types removed), remembers them;
 * - `removeInstallationRecords(domain, name)`: removes them (on uninstall or rename);
 * - `observeInstallationRecords(domain, name)`: what is there compared with what should be;
 * - `check(domain, {repair})`: the drift of every installation on the domain (a record changed
 *   or deleted by hand), repaired in one batch when asked.
 * And octoDNS interop: `exportZone` (YamlProvider zone file) and `importZone` (a batch, or a
 * dry run that lists the changes).
 */
import type { Store } from '../store/index.js';
import { now } from '../store/index.js';
import type { Sealer } from '../lib/crypto.js';
import {
  DnsError,
  createDnsProvider,
  diffRecords,
  dnsProviderKind,
  dnsProviderKinds,
  fqdn,
  relativeName,
  sameRecord,
  sortRecords,
  validZone,
  zoneName,
  type DnsProvider,
  type Problems,
  type RecordChange,
  type RecordSet,
  type RecordType,
} from '../drivers/dns/index.js';
import { fromOctodnsYaml, toOctodnsYaml } from '../drivers/dns/octodns.js';
import { canonicalIPv6 } from '../drivers/dns/records.js';
import { isIPv4, isIPv6 } from 'node:net';
import { ConflictError, NotFoundError, UserError } from './errors.js';
import type { DomainView } from '../api/views.js';

export type { DomainView };

/** What `add` accepts: the domain, its provider kind, and that kind's fields (server, tsigName, url, token...) */
export interface DomainInput {
  name: string;
  provider: string;
  /** The zone holding the domain, when it is not the domain itself (e.g. domain apps.example.org in zone example.org) */
  zone?: string;
  /** TTL of the records Freehold makes (default 300) */
  ttl?: number;
  /** Check the provider (credentials, zone) before keeping the domain (default true) */
  verify?: boolean;
  /** How certificates of installations on it are validated: http-01 (default; port 80 must reach the edge) or dns-01 (through this provider) */
  challenge?: string;
  [field: string]: unknown;
}

/** Where an installation's name points: the host's public addresses (A/AAAA), or another name (CNAME) */
export type InstallationTarget = { addresses: string[]; ttl?: number } | { cname: string; ttl?: number };

export interface Drift {
  installation: string;
  /** The record's full name, e.g. cal.example.org */
  fqdn: string;
  name: string;
  type: RecordType;
  problem: 'missing' | 'changed' | 'unexpected';
  want?: RecordSet;
  have?: RecordSet;
}

export interface Observation {
  domain: string;
  installation: string;
  fqdn: string;
  desired: RecordSet[];
  actual: RecordSet[];
  drift: Drift[];
}

/** A DNS provider failed: the gateway is at fault, or the input was refused */
export class DnsProviderError extends UserError {
  override readonly status: number;
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message, [{ path: 'provider', message: code }]);
    this.status = code === 'invalid' ? 400 : code === 'rate-limited' ? 503 : 502;
  }
}

/** The types an installation's name owns: the ones Freehold sets there and removes when absent */
const OWNED: RecordType[] = ['A', 'AAAA', 'CNAME'];
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export class Domains {
  /** The configured domains, as last read: the engine asks for every installation it plans */
  private names?: Promise<{ name: string; challenge: DomainView['challenge'] }[]>;

  constructor(
    private readonly db: Store,
    private readonly sealer: Sealer,
  ) {}

  /** The configured domain holding a name: the longest one it is or ends with, if any */
  async holderOf(host: string): Promise<{ name: string; challenge: DomainView['challenge'] } | undefined> {
    const h = host.toLowerCase().replace(/\.$/, '');
    const read = this.db.selectFrom('domains').select(['name', 'challenge']).execute();
    const p = (this.names ??= read.then((rows) => rows.map((r) => ({ name: r.name, challenge: r.challenge as DomainView['challenge'] })).sort((a, b) => b.name.length - a.name.length)));
    p.catch(() => this.names === p && (this.names = undefined));
    return (await p).find((d) => h === d.name || h.endsWith(`.${d.name}`));
  }

  async add(input: DomainInput): Promise<DomainView> {
    const p: Problems = [];
    const name = typeof input.name === 'string' ? zoneName(input.name) : '';
    if (!validZone(name)) p.push({ path: 'name', message: 'must be a domain name such as example.org (letters, digits, -)' });
    const zone = input.zone === undefined || input.zone === '' ? name : typeof input.zone === 'string' ? zoneName(input.zone) : '';
    if (zone !== name && !(validZone(zone) && name.endsWith(`.${zone}`))) p.push({ path: 'zone', message: `must be ${name || 'the domain'} or a parent of it` });
    const ttl = input.ttl ?? 300;
    if (!(Number.isInteger(ttl) && (ttl as number) >= 1 && (ttl as number) <= 604800)) p.push({ path: 'ttl', message: 'must be 1-604800 seconds' });
    const challenge = input.challenge ?? 'http-01';
    if (challenge !== 'http-01' && challenge !== 'dns-01') p.push({ path: 'challenge', message: 'must be http-01 or dns-01' });
    const kind = typeof input.provider === 'string' ? dnsProviderKind(input.provider) : undefined;
    if (!kind) p.push({ path: 'provider', message: `must be one of ${dnsProviderKinds().join(', ')}` });
    const config = kind?.parse(input, p);
    if (p.length || !kind) throw new UserError(`invalid domain: ${p.map((x) => `${x.path} ${x.message}`).join('; ')}`, p);
    if (await this.row(name)) throw new ConflictError(`domain ${name} is already configured (remove it first to change its provider)`, [{ path: 'name', message: 'is taken' }]);
    if (input.verify !== false) await this.guard(input.provider, config, () => createDnsProvider(input.provider, config).ping(zone));
    await this.db.insertInto('domains').values({ name, zone, provider: input.provider, config: this.sealer.seal(JSON.stringify(config)), ttl: ttl as number, challenge, created_at: now() }).execute();
    this.names = undefined;
    return this.get(name);
  }

  /**
   * Changes a domain: its TTL (the records already made get it too), its challenge, or its
   * provider's settings, given whole as when it was added (e.g. a new TSIG secret or API token;
   * checked before they are kept). Its provider can change only while no installation has
   * records there (they would be left at the old one).
   */
  async update(name: string, input: Partial<DomainInput>): Promise<DomainView> {
    const row = await this.row(zoneName(name));
    if (!row) throw new NotFoundError(`no domain ${name} (see "freehold domains list")`);
    const p: Problems = [];
    if (input.name !== undefined || input.zone !== undefined) p.push({ path: input.name !== undefined ? 'name' : 'zone', message: 'cannot change: remove the domain and add it again' });
    const ttl = input.ttl ?? row.ttl;
    if (!(Number.isInteger(ttl) && (ttl as number) >= 1 && (ttl as number) <= 604800)) p.push({ path: 'ttl', message: 'must be 1-604800 seconds' });
    const challenge = input.challenge ?? row.challenge;
    if (challenge !== 'http-01' && challenge !== 'dns-01') p.push({ path: 'challenge', message: 'must be http-01 or dns-01' });
    const { ttl: _t, challenge: _c, verify, name: _n, zone: _z, ...providerFields } = input;
    const provider = typeof input.provider === 'string' ? input.provider : row.provider;
    const kind = dnsProviderKind(provider);
    if (!kind) p.push({ path: 'provider', message: `must be one of ${dnsProviderKinds().join(', ')}` });
    const changesProvider = Object.keys(providerFields).length > 0;
    const config = changesProvider ? kind?.parse({ ...providerFields, provider }, p) : undefined;
    if (p.length) throw new UserError(`invalid change to domain ${row.name}: ${p.map((x) => `${x.path} ${x.message}`).join('; ')}`, p);
    const uses = await this.db.selectFrom('domain_records').select(['installation', 'records']).where('domain', '=', row.name).execute();
    if (provider !== row.provider && uses.length) {
      throw new ConflictError(`domain ${row.name} has the records of ${uses.map((u) => u.installation).join(', ')} at ${row.provider}: move or remove those installations before changing its provider`, [{ path: 'provider', message: 'in use' }]);
    }
    if (config && verify !== false) await this.guard(provider, config, () => createDnsProvider(provider, config).ping(row.zone));
    await this.db
      .updateTable('domains')
      .set({ ttl: ttl as number, challenge: challenge as string, ...(config ? { provider, config: this.sealer.seal(JSON.stringify(config)) } : {}) })
      .where('name', '=', row.name)
      .execute();
    this.names = undefined;
    // Records made with the old TTL (not those whose host asked for its own) get the new one.
    if (ttl !== row.ttl && uses.length) {
      const d = await this.provider(row.name);
      const actual = await d.dns.listRecords(d.zone);
      for (const u of uses) {
        const kept = (JSON.parse(u.records) as RecordSet[]).map((r) => (r.ttl === row.ttl ? { ...r, ttl: ttl as number } : r));
        const changes = kept.length ? this.changesFor(kept[0].name, kept, actual) : [];
        await this.db.updateTable('domain_records').set({ records: JSON.stringify(kept), updated_at: now() }).where('domain', '=', row.name).where('installation', '=', u.installation).execute();
        if (changes.length) await d.dns.applyChanges(d.zone, changes);
      }
    }
    return this.get(row.name);
  }

  async list(): Promise<DomainView[]> {
    const rows = await this.db.selectFrom('domains').selectAll().orderBy('name').execute();
    const uses = await this.db.selectFrom('domain_records').select(['domain', 'installation']).orderBy('installation').execute();
    return rows.map((r) => ({
      name: r.name,
      zone: r.zone,
      provider: r.provider,
      ttl: r.ttl,
      challenge: r.challenge as DomainView['challenge'],
      settings: dnsProviderKind(r.provider)?.view(JSON.parse(this.sealer.open(r.config))) ?? {},
      installations: uses.filter((u) => u.domain === r.name).map((u) => u.installation),
      createdAt: r.created_at,
    }));
  }

  async get(name: string): Promise<DomainView> {
    const d = (await this.list()).find((x) => x.name === zoneName(name));
    if (!d) throw new NotFoundError(`no domain ${name} (see "freehold domains list")`);
    return d;
  }

  /** Forgets a domain (its DNS records stay as they are); refused while installations have records there, unless forced */
  async remove(name: string, opts: { force?: boolean } = {}) {
    const d = await this.get(name);
    if (d.installations.length && !opts.force) {
      throw new ConflictError(`domain ${d.name} has the records of ${d.installations.join(', ')}: remove those first, or force (their records are then left in DNS, unmanaged)`);
    }
    await this.db.deleteFrom('domain_records').where('domain', '=', d.name).execute();
    await this.db.deleteFrom('domains').where('name', '=', d.name).execute();
    this.names = undefined;
  }

  /** The provider of a domain and its zone (e.g. for DNS-01 challenges) */
  async provider(domain: string): Promise<{ dns: DnsProvider; zone: string; ttl: number; name: string }> {
    const row = await this.row(zoneName(domain));
    if (!row) throw new NotFoundError(`no domain ${domain} (see "freehold domains list")`);
    const config = JSON.parse(this.sealer.open(row.config));
    return { dns: this.wrap(row.provider, config, createDnsProvider(row.provider, config)), zone: row.zone, ttl: row.ttl, name: row.name };
  }

  /** Every record set of the domain's zone that Freehold can manage */
  async records(domain: string): Promise<RecordSet[]> {
    const { dns, zone } = await this.provider(domain);
    return dns.listRecords(zone);
  }

  /**
   * With `host`, the records are those of that name (an installation named `cal` on
   * calendar.example.org); by default `<installation>.<domain>`. The records wanted are kept
   * before they are sent, so that a crash in between still knows what to remove.
   */
  async ensureInstallationRecords(domain: string, installation: string, target: InstallationTarget, opts: { host?: string } = {}): Promise<{ fqdn: string; changes: RecordChange[] }> {
    const d = await this.provider(domain);
    const name = opts.host === undefined ? this.recordName(d, installation) : this.hostName(d, installation, opts.host);
    const desired = this.desiredRecords(name, target, d.ttl);
    const actual = await d.dns.listRecords(d.zone);
    const others = actual.filter((r) => r.name === name && !OWNED.includes(r.type));
    if (desired.some((r) => r.type === 'CNAME') && others.length) {
      const full = fqdn(name, d.zone).replace(/\.$/, '');
      throw new ConflictError(`${full} has ${others.map((r) => r.type).join(', ')} records: a CNAME cannot stand beside them; point it at addresses instead, or remove those records`, [{ path: 'cname', message: `conflicts with the ${others.map((r) => r.type).join(', ')} records of ${full}` }]);
    }
    const changes = this.changesFor(name, desired, actual);
    // The old name's records go when the installation moved to another name on this domain
    const before = await this.kept(d.name, installation);
    if (before.length && before[0].name !== name) changes.push(...this.changesFor(before[0].name, [], actual));
    await this.db
      .insertInto('domain_records')
      .values({ domain: d.name, installation, records: JSON.stringify(desired), updated_at: now() })
      .onConflict((oc) => oc.columns(['domain', 'installation']).doUpdateSet({ records: JSON.stringify(desired), updated_at: now() }))
      .execute();
    if (changes.length) await d.dns.applyChanges(d.zone, changes);
    return { fqdn: fqdn(name, d.zone).replace(/\.$/, ''), changes };
  }

  async removeInstallationRecords(domain: string, installation: string): Promise<{ fqdn: string; changes: RecordChange[] }> {
    const d = await this.provider(domain);
    const name = (await this.kept(d.name, installation))[0]?.name ?? this.recordName(d, installation);
    const actual = await d.dns.listRecords(d.zone);
    const changes = this.changesFor(name, [], actual);
    if (changes.length) await d.dns.applyChanges(d.zone, changes);
    await this.db.deleteFrom('domain_records').where('domain', '=', d.name).where('installation', '=', installation).execute();
    return { fqdn: fqdn(name, d.zone).replace(/\.$/, ''), changes };
  }

  /** What is in DNS for an installation compared with what Freehold keeps there (with `actual`: no listing, for batches) */
  async observeInstallationRecords(domain: string, installation: string, actual?: RecordSet[]): Promise<Observation> {
    const d = await this.provider(domain);
    const row = await this.db.selectFrom('domain_records').select('records').where('domain', '=', d.name).where('installation', '=', installation).executeTakeFirst();
    const desired: RecordSet[] = row ? JSON.parse(row.records) : [];
    const name = desired[0]?.name ?? this.recordName(d, installation);
    const all = actual ?? (await d.dns.listRecords(d.zone));
    const have = all.filter((r) => r.name === name && OWNED.includes(r.type));
    const drift: Drift[] = [];
    const full = fqdn(name, d.zone).replace(/\.$/, '');
    for (const type of OWNED) {
      const want = desired.find((r) => r.type === type);
      const got = have.find((r) => r.type === type);
      if (want && !got) drift.push({ installation, fqdn: full, name, type, problem: 'missing', want });
      else if (want && got && !sameRecord(want, got)) drift.push({ installation, fqdn: full, name, type, problem: 'changed', want, have: got });
      else if (!want && got && row) drift.push({ installation, fqdn: full, name, type, problem: 'unexpected', have: got });
    }
    return { domain: d.name, installation, fqdn: full, desired, actual: have, drift };
  }

  /** The drift of every installation on the domain, repaired in one batch with `repair` */
  async check(domain: string, opts: { repair?: boolean } = {}): Promise<{ domain: string; drift: Drift[]; repaired: number }> {
    const d = await this.provider(domain);
    const rows = await this.db.selectFrom('domain_records').select(['installation', 'records']).where('domain', '=', d.name).orderBy('installation').execute();
    const actual = await d.dns.listRecords(d.zone);
    const drift: Drift[] = [];
    const changes: RecordChange[] = [];
    for (const r of rows) {
      const o = await this.observeInstallationRecords(d.name, r.installation, actual);
      drift.push(...o.drift);
      if (o.drift.length) changes.push(...this.changesFor(o.desired[0]?.name ?? this.recordName(d, r.installation), o.desired, actual));
    }
    if (opts.repair && changes.length) await d.dns.applyChanges(d.zone, changes);
    return { domain: d.name, drift, repaired: opts.repair ? drift.length : 0 };
  }

  /** The zone's records as an octoDNS YamlProvider zone file */
  async exportZone(domain: string): Promise<string> {
    return toOctodnsYaml(await this.records(domain));
  }

  /** Applies an octoDNS zone file's records as one batch (with prune, also deletes the zone's other records); dry run: only the changes */
  async importZone(domain: string, yamlText: string, opts: { dryRun?: boolean; prune?: boolean } = {}) {
    const p: Problems = [];
    const parsed = fromOctodnsYaml(String(yamlText ?? ''), p);
    if (p.length) throw new UserError(`invalid octoDNS zone file: ${p.map((x) => `${x.path}: ${x.message}`).join('; ')}`, p);
    const d = await this.provider(domain);
    const changes = diffRecords(await d.dns.listRecords(d.zone), parsed.records, { prune: opts.prune });
    if (!opts.dryRun && changes.length) await d.dns.applyChanges(d.zone, changes);
    return { domain: d.name, zone: d.zone, changes, skipped: parsed.skipped, applied: !opts.dryRun };
  }

  private async kept(domain: string, installation: string): Promise<RecordSet[]> {
    const row = await this.db.selectFrom('domain_records').select('records').where('domain', '=', domain).where('installation', '=', installation).executeTakeFirst();
    return row ? JSON.parse(row.records) : [];
  }

  /** The record name of `host`, which must be the domain or a name below it */
  private hostName(d: { name: string; zone: string }, installation: string, host: string) {
    const h = String(host).trim().toLowerCase().replace(/\.$/, '');
    if (h !== d.name && !h.endsWith(`.${d.name}`)) throw new UserError(`${host} is not on the domain ${d.name}`, [{ path: 'host', message: `must be ${d.name} or a name below it` }]);
    if (typeof installation !== 'string' || !installation) throw new UserError('an installation name is needed', [{ path: 'installation', message: 'is empty' }]);
    return relativeName(h, d.zone)!;
  }

  private recordName(d: { name: string; zone: string }, installation: string) {
    if (typeof installation !== 'string' || !LABEL.test(installation)) throw new UserError(`invalid installation name "${installation}": one DNS label (lower-case letters, digits, -)`, [{ path: 'installation', message: 'must be one DNS label' }]);
    return relativeName(`${installation}.${d.name}`, d.zone)!;
  }

  private desiredRecords(name: string, target: InstallationTarget, ttl: number): RecordSet[] {
    const t = target as { addresses?: unknown; cname?: unknown; ttl?: number };
    const recTtl = t.ttl ?? ttl;
    if (typeof t.cname === 'string') {
      const host = t.cname.trim().toLowerCase().replace(/\.$/, '');
      if (!/^[a-z0-9_]([a-z0-9_.-]*[a-z0-9])?$/.test(host) || !host.includes('.')) throw new UserError(`invalid CNAME target "${t.cname}": a host name`, [{ path: 'cname', message: 'must be a host name' }]);
      return [{ name, type: 'CNAME', ttl: recTtl, values: [`${host}.`] }];
    }
    const addresses = Array.isArray(t.addresses) ? (t.addresses as unknown[]) : [];
    const bad = addresses.filter((a) => typeof a !== 'string' || !(isIPv4(a) || isIPv6(a)));
    if (!addresses.length || bad.length) throw new UserError(`invalid target: give the host's public addresses (IPv4/IPv6) or a CNAME${bad.length ? ` (not addresses: ${bad.join(', ')})` : ''}`, [{ path: 'addresses', message: 'must be IPv4 or IPv6 addresses' }]);
    const v4 = [...new Set(addresses.filter((a) => isIPv4(a as string)) as string[])].sort();
    const v6 = [...new Set(addresses.filter((a) => isIPv6(a as string)).map((a) => canonicalIPv6(a as string)))].sort();
    return [...(v4.length ? [{ name, type: 'A' as const, ttl: recTtl, values: v4 }] : []), ...(v6.length ? [{ name, type: 'AAAA' as const, ttl: recTtl, values: v6 }] : [])];
  }

  /** The changes that make the owned types at `name` exactly `desired` */
  private changesFor(name: string, desired: RecordSet[], actual: RecordSet[]): RecordChange[] {
    const changes: RecordChange[] = [];
    for (const type of OWNED) {
      const want = desired.find((r) => r.type === type);
      const got = actual.find((r) => r.name === name && r.type === type);
      if (!want && got) changes.push({ action: 'delete', record: got });
    }
    for (const want of sortRecords(desired)) {
      const got = actual.find((r) => r.name === name && r.type === want.type);
      if (!got) changes.push({ action: 'create', record: want });
      else if (!sameRecord(want, got)) changes.push({ action: 'update', record: want });
    }
    return changes;
  }

  /** Provider errors become answers the surfaces show (502/400), with any secret of the configuration scrubbed */
  private wrap(kind: string, config: Record<string, unknown>, dns: DnsProvider): DnsProvider {
    const guard = <T>(fn: () => Promise<T>) => this.guard(kind, config, fn);
    return {
      kind: dns.kind,
      listRecords: (zone) => guard(() => dns.listRecords(zone)),
      applyChanges: (zone, changes) => guard(() => dns.applyChanges(zone, changes)),
      ping: (zone) => guard(() => dns.ping(zone)),
      ...(dns.nameServers && { nameServers: (zone: string) => dns.nameServers!(zone) }),
    };
  }

  private async guard<T>(kind: string, config: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const shown = JSON.stringify(dnsProviderKind(kind)?.view(config) ?? {});
      const secrets = Object.values(config).filter((v): v is string => typeof v === 'string' && v.length >= 6 && !shown.includes(v));
      const scrub = (s: string) => secrets.reduce((acc, x) => acc.split(x).join('***'), s);
      if (err instanceof DnsError) throw new DnsProviderError(scrub(err.message), err.code);
      if (err instanceof UserError) throw err;
      throw new DnsProviderError(scrub(`${kind}: ${(err as Error).message}`), 'server');
    }
  }

  private row(name: string) {
    return this.db.selectFrom('domains').selectAll().where('name', '=', name).executeTakeFirst();
  }
}
