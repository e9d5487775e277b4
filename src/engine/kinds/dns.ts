/**
 * The DNS records of an installation on a configured domain: its name as A/AAAA records to its
 * host's public addresses, or as a CNAME to the host's public name (services/domains.ts).
 */
import type { ResourceHandler, Observation } from '../resource.js';
import { publicServices, type HostContext } from './context.js';
import type { PublicTarget } from '../../services/hosts.js';
import { NotFoundError } from '../../services/errors.js';

export interface DnsSpec {
  /** The configured domain holding the name */
  domain: string;
  /** The installation's name, e.g. cal.example.org */
  host: string;
  target: PublicTarget;
}

const services = (ctx: HostContext) => publicServices(ctx, 'DNS records');

export const dnsHandler: ResourceHandler<HostContext> = {
  async observe(ctx, items) {
    const { domains } = services(ctx);
    const out: Observation[] = [];
    // One listing of each domain's zone for all its installations
    const zones = new Map<string, ReturnType<typeof domains.records>>();
    for (const i of items) {
      const s = i.spec as unknown as DnsSpec;
      try {
        const actual = await (zones.get(s.domain) ?? zones.set(s.domain, domains.records(s.domain)).get(s.domain)!);
        const o = await domains.observeInstallationRecords(s.domain, i.installation, actual);
        if (!o.desired.length) out.push({ state: 'absent' });
        else if (o.drift.length) out.push({ state: 'drifted', reason: o.drift.map((d) => `${d.fqdn} ${d.type} ${d.problem}`).join(', ') });
        else out.push({ state: 'present' });
      } catch (err) {
        // The domain forgotten: nothing Freehold manages there. A provider that cannot be read is
        // not drift: the records are left as they are until it answers again.
        out.push(err instanceof NotFoundError ? { state: 'absent' } : { state: 'present' });
      }
    }
    return out;
  },
  async apply({ ctx, spec, installation, inputs, log }) {
    const s = spec as unknown as DnsSpec;
    // An address from the host's IP pool: the one the installation's `address` resource holds
    const target = 'pool' in s.target ? { addresses: [String(inputs.address?.address)] } : s.target;
    const r = await services(ctx).domains.ensureInstallationRecords(s.domain, installation, target, { host: s.host });
    log(`DNS ${r.fqdn}: ${r.changes.length ? r.changes.map((c) => `${c.action} ${c.record.type} ${c.record.values.join(' ')}`).join('; ') : 'already as wanted'}`);
    return { fqdn: r.fqdn };
  },
  async delete({ ctx, spec, installation, log }) {
    const s = spec as unknown as DnsSpec;
    try {
      const r = await services(ctx).domains.removeInstallationRecords(s.domain, installation);
      log(`DNS ${r.fqdn}: ${r.changes.length} record sets removed`);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      log(`DNS: domain ${s.domain} is no longer configured; its records are left as they are`);
    }
  },
};
