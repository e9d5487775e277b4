import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Freehold } from '../../services/freehold.js';
import type { CatalogApp } from '../../services/catalog.js';
import { NotFoundError } from '../../services/errors.js';

export const appSummary = (a: CatalogApp) => ({
  id: a.manifest.id,
  title: a.manifest.title,
  description: a.manifest.description,
  version: a.manifest.version,
  packageVersion: a.manifest.packageVersion,
  license: a.manifest.license,
  website: a.manifest.website,
  tags: a.manifest.tags,
  addons: Object.keys(a.manifest.addons ?? {}),
});

export const catalogRoutes =
  (fh: Freehold): FastifyPluginAsync =>
  async (app) => {
    app.get('/catalog', { schema: { summary: 'Apps in the catalog', tags: ['catalog'] } }, async () => ({
      apps: fh.catalog.list().map(appSummary),
      problems: fh.catalog.problems,
    }));
    app.get(
      '/catalog/:id',
      {
        schema: {
          summary: 'One app: its newest manifest (or the version asked for), and every version the catalog holds',
          tags: ['catalog'],
          params: Type.Object({ id: Type.String() }),
          querystring: Type.Object({ version: Type.Optional(Type.String({ description: 'This version instead of the newest' })), package: Type.Optional(Type.Integer({ minimum: 1, description: 'Its packaging revision (default: the newest)' })) }),
        },
      },
      async (req) => {
        const id = (req.params as { id: string }).id;
        const q = req.query as { version?: string; package?: number };
        const a = q.version === undefined ? fh.catalog.get(id) : fh.catalog.find(id, q.version, q.package);
        if (!a) throw new NotFoundError(`no version ${q.version}${q.package ? ` (package ${q.package})` : ''} of ${id} in the catalog (versions: ${fh.catalog.versions(id).map((v) => v.manifest.version).join(', ')})`);
        const versions = fh.catalog.versions(id).map((v) => ({ version: v.manifest.version, packageVersion: v.manifest.packageVersion, upgradeFrom: v.manifest.upgrade?.from ?? null }));
        return { ...appSummary(a), versions, manifest: a.manifest };
      },
    );
  };
