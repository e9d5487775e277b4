import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Freehold } from '../../services/freehold.js';

const Name = Type.Object({ name: Type.String({ description: 'Installation name or id' }) });

export const backupRoutes =
  (fh: Freehold): FastifyPluginAsync =>
  async (app) => {
    app.get('/installations/:name/backups', { schema: { summary: "The installation's snapshots, newest first", tags: ['backups'], params: Name } }, async (req) => ({
      snapshots: await fh.backups.list((req.params as { name: string }).name),
    }));
    app.post('/installations/:name/backups', { schema: { summary: 'Take a snapshot now (starts a backup task)', tags: ['backups'], params: Name } }, async (req, reply) => {
      const task = await fh.backups.backup((req.params as { name: string }).name);
      return reply.code(202).send({ task });
    });
    app.get('/installations/:name/backup-policy', { schema: { summary: 'Backup schedule and retention', tags: ['backups'], params: Name } }, async (req) => ({
      policy: await fh.schedule.policy((req.params as { name: string }).name),
    }));
    app.put(
      '/installations/:name/backup-policy',
      {
        schema: {
          summary: 'Change the backup schedule and retention',
          tags: ['backups'],
          params: Name,
          body: Type.Object(
            {
              enabled: Type.Optional(Type.Boolean()),
              everyMinutes: Type.Optional(Type.Number({ minimum: 0.05, description: 'Minutes between scheduled snapshots' })),
              keep: Type.Optional(
                Type.Object(
                  { last: Type.Optional(Type.Integer({ minimum: 0 })), daily: Type.Optional(Type.Integer({ minimum: 0 })), weekly: Type.Optional(Type.Integer({ minimum: 0 })), monthly: Type.Optional(Type.Integer({ minimum: 0 })) },
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => ({ policy: await fh.schedule.setPolicy((req.params as { name: string }).name, req.body as never) }),
    );
    app.post('/backup-targets/:name/check', { schema: { summary: "Check a target's repository for integrity (starts a check task)", tags: ['backups'], params: Type.Object({ name: Type.String() }) } }, async (req, reply) => {
      const task = await fh.backups.check((req.params as { name: string }).name);
      return reply.code(202).send({ task });
    });
    app.post(
      '/installations/:name/clone',
      {
        schema: {
          summary: 'A new installation with the data of one of this installation\'s snapshots (starts an install and a clone task)',
          tags: ['backups'],
          params: Name,
          body: Type.Object(
            {
              snapshot: Type.String({ minLength: 1 }),
              domain: Type.String({ minLength: 1, description: 'A name (becomes <name>.localhost) or a full domain' }),
              name: Type.Optional(Type.String()),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        const b = req.body as { snapshot: string; domain: string; name?: string };
        const r = await fh.backups.clone((req.params as { name: string }).name, b.snapshot, { domain: b.domain, name: b.name });
        return reply.code(202).send(r);
      },
    );
    app.post(
      '/installations/:name/restore',
      {
        schema: {
          summary: 'Restore the installation to one of its snapshots (starts a restore task)',
          tags: ['backups'],
          params: Name,
          body: Type.Object({ snapshot: Type.String({ minLength: 1, description: 'Snapshot id or its first 8+ characters' }) }, { additionalProperties: false }),
        },
      },
      async (req, reply) => {
        const task = await fh.backups.restore((req.params as { name: string }).name, (req.body as { snapshot: string }).snapshot);
        return reply.code(202).send({ task });
      },
    );
  };
