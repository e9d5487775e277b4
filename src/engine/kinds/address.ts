/**
 * An installation's own public address, from the IP pool its host names (services/ip-pools.ts:
 * built-in prefixes or NetBox). Its DNS records point there.
 */
import type { ResourceHandler, Observation } from '../resource.js';
import { publicServices, type HostContext } from './context.js';
import { NotFoundError } from '../../services/errors.js';

export interface AddressSpec {
  pool: string;
}

const services = (ctx: HostContext) => publicServices(ctx, 'addresses');

export const addressHandler: ResourceHandler<HostContext> = {
  async observe(ctx, items) {
    const out: Observation[] = [];
    for (const i of items) {
      const { pool } = i.spec as unknown as AddressSpec;
      try {
        const held = await services(ctx).ipPools.heldIn(i.installation, pool);
        out.push(held.some((a) => a.address === i.outputs?.address) ? { state: 'present' } : { state: 'absent' });
      } catch (err) {
        // A pool that cannot be read (NetBox down) is not drift
        out.push(err instanceof NotFoundError ? { state: 'absent' } : { state: 'present' });
      }
    }
    return out;
  },
  async apply({ ctx, spec, installation, log }) {
    const { pool } = spec as unknown as AddressSpec;
    const a = await services(ctx).ipPools.allocateFor(installation, pool);
    log(`address ${a.address} from IP pool ${pool}`);
    return { address: a.address };
  },
  async delete({ ctx, spec, installation, log }) {
    const { pool } = spec as unknown as AddressSpec;
    const released = await services(ctx).ipPools.releaseFrom(installation, pool);
    log(`IP pool ${pool}: ${released.map((a) => a.address).join(', ') || 'nothing'} released`);
  },
};
