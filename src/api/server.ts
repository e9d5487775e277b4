/**
 * The HTTP API (Fastify): the same operations as the CLI, described by OpenAPI (served at /docs).
 * Every /api route needs the admin token unless it is marked public (health); the web UI's files
 * and the docs are public.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Freehold } from '../services/freehold.js';
import { UserError } from '../services/errors.js';
import { installationRoutes } from './routes/installations.js';
import { catalogRoutes } from './routes/catalog.js';
import { taskRoutes } from './routes/tasks.js';
import { systemRoutes } from './routes/system.js';
import { backupRoutes } from './routes/backups.js';
import { updateRoutes } from './routes/updates.js';
import { backupTargetRoutes } from './routes/backup-targets.js';
import { eventRoutes } from './routes/events.js';
import { tofuStateRoutes } from './routes/tofu-state.js';
import { ipPoolRoutes } from './routes/ip-pools.js';
import { domainRoutes } from './routes/domains.js';
import { secretsRoutes } from './routes/secrets.js';
import { certificateRoutes } from './routes/certificates.js';
import { serveWeb } from './web.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    public?: boolean;
  }
}

export async function buildApi(fh: Freehold, opts: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ? { level: 'info' } : false,
    disableRequestLogging: true,
    ajv: { customOptions: { allErrors: true, removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(swagger, {
    openapi: {
      info: { title: 'Freehold API', version: '1', description: 'Install, keep and move self-hosted apps. Authenticate with `Authorization: Bearer <admin token>`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiHooks: {}, staticCSP: true });

  app.addHook('onRequest', async (req, reply) => {
    // The API is /api; the rest (the web UI's files, the API docs) is public and holds no data.
    if (req.routeOptions.config?.public || !req.url.startsWith('/api/')) return;
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token || !(await fh.settings.checkAdminToken(token))) {
      reply.code(401).send({ error: 'authentication required: send "Authorization: Bearer <admin token>" (the token is in the data directory, file admin-token)' });
    }
  });

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof UserError) return reply.code(err.status).send({ error: err.message, ...(err.details && { details: err.details }) });
    if ((err as { validation?: unknown }).validation) {
      const details = ((err as any).validation as any[]).map((v) => ({
        path: [v.instancePath.split('/').slice(1).join('.'), v.params?.missingProperty ?? v.params?.additionalProperty].filter(Boolean).join('.') || '(body)',
        message: v.message,
      }));
      return reply.code(400).send({ error: `invalid request: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status < 500) return reply.code(status).send({ error: err.message });
    reply.log.error(err);
    return reply.code(500).send({ error: `internal error: ${err.message}` });
  });

  await app.register(systemRoutes(fh), { prefix: '/api' });
  await app.register(catalogRoutes(fh), { prefix: '/api' });
  await app.register(installationRoutes(fh), { prefix: '/api' });
  await app.register(taskRoutes(fh), { prefix: '/api' });
  await app.register(backupRoutes(fh), { prefix: '/api' });
  await app.register(updateRoutes(fh), { prefix: '/api' });
  await app.register(backupTargetRoutes(fh), { prefix: '/api' });
  await app.register(eventRoutes(fh), { prefix: '/api' });
  await app.register(tofuStateRoutes(fh), { prefix: '/api' });
  await app.register(ipPoolRoutes(fh), { prefix: '/api' });
  await app.register(domainRoutes(fh), { prefix: '/api' });
  await app.register(secretsRoutes(fh), { prefix: '/api' });
  await app.register(certificateRoutes(fh), { prefix: '/api' });
  await serveWeb(app);
  return app;
}
