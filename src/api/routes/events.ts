import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Freehold } from '../../services/freehold.js';

const Str = (description: string) => Type.Optional(Type.String({ description }));

// Kind-specific checks are the service's (same answers on every surface); the schema types the body.
const ChannelBody = Type.Object(
  {
    name: Type.String({ description: 'Channel name (lower-case letters, digits, -)' }),
    kind: Type.String({ description: 'webhook | email' }),
    url: Str('webhook: http(s) URL that receives POST {event} as JSON. Shown without user info or query.'),
    host: Str('email: SMTP server host'),
    port: Type.Optional(Type.Integer({ description: 'email: SMTP port (e.g. 587, or 465 with secure)' })),
    secure: Type.Optional(Type.Boolean({ description: 'email: TLS from the start (port 465); otherwise STARTTLS when offered' })),
    user: Str('email: SMTP user (optional)'),
    password: Str('email: SMTP password (with user). Never returned.'),
    from: Str('email: sender address'),
    to: Str('email: recipient addresses, separated by commas'),
  },
  { additionalProperties: false },
);
const Name = Type.Object({ name: Type.String() });

export const eventRoutes =
  (fh: Freehold): FastifyPluginAsync =>
  async (app) => {
    app.get(
      '/events',
      {
        schema: {
          summary: 'Recent events (failed installs, updates, backups, restores...), newest first',
          tags: ['alerts'],
          querystring: Type.Object({
            installation: Type.Optional(Type.String({ description: 'Only the events of this installation (by name; also after it is gone)' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
          }),
        },
      },
      async (req) => {
        const q = req.query as { installation?: string; limit?: number };
        return { events: await fh.alerts.list(q) };
      },
    );
    app.get('/alert-channels', { schema: { summary: 'Alert channels (never their passwords)', tags: ['alerts'] } }, async () => ({ channels: await fh.alerts.listChannels() }));
    app.post('/alert-channels', { schema: { summary: 'Add an alert channel (webhook or email through SMTP)', tags: ['alerts'], body: ChannelBody } }, async (req, reply) =>
      reply.code(201).send({ channel: await fh.alerts.addChannel(req.body as any) }),
    );
    app.delete('/alert-channels/:name', { schema: { summary: 'Remove an alert channel', tags: ['alerts'], params: Name } }, async (req, reply) => {
      await fh.alerts.removeChannel((req.params as { name: string }).name);
      return reply.code(204).send();
    });
    app.post('/alert-channels/:name/test', { schema: { summary: 'Send a test event to one channel (502 when it cannot be delivered)', tags: ['alerts'], params: Name } }, async (req) =>
      fh.alerts.testChannel((req.params as { name: string }).name),
    );
  };
