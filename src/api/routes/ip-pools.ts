import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Freehold } from '../../services/freehold.js';
import type { PoolInput } from '../../services/ip-pools.js';

const Strings = (description: string) => Type.Optional(Type.Array(Type.String(), { description }));

// Provider-specific checks (which fields a provider needs) are the service's, so that every
// surface gets the same answers; the schema only types the body.
const Fields = {
  prefixes: Strings('builtin: IPv4 and IPv6 prefixes (CIDR), used in this order'),
  reserve: Strings('builtin: addresses never handed out (a gateway...)'),
  url: Type.Optional(Type.String({ description: 'netbox: base URL, e.g. https://netbox.example.org' })),
  token: Type.Optional(Type.String({ description: 'netbox: API token (write enabled). Sealed, never returned.' })),
  prefixIds: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { description: 'netbox: prefix ids, used in this order' })),
};
const Body = Type.Object(
  {
    name: Type.String({ description: 'Pool name (lower-case letters, digits, -)' }),
    provider: Type.Optional(Type.String({ description: 'builtin (default) | netbox' })),
    ...Fields,
  },
  { additionalProperties: false },
);
const Patch = Type.Object(Fields, { additionalProperties: false });
const Name = Type.Object({ name: Type.String() });
const tags = ['ip-pools'];

export const ipPoolRoutes =
  (fh: Freehold): FastifyPluginAsync =>
  async (app) => {
    app.get('/ip-pools', { schema: { summary: 'IP pools (never their tokens)', tags } }, async () => ({ pools: await fh.ipPools.list() }));
    app.post('/ip-pools', { schema: { summary: 'Add an IP pool: built-in prefixes or NetBox prefixes', tags, body: Body } }, async (req, reply) =>
      reply.code(201).send({ pool: await fh.ipPools.add(req.body as PoolInput) }),
    );
    app.get('/ip-pools/:name', { schema: { summary: 'One IP pool', tags, params: Name } }, async (req) => ({ pool: await fh.ipPools.get((req.params as { name: string }).name) }));
    app.patch(
      '/ip-pools/:name',
      { schema: { summary: "Change a pool's prefixes, reserved addresses or NetBox URL/token (refused if an address in use would be left outside)", tags, params: Name, body: Patch } },
      async (req) => ({ pool: await fh.ipPools.update((req.params as { name: string }).name, req.body as Partial<PoolInput>) }),
    );
    app.delete('/ip-pools/:name', { schema: { summary: 'Remove a pool that has no address allocated by Freehold (409 otherwise)', tags, params: Name } }, async (req, reply) => {
      await fh.ipPools.remove((req.params as { name: string }).name);
      return reply.code(204).send();
    });
    app.get(
      '/ip-pools/:name/allocations',
      { schema: { summary: "The addresses in use in a pool, with their owners (NetBox: also addresses Freehold did not make, owner null)", tags, params: Name, querystring: Type.Object({ owner: Type.Optional(Type.String()) }) } },
      async (req) => ({ allocations: await fh.ipPools.allocations((req.params as { name: string }).name, req.query as { owner?: string }) }),
    );
    app.post(
      '/ip-pools/:name/allocations',
      {
        schema: {
          summary: 'Allocate the next free address of a pool to an owner',
          tags,
          params: Name,
          body: Type.Object(
            {
              owner: Type.String({ description: 'who holds it, e.g. an installation name' }),
              description: Type.Optional(Type.String({ maxLength: 150 })),
              family: Type.Optional(Type.Union([Type.Literal(4), Type.Literal(6)], { description: 'only from IPv4 (4) or IPv6 (6) prefixes' })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => reply.code(201).send({ allocation: await fh.ipPools.allocate((req.params as { name: string }).name, req.body as { owner: string; description?: string; family?: 4 | 6 }) }),
    );
    app.delete(
      '/ip-pools/:name/allocations/:address',
      { schema: { summary: 'Release an address (it can be allocated again)', tags, params: Type.Object({ name: Type.String(), address: Type.String() }) } },
      async (req, reply) => {
        const { name, address } = req.params as { name: string; address: string };
        await fh.ipPools.release(name, address);
        return reply.code(204).send();
      },
    );
  };
