/**
 * Where an installation is reached. On a domain configured with a DNS provider (services/domains.ts)
 * its name gets DNS records to its host's public target and a certificate from the ACME CA; any
 * other name (e.g. *.localhost) is served as the edge serves it (Caddy's local CA).
 */
import type { Domains } from './domains.js';
import type { Hosts, PublicTarget } from './hosts.js';
import type { Certificates } from './certificates.js';
import type { IpPools } from './ip-pools.js';
import { ConflictError } from './errors.js';

export interface PublicPlacement {
  /** The configured domain holding the installation's name */
  domain: string;
  /** Where its records point; null while the host has none (then no records are made) */
  target: PublicTarget | null;
  /** How its certificate is validated (the domain's setting) */
  challenge: 'http-01' | 'dns-01';
}

export class Placement {
  constructor(
    private readonly domains: Pick<Domains, 'holderOf'>,
    private readonly hosts: Pick<Hosts, 'publicTarget'>,
    private readonly certificates: Pick<Certificates, 'account' | 'retryNow'>,
    private readonly ipPools: Pick<IpPools, 'get'>,
  ) {}

  async of(name: string, hostId: string): Promise<PublicPlacement | undefined> {
    const domain = await this.domains.holderOf(name);
    return domain ? { domain: domain.name, challenge: domain.challenge, target: await this.hosts.publicTarget(hostId) } : undefined;
  }

  /** Before an install: what a name on a configured domain needs, said with the command that sets it */
  async check(name: string, hostId: string): Promise<PublicPlacement | undefined> {
    const p = await this.of(name, hostId);
    if (!p) return undefined;
    if (!p.target) {
      throw new ConflictError(
        `${name} is on the domain ${p.domain}, so Freehold makes its DNS records; host "${hostId}" has no public address for them to point to: set it with "freehold hosts set-public ${hostId} --address <IPv4 or IPv6>" (or --cname <name>, or --pool <IP pool>)`,
        [{ path: 'domain', message: `host ${hostId} has no public address` }],
      );
    }
    if ('pool' in p.target) {
      await this.ipPools.get(p.target.pool).catch(() => {
        throw new ConflictError(`host "${hostId}" gives installations on ${p.domain} addresses from the IP pool "${p.target && 'pool' in p.target && p.target.pool}", which does not exist: add it ("freehold ip-pools add"), or set another public target ("freehold hosts set-public ${hostId}")`, [{ path: 'domain', message: 'the host\'s IP pool does not exist' }]);
      });
    }
    // An install asked for by hand orders its certificate at once, whatever failed before
    this.certificates.retryNow(name);
    if (!(await this.certificates.account())) {
      throw new ConflictError(
        `${name} is on the domain ${p.domain} and needs a certificate from an ACME CA; none is configured: "freehold certificates account --directory letsencrypt --email <you@${p.domain}>"`,
        [{ path: 'domain', message: 'no ACME account is configured' }],
      );
    }
    return p;
  }
}
