/** The installation's route on the edge: its domain, over HTTPS, to its HTTP component. */
import type { ResourceHandler } from '../resource.js';
import type { HostContext } from './context.js';

export interface RouteSpec {
  id: string;
  hosts: string[];
  /** Key of the container resource that serves HTTP */
  target: string;
}

const upstreamOf = (ctx: HostContext, inputs: Record<string, Record<string, unknown>> | undefined, spec: RouteSpec) =>
  `${ctx.publishIp}:${inputs?.[spec.target]?.hostPort}`;

export const routeHandler: ResourceHandler<HostContext> = {
  async observe(ctx, items) {
    const routes = new Map((await ctx.edge.listRoutes()).map((r) => [r.id, r]));
    return items.map((i) => {
      const s = i.spec as unknown as RouteSpec;
      const r = routes.get(s.id);
      if (!r) return { state: 'absent' } as const;
      if (r.upstream !== i.outputs?.upstream || r.hosts.join() !== s.hosts.join()) return { state: 'drifted', reason: 'route differs' } as const;
      return { state: 'present' } as const;
    });
  },
  async apply({ ctx, spec, inputs }) {
    const s = spec as unknown as RouteSpec;
    const upstream = upstreamOf(ctx, inputs, s);
    await ctx.edge.setRoute({ id: s.id, hosts: s.hosts, upstream });
    return { upstream, url: ctx.edge.url(s.hosts[0]) };
  },
  async delete({ ctx, spec }) {
    await ctx.edge.removeRoute((spec as unknown as RouteSpec).id);
  },
};
