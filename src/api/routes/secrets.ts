/**
 * The secrets backend Freehold uses (services/secrets-backend.ts):
 *   GET /api/secrets/backend   { backend: { kind, settings, configuredAt } }   (never a token)
 *   PUT /api/secrets/backend   { kind: builtin|openbao, url?, token?, mount?, ... , verify? }
 *                              -> { backend, notes }: 400 invalid (with field paths), 502 the
 *                              backend refused or is unreachable (nothing changed)
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Freehold } from '../../services/freehold.js';
import type { SecretsBackendInput } from '../../services/secrets-backend.js';

const Str = (description: string) => Type.Optional(Type.String({ description }));

// Which fields a kind needs and what they look like is the driver's `parse` (the same answers on
// every surface); the schema types the body. No tokenFile: the control plane reads no file named
// by a request.
const BackendBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('builtin'), Type.Literal('openbao')], { description: 'builtin (the default: secrets.db and freehold.db, under the master key) | openbao (OpenBao/Vault KV v2)' }),
    url: Str('openbao: base URL, e.g. https://bao.example.org:8200'),
    token: Str('openbao: a token whose policy allows create, read, update, delete and list under the prefix. Never returned.'),
    mount: Str('openbao: KV version 2 mount (default secret)'),
    prefix: Str("openbao: folder of Freehold's secrets in the mount (default freehold)"),
    namespace: Str('openbao: namespace (X-Vault-Namespace)'),
    caCert: Str("openbao: PEM of the CA that signed the server's certificate, when not a public one"),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'openbao: milliseconds to wait for an answer (default 10000)' })),
    maxVersions: Type.Optional(Type.Integer({ minimum: 1, description: 'builtin: versions kept per secret (default 10)' })),
    verify: Type.Optional(Type.Boolean({ description: 'Check the backend (reachable, the token works) before keeping it (default true)' })),
  },
  { additionalProperties: false },
);

const tags = ['secrets'];

export const secretsRoutes =
  (fh: Freehold): FastifyPluginAsync =>
  async (app) => {
    app.get('/secrets/backend', { schema: { summary: 'The secrets backend in use and its settings (never its token)', tags } }, async () => ({ backend: await fh.secretsBackends.view() }));
    app.put(
      '/secrets/backend',
      {
        schema: {
          summary: 'Set the secrets backend (checked first: reachable, the token works); nothing is moved from the previous one, the notes say what stays where',
          tags,
          body: BackendBody,
        },
      },
      async (req) => fh.secretsBackends.configure(req.body as SecretsBackendInput),
    );
  };
