/**
 * DNS providers: where a domain's records live. One interface, a registry of kinds, one file per
 * implementation (rfc2136.ts, powerdns.ts, desec.ts, cloudflare.ts). Every kind passes the same
 * contract test (test/helpers/dns-contract.ts).
 *
 * Records are RRsets named relative to their zone with canonical values (records.ts), so what a
 * provider lists compares with what Freehold wants whatever the provider. Errors are DnsErrors:
 * they name the provider, the zone and the fix.
 */
import type { Problems, RecordChange, RecordSet } from './records.js';
import { rfc2136 } from './rfc2136.js';
import { powerdns } from './powerdns.js';
import { desec } from './desec.js';
import { cloudflare } from './cloudflare.js';

export * from './records.js';

export interface DnsProvider {
  /** The kind, e.g. 'rfc2136' */
  readonly kind: string;
  /** The record sets of the zone Freehold can manage (A, AAAA, CNAME, TXT, MX, SRV, CAA; not SOA, apex NS or DNSSEC records) */
  listRecords(zone: string): Promise<RecordSet[]>;
  /**
   * Applies changes as one batch: checked first (nothing is sent when one is invalid), then sent
   * in as few requests as the provider allows (one where it can, and then all or nothing).
   */
  applyChanges(zone: string, changes: RecordChange[]): Promise<void>;
  /** Checks that the provider is reachable, the credentials are right and it serves the zone; throws a DnsError that says what to fix */
  ping(zone: string): Promise<void>;
  /**
   * Where the zone is served as the provider writes it (host or host:port), when the provider
   * knows (an RFC 2136 primary); otherwise the zone's NS records say.
   */
  nameServers?(zone: string): string[];
}

export interface DnsProviderKind<C = any> {
  /** One line for help texts */
  description: string;
  /** Checks the input (field by field, problems with their paths) and returns the configuration to keep (sealed) */
  parse(input: Record<string, unknown>, p: Problems): C;
  /** What may be shown of a configuration: never a secret */
  view(config: C): Record<string, unknown>;
  create(config: C): DnsProvider;
}

const kinds = new Map<string, DnsProviderKind>();

export function registerDnsProvider<C>(kind: string, def: DnsProviderKind<C>) {
  kinds.set(kind, def);
}

export const dnsProviderKind = (kind: string): DnsProviderKind | undefined => kinds.get(kind);
export const dnsProviderKinds = () => [...kinds.keys()].sort();

export function createDnsProvider(kind: string, config: unknown): DnsProvider {
  const def = kinds.get(kind);
  if (!def) throw new Error(`unknown DNS provider "${kind}" (known: ${dnsProviderKinds().join(', ')})`);
  return def.create(config);
}

registerDnsProvider('rfc2136', rfc2136);
registerDnsProvider('powerdns', powerdns);
registerDnsProvider('desec', desec);
registerDnsProvider('cloudflare', cloudflare);
