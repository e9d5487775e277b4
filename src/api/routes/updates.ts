import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Freehold } from '../../services/freehold.js';

const Name = Type.Object({ name: Type.String({ description: 'Installation name or id' }) });
const Decisions = {
  renames: Type.Optional(Type.Array(Type.Object({ from: Type.String({ minLength: 1 }), to: Type.String({ minLength: 1 }) }, { additionalProperties: false }), { description: 'Suggested renames the user confirmed (old option path -> new option path)' })),
  config: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "Values for the new version's options (e.g. a new required one)" })),
};
const Target = {
  to: Type.Optional(Type.String({ minLength: 1, description: 'Version (default: the newest reachable one)' })),
  packageVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'Its packaging revision (default: the newest)' })),
};
type UpdateBody = { to?: string; packageVersion?: number; renames?: { from: string; to: string }[]; config?: Record<string, never> };
const Time = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Local time of day, HH:MM' });

export const updateRoutes =
  (fh: Freehold): FastifyPluginAsync =>
  async (app) => {
    app.get(
      '/installations/:name/updates',
      {
        schema: {
          summary: 'Newer versions of the app in the catalog, and what an update to one would change (config old and new side by side)',
          tags: ['updates'],
          params: Name,
          querystring: Type.Object({
            to: Type.Optional(Type.String({ description: 'Version to preview (default: the newest reachable one)' })),
            package: Type.Optional(Type.Integer({ minimum: 1, description: 'Its packaging revision (default: the newest)' })),
          }),
        },
      },
      async (req) => {
        const { name } = req.params as { name: string };
        const { to, package: packageVersion } = req.query as { to?: string; package?: number };
        const available = await fh.updates.available(name);
        const preview = available.offers.some((o) => o.reachable) || to ? await fh.updates.preview(name, to, packageVersion) : null;
        return { ...available, preview };
      },
    );
    app.post(
      '/installations/:name/update',
      {
        schema: {
          summary: 'Update to a newer version (starts an update task that rolls back by itself on failure)',
          tags: ['updates'],
          params: Name,
          body: Type.Optional(Type.Object({ ...Target, ...Decisions }, { additionalProperties: false })),
        },
      },
      async (req, reply) => {
        const body = (req.body ?? {}) as UpdateBody;
        const task = await fh.updates.update((req.params as { name: string }).name, body);
        return reply.code(202).send({ task });
      },
    );
    app.post(
      '/installations/:name/update-preview',
      {
        schema: {
          summary: 'What an update would change with these decisions (confirmed renames, values for the new version), without changing anything',
          tags: ['updates'],
          params: Name,
          body: Type.Optional(Type.Object({ ...Target, ...Decisions }, { additionalProperties: false })),
        },
      },
      async (req) => {
        const body = (req.body ?? {}) as UpdateBody;
        return { preview: await fh.updates.preview((req.params as { name: string }).name, body.to, body.packageVersion, { ...(body.renames && { renames: body.renames }), ...(body.config && { set: body.config }) }) };
      },
    );
    app.post('/installations/:name/rollback', { schema: { summary: "Go back to the state before the last update: its pre-update snapshot's version, config and data (starts a rollback task)", tags: ['updates'], params: Name } }, async (req, reply) => {
      const task = await fh.updates.rollback((req.params as { name: string }).name);
      return reply.code(202).send({ task });
    });
    app.get('/installations/:name/update-policy', { schema: { summary: 'Which updates are applied by themselves, and when', tags: ['updates'], params: Name } }, async (req) => ({
      policy: await fh.updates.policy((req.params as { name: string }).name),
    }));
    app.put(
      '/installations/:name/update-policy',
      {
        schema: {
          summary: 'Change which updates are applied by themselves (off, patch, minor) and in which maintenance window',
          tags: ['updates'],
          params: Name,
          body: Type.Object(
            {
              mode: Type.Optional(Type.Union([Type.Literal('off'), Type.Literal('patch'), Type.Literal('minor')])),
              window: Type.Optional(Type.Union([Type.Object({ start: Time, end: Time }, { additionalProperties: false }), Type.Null()], { description: 'null: any time' })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => ({ policy: await fh.updates.setPolicy((req.params as { name: string }).name, req.body as never) }),
    );
  };
