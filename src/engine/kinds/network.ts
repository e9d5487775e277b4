/** The installation's own network: its containers and its addons meet there, and nothing else. */
import type { ResourceHandler } from '../resource.js';
import { LABEL_INSTALLATION, type HostContext } from './context.js';

interface NetworkSpec {
  name: string;
}

export const networkHandler: ResourceHandler<HostContext> = {
  async observe(ctx, items) {
    const present = new Set(await ctx.runtime.listNetworks(LABEL_INSTALLATION));
    const wanted = items.map((i) => (i.spec as unknown as NetworkSpec).name);
    const isolated = await ctx.runtime.isolatedNetworks(wanted.filter((n) => present.has(n)));
    return wanted.map((name) => {
      if (!present.has(name)) return { state: 'absent' } as const;
      if (!isolated.has(name)) return { state: 'drifted', reason: 'isolation rules missing' } as const;
      return { state: 'present' } as const;
    });
  },
  async apply({ ctx, installation, spec }) {
    const { name } = spec as unknown as NetworkSpec;
    await ctx.runtime.ensureNetwork(name, { [LABEL_INSTALLATION]: installation });
    return { name };
  },
  async delete({ ctx, spec }) {
    const { name } = spec as unknown as NetworkSpec;
    // Shared addon servers are on every installation's network: take them off it first.
    for (const server of await ctx.runtime.list('freehold.addon-server')) {
      if (server.networks.includes(name)) await ctx.runtime.disconnect(name, server.name);
    }
    await ctx.runtime.removeNetwork(name);
  },
};
