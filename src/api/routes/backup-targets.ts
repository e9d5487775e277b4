import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Freehold } from '../../services/freehold.js';
import type { TargetInput } from '../../services/backup-targets.js';

const Str = (description: string) => Type.Optional(Type.String({ description }));

// Kind-specific checks (which fields a kind needs) are the service's, so that every surface
// gets the same answers; the schema only types the body.
const Body = Type.Object(
  {
    name: Type.String({ description: 'Target name (lower-case letters, digits, -)' }),
    kind: Type.String({ description: 'local | sftp | s3' }),
    password: Str('Repository password; generated when not given (give it to use an existing repository). Never returned.'),
    path: Str('local: absolute directory; sftp: repository directory on the server'),
    host: Str('sftp: server host name or address'),
    port: Type.Optional(Type.Integer({ description: 'sftp: SSH port (default 22)' })),
    user: Str('sftp: SSH user'),
    privateKey: Str('sftp: SSH private key (contents, not a path). Never returned.'),
    endpoint: Str('s3: service URL, e.g. https://s3.example.org'),
    bucket: Str('s3: bucket name'),
    accessKey: Str('s3: access key id. Never returned.'),
    secretKey: Str('s3: secret access key. Never returned.'),
    caCert: Str("s3: PEM of the CA of the endpoint's certificate, when it is not a public one"),
  },
  { additionalProperties: false },
);

export const backupTargetRoutes =
  (fh: Freehold): FastifyPluginAsync =>
  async (app) => {
    app.get('/backup-targets', { schema: { summary: 'Backup targets (never their passwords or credentials)', tags: ['backups'] } }, async () => ({
      targets: await fh.backupTargets.list(),
    }));
    app.post('/backup-targets', { schema: { summary: 'Add a backup target (local path, SFTP or S3)', tags: ['backups'], body: Body } }, async (req, reply) =>
      reply.code(201).send({ target: await fh.backupTargets.add(req.body as TargetInput) }),
    );
    app.delete('/backup-targets/:name', { schema: { summary: 'Remove a backup target no installation uses (its repository is left as it is)', tags: ['backups'], params: Type.Object({ name: Type.String() }) } }, async (req, reply) => {
      await fh.backupTargets.remove((req.params as { name: string }).name);
      return reply.code(204).send();
    });
    app.put(
      '/installations/:name/backup-target',
      {
        schema: {
          summary: 'Choose where an installation is backed up',
          tags: ['backups'],
          params: Type.Object({ name: Type.String({ description: 'Installation name or id' }) }),
          body: Type.Object({ target: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        },
      },
      async (req) => fh.backupTargets.setInstallationTarget((req.params as { name: string }).name, (req.body as { target: string }).target),
    );
  };
