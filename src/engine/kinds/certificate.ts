/**
 * The certificate of an installation on a configured domain, from the ACME CA
 * (services/certificates.ts), served by the edge for its name. Renewal is not the engine's:
 * the control plane renews what is due on its own schedule.
 */
import type { ResourceHandler } from '../resource.js';
import { publicServices, type HostContext } from './context.js';
import { NotFoundError } from '../../services/errors.js';

export interface CertificateSpec {
  id: string;
  domains: string[];
  challenge: 'http-01' | 'dns-01';
}

const services = (ctx: HostContext) => publicServices(ctx, 'certificates');

export const certificateHandler: ResourceHandler<HostContext> = {
  async observe(ctx, items) {
    const specs = items.map((i) => i.spec as unknown as CertificateSpec);
    const states = await services(ctx).certificates.observe(specs);
    return states.map((s) => (s === 'served' ? { state: 'present' } : s === 'absent' ? { state: 'absent' } : { state: 'drifted', reason: 'not served by the edge' }));
  },
  async apply({ ctx, spec, installation, log }) {
    const s = spec as unknown as CertificateSpec;
    log(`certificate for ${s.domains.join(', ')} (ACME ${s.challenge})`);
    const c = await services(ctx).certificates.ensure(s.domains, { id: s.id, owner: installation, challenge: s.challenge });
    log(`certificate ${c.id} from ${c.issuer}, valid until ${c.notAfter}`);
    return { id: c.id };
  },
  async delete({ ctx, spec, log }) {
    const s = spec as unknown as CertificateSpec;
    try {
      const r = await services(ctx).certificates.remove(s.id);
      log(`certificate ${s.id} removed${r.revoked ? ' and revoked' : ''}${r.warning ? ` (${r.warning})` : ''}`);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  },
};
