import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Freehold } from '../../services/freehold.js';

export const systemRoutes =
  (fh: Freehold): FastifyPluginAsync =>
  async (app) => {
    app.get('/health', { config: { public: true }, schema: { summary: 'Liveness (public)', tags: ['system'], security: [] } }, async () => ({ ok: true }));
    app.get('/health/installations', { schema: { summary: "Each installation's health as the health monitor last probed it (healthy, failing, unhealthy, unknown)", tags: ['system'] } }, async () => ({
      health: await fh.health.report(),
    }));
    app.get('/hosts', { schema: { summary: 'Hosts, with where the internet reaches them (the target of DNS records on configured domains)', tags: ['system'] } }, async () => ({
      hosts: await fh.hosts.views(),
    }));
    app.patch(
      '/hosts/:id',
      {
        schema: {
          summary: "Set (or with null, clear) a host's public addresses or public name; the records of its installations on configured domains follow at the next reconcile",
          tags: ['system'],
          params: Type.Object({ id: Type.String() }),
          body: Type.Object(
            {
              public: Type.Union([
                Type.Object({ addresses: Type.Array(Type.String(), { description: 'IPv4/IPv6 addresses (A/AAAA records)' }) }, { additionalProperties: false }),
                Type.Object({ cname: Type.String({ description: 'A host name (CNAME records), e.g. a dynamic-DNS name' }) }, { additionalProperties: false }),
                Type.Object({ pool: Type.String({ description: 'An IP pool: each installation gets its own address from it (a prefix routed to the host)' }) }, { additionalProperties: false }),
                Type.Null(),
              ]),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => {
        const target = (req.body as { public: { pool?: string } | null }).public;
        if (target?.pool !== undefined) await fh.ipPools.get(target.pool);
        const host = await fh.hosts.setPublic((req.params as { id: string }).id, target);
        void fh.reconciler.reconcileOnce().catch(() => undefined);
        return { host };
      },
    );
    app.post('/reconcile', { schema: { summary: 'Check every installation for drift now and repair it', tags: ['system'] } }, async () => ({
      tasks: await fh.reconciler.reconcileOnce(),
    }));
  };
