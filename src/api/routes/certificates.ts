import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Freehold } from '../../services/freehold.js';
import type { AcmeAccountInput } from '../../services/certificates.js';

const tags = ['certificates'];
const Id = Type.Object({ id: Type.String() });
const Account = Type.Object(
  {
    directoryUrl: Type.String({ description: "An ACME directory URL, or 'letsencrypt' / 'letsencrypt-staging'" }),
    email: Type.Optional(Type.String({ description: "Contact for the CA's expiry and policy mail" })),
    caBundle: Type.Optional(Type.String({ description: "PEM of CA certificates to trust for the directory's HTTPS (a private or test CA)" })),
    verify: Type.Optional(Type.Boolean({ description: 'Register the account with the CA now (default true), so a wrong URL is reported at once' })),
  },
  { additionalProperties: false },
);
const Issue = Type.Object(
  {
    domains: Type.Array(Type.String(), { minItems: 1, description: 'The names it covers, the first naming it; *.example.org needs dns-01' }),
    challenge: Type.Optional(Type.Union([Type.Literal('http-01'), Type.Literal('dns-01')], { description: 'http-01 (through the edge on port 80, default) or dns-01 (through the DNS provider of the configured domain)' })),
  },
  { additionalProperties: false },
);

export const certificateRoutes =
  (fh: Freehold): FastifyPluginAsync =>
  async (app) => {
    app.get('/acme/account', { schema: { summary: 'The current ACME account (never its key)', tags } }, async () => ({ account: await fh.certificates.account() }));
    app.put('/acme/account', { schema: { summary: 'Configure the ACME CA and the account contact (registered at once unless verify is false)', tags, body: Account } }, async (req) => ({
      account: await fh.certificates.configure(req.body as AcmeAccountInput),
    }));
    app.get('/certificates', { schema: { summary: 'Certificates issued through ACME (never their keys)', tags } }, async () => ({ certificates: await fh.certificates.list() }));
    app.post('/certificates', { schema: { summary: 'Issue a certificate now and serve it on the edge (answers when the CA has issued it)', tags, body: Issue } }, async (req, reply) => {
      const b = req.body as { domains: string[]; challenge?: 'http-01' | 'dns-01' };
      return reply.code(201).send({ certificate: await fh.certificates.issue(b.domains, { challenge: b.challenge }) });
    });
    app.get('/certificates/:id', { schema: { summary: 'One certificate', tags, params: Id } }, async (req) => ({ certificate: await fh.certificates.get((req.params as { id: string }).id) }));
    app.post('/certificates/:id/renew', { schema: { summary: 'Issue it again now, with the same names', tags, params: Id } }, async (req) => ({
      certificate: await fh.certificates.renew((req.params as { id: string }).id),
    }));
    app.post('/certificates/:id/retry', { schema: { summary: "Order an installation's certificate again now, after a failed order the reconcile loop is waiting out", tags, params: Id } }, async (req) => {
      const waiting = fh.certificates.retryNow((req.params as { id: string }).id);
      void fh.reconciler.reconcileOnce().catch(() => undefined);
      return { waiting };
    });
    app.post('/certificates/:id/revoke', { schema: { summary: 'Revoke it at the CA; the edge stops serving it', tags, params: Id } }, async (req) => ({
      certificate: await fh.certificates.revoke((req.params as { id: string }).id),
    }));
    app.delete('/certificates/:id', { schema: { summary: 'Revoke (while valid), stop serving and forget it with its key', tags, params: Id } }, async (req) =>
      fh.certificates.remove((req.params as { id: string }).id),
    );
  };
