/**
 * The web UI: the single-page app built into web/dist, served from `/` (public: the pages hold no
 * data; everything they show comes from /api with the admin token). Paths that are not files get
 * index.html, so the app's own routes survive a reload.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { packageRoot } from '../lib/package-root.js';

/** web/dist in the package root (this file runs from src/api or, built, from dist/src/api) */
export const WEB_DIST = join(packageRoot(), 'web', 'dist');

export async function serveWeb(app: FastifyInstance, dir = WEB_DIST) {
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', { config: { public: true } }, async (_req, reply) =>
      reply.type('text/plain').send('The web UI is not built: run "npm run build" (it builds web/ too). The API is at /api, its docs at /docs.'),
    );
    return;
  }
  // Hashed assets never change under their name; index.html always is asked again.
  await app.register(fastifyStatic, {
    root: dir,
    wildcard: false,
    setHeaders: (res, path) => res.setHeader('cache-control', path.includes(`${join(dir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  app.setNotFoundHandler((req, reply) => {
    if (req.method === 'GET' && !req.url.startsWith('/api/') && !req.url.startsWith('/docs')) return reply.type('text/html').sendFile('index.html');
    return reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]} (the API is under /api; see /docs)` });
  });
}
