import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Freehold } from '../../services/freehold.js';

const Name = Type.Object({ name: Type.String({ description: 'Installation name or id' }) });

export const installationRoutes =
  (fh: Freehold): FastifyPluginAsync =>
  async (app) => {
    // The list is polled by dashboards and stays the same array until an installation changes:
    // its JSON is made once per version of it.
    const listJson = new WeakMap<object, string>();
    app.get('/installations', { schema: { summary: 'Every installation', tags: ['installations'] } }, async (_req, reply) => {
      const list = await fh.installations.list();
      let json = listJson.get(list);
      if (json === undefined) listJson.set(list, (json = JSON.stringify({ installations: list })));
      return reply.type('application/json; charset=utf-8').send(json);
    });

    app.post(
      '/installations',
      {
        schema: {
          summary: 'Install an app (starts an install task)',
          tags: ['installations'],
          body: Type.Object(
            {
              app: Type.String({ minLength: 1, description: 'App id from the catalog' }),
              version: Type.Optional(Type.String({ minLength: 1, description: 'App version (default: the newest in the catalog)' })),
              domain: Type.String({ minLength: 1, description: 'A name (becomes <name>.localhost) or a full domain' }),
              name: Type.Optional(Type.String()),
              host: Type.Optional(Type.String()),
              config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
              set: Type.Optional(Type.Array(Type.String(), { description: 'key=value pairs, like the CLI\'s --set' })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        const r = await fh.installations.install(req.body as never);
        return reply.code(202).send(r);
      },
    );

    app.get('/installations/:name', { schema: { summary: 'One installation', tags: ['installations'], params: Name } }, async (req) => {
      const { name } = req.params as { name: string };
      const inst = await fh.installations.get(name);
      const tasks = await fh.tasks.list({ installationId: inst.id, limit: 10 });
      // The config schema of the version it runs, for the web UI's settings form
      const { manifest } = await fh.installations.runningApp(inst.id);
      // The generated secrets by name and kind (never their values), for rotation
      const secrets = Object.entries(manifest.secrets ?? {}).map(([secret, s]) => ({ name: secret, kind: 'random' in s.generate ? 'random' : s.generate.keypair }));
      return { installation: inst, tasks, configSchema: manifest.config?.schema ?? null, configUi: manifest.config?.ui ?? null, secrets };
    });

    app.delete('/installations/:name', { schema: { summary: 'Uninstall (starts an uninstall task)', tags: ['installations'], params: Name } }, async (req, reply) => {
      const task = await fh.installations.uninstall((req.params as { name: string }).name);
      return reply.code(202).send({ task });
    });

    app.get('/installations/:name/plan', { schema: { summary: 'Changes that apply would make', tags: ['installations'], params: Name } }, async (req) => ({
      steps: await fh.installations.plan((req.params as { name: string }).name),
    }));

    app.post('/installations/:name/apply', { schema: { summary: 'Apply the plan (starts an apply task)', tags: ['installations'], params: Name } }, async (req, reply) => {
      const task = await fh.installations.apply((req.params as { name: string }).name);
      return reply.code(202).send({ task });
    });

    app.put(
      '/installations/:name/config',
      {
        schema: {
          summary: "Change the installation's configuration (starts a configure task; the previous configuration comes back if the new one fails)",
          tags: ['installations'],
          params: Name,
          body: Type.Object(
            {
              config: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Values merged over the current ones' })),
              set: Type.Optional(Type.Array(Type.String(), { description: "key=value pairs, like the CLI's --set" })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        const task = await fh.installations.configure((req.params as { name: string }).name, req.body as never);
        return reply.code(202).send({ task });
      },
    );

    app.patch(
      '/installations/:name',
      {
        schema: {
          summary: 'Give the installation another domain name: its route, DNS records and certificate follow (starts a rename task; the previous name comes back if the new one fails)',
          tags: ['installations'],
          params: Name,
          body: Type.Object({ domain: Type.String({ minLength: 1, description: 'The new domain name, e.g. cal.example.org (a bare name goes under .localhost)' }) }, { additionalProperties: false }),
        },
      },
      async (req, reply) => {
        const task = await fh.installations.rename((req.params as { name: string }).name, req.body as { domain: string });
        return reply.code(202).send({ task });
      },
    );

    app.get('/installations/:name/credentials', { schema: { summary: "The app's own sign-in credentials (only secrets the manifest marks reveal)", tags: ['installations'], params: Name } }, async (req) => ({
      secrets: await fh.installations.credentials((req.params as { name: string }).name),
    }));

    app.post(
      '/installations/:name/secrets/:secret/rotate',
      {
        schema: {
          summary: 'Rotate a generated secret: a new version in the secrets backend, then the containers that use it re-created (starts a rotate-secret task; the previous value comes back if the app fails with the new one)',
          tags: ['installations'],
          params: Type.Object({ name: Type.String({ description: 'Installation name or id' }), secret: Type.String({ description: "A secret of the app's manifest" }) }),
        },
      },
      async (req, reply) => {
        const { name, secret } = req.params as { name: string; secret: string };
        return reply.code(202).send({ task: await fh.installations.rotateSecret(name, secret) });
      },
    );

    app.get(
      '/installations/:name/logs',
      {
        schema: {
          summary: "The app's own logs",
          tags: ['installations'],
          params: Name,
          querystring: Type.Object({ component: Type.Optional(Type.String()), tail: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })) }),
        },
      },
      async (req, reply) => {
        const q = req.query as { component?: string; tail?: number };
        const text = await fh.installations.logs((req.params as { name: string }).name, q.component, q.tail);
        return reply.type('text/plain').send(text);
      },
    );
  };
