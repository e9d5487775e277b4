/** An installation's share of an addon (its database and user, its data directory...). */
import { addonDriver, type AddonOutputs } from '../../drivers/addons/index.js';
import type { Json, ResourceHandler } from '../resource.js';
import type { HostContext } from './context.js';

export interface AddonSpec {
  kind: string;
  network: string;
}

export const addonHandler: ResourceHandler<HostContext> = {
  // One question per addon kind for every installation observed.
  async observe(ctx, items) {
    const kinds = [...new Set(items.map((i) => (i.spec as unknown as AddonSpec).kind))];
    const existing = new Map(
      await Promise.all(kinds.map(async (k) => [k, await addonDriver(k).existing(ctx.addons, items.filter((i) => (i.spec as unknown as AddonSpec).kind === k).map((i) => i.installation))] as const)),
    );
    return items.map((i) => ({ state: existing.get((i.spec as unknown as AddonSpec).kind)!.has(i.installation) ? 'present' : 'absent' }));
  },
  async apply({ ctx, installation, spec, previous, log }) {
    const s = spec as unknown as AddonSpec;
    const out = await addonDriver(s.kind).provision({ ...ctx.addons, log }, { installation, network: s.network }, previous as AddonOutputs | undefined);
    return out as Record<string, Json>;
  },
  async delete({ ctx, installation, spec, log }) {
    const s = spec as unknown as AddonSpec;
    await addonDriver(s.kind).deprovision({ ...ctx.addons, log }, { installation, network: s.network });
  },
};
