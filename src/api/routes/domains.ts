import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Freehold } from '../../services/freehold.js';
import type { DomainInput } from '../../services/domains.js';

const Str = (description: string) => Type.Optional(Type.String({ description }));

// Provider-specific checks (which fields a provider needs, what they look like) are the
// service's and the driver's, so every surface gets the same answers; the schema types the body.
const DomainBody = Type.Object(
  {
    name: Type.String({ description: 'The domain, e.g. example.org: installations get <name>.example.org' }),
    provider: Type.String({ description: 'rfc2136 | powerdns | desec | cloudflare' }),
    zone: Str('The DNS zone holding the domain, when it is a parent of it (default: the domain)'),
    ttl: Type.Optional(Type.Integer({ minimum: 1, maximum: 604800, description: 'TTL of the records Freehold makes (default 300)' })),
    verify: Type.Optional(Type.Boolean({ description: 'Check the provider (credentials, zone) before keeping the domain (default true)' })),
    challenge: Type.Optional(Type.Union([Type.Literal('http-01'), Type.Literal('dns-01')], { description: "How certificates of installations on it are validated: http-01 (default; port 80 must reach Freehold's edge) or dns-01 (a TXT record through this provider; for hosts behind a NAT)" })),
    server: Str('rfc2136: primary server, host or host:port'),
    tsigName: Str('rfc2136: TSIG key name'),
    tsigAlgorithm: Str('rfc2136: hmac-sha256 (default), hmac-sha512...'),
    tsigSecret: Str('rfc2136: TSIG secret (base64). Never returned.'),
    timeoutSeconds: Type.Optional(Type.Integer({ description: 'rfc2136: seconds to wait for the server (default 10)' })),
    url: Str('powerdns: API URL, e.g. http://127.0.0.1:8081; desec, cloudflare: API base (default: the public service)'),
    apiKey: Str('powerdns: API key (api-key in pdns.conf). Never returned.'),
    serverId: Str('powerdns: server id (default localhost)'),
    token: Str('desec, cloudflare: API token. Never returned.'),
    batchSize: Type.Optional(Type.Integer({ description: 'cloudflare: operations per batch (200 on the Free plan)' })),
  },
  { additionalProperties: false },
);
const Name = Type.Object({ name: Type.String() });
// A change: the same fields but the domain's name and zone, all optional.
const DomainChange = Type.Partial(Type.Omit(DomainBody, ['name', 'zone']), { additionalProperties: false });

export const domainRoutes =
  (fh: Freehold): FastifyPluginAsync =>
  async (app) => {
    app.get('/domains', { schema: { summary: 'Domains and their DNS providers (never their secrets)', tags: ['domains'] } }, async () => ({ domains: await fh.domains.list() }));
    app.post('/domains', { schema: { summary: 'Configure a domain with a DNS provider (checked first: credentials, zone)', tags: ['domains'], body: DomainBody } }, async (req, reply) =>
      reply.code(201).send({ domain: await fh.domains.add(req.body as DomainInput) }),
    );
    app.patch(
      '/domains/:name',
      {
        schema: {
          summary: "Change a domain: its TTL (records already made get it), its challenge, or its provider's settings given whole (checked first; e.g. a new TSIG secret or token)",
          tags: ['domains'],
          params: Name,
          body: DomainChange,
        },
      },
      async (req) => ({ domain: await fh.domains.update((req.params as { name: string }).name, req.body as Record<string, unknown>) }),
    );
    app.delete(
      '/domains/:name',
      {
        schema: {
          summary: "Forget a domain (its DNS records stay); refused while installations have records there unless force",
          tags: ['domains'],
          params: Name,
          querystring: Type.Object({ force: Type.Optional(Type.Boolean()) }),
        },
      },
      async (req, reply) => {
        await fh.domains.remove((req.params as { name: string }).name, { force: (req.query as { force?: boolean }).force });
        return reply.code(204).send();
      },
    );
    app.get('/domains/:name/records', { schema: { summary: "The record sets of the domain's zone that Freehold can manage", tags: ['domains'], params: Name } }, async (req) => {
      const name = (req.params as { name: string }).name;
      return { domain: name, records: await fh.domains.records(name) };
    });
    app.post(
      '/domains/:name/check',
      {
        schema: {
          summary: "Compare the installations' records with DNS (changed or deleted by hand); repair them when asked",
          tags: ['domains'],
          params: Name,
          body: Type.Optional(Type.Object({ repair: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
        },
      },
      async (req) => fh.domains.check((req.params as { name: string }).name, { repair: (req.body as { repair?: boolean } | undefined)?.repair }),
    );
    app.get('/domains/:name/export', { schema: { summary: "The zone's records as an octoDNS YamlProvider zone file (YAML)", tags: ['domains'], params: Name } }, async (req, reply) =>
      reply.type('application/yaml; charset=utf-8').send(await fh.domains.exportZone((req.params as { name: string }).name)),
    );
    app.post(
      '/domains/:name/import',
      {
        schema: {
          summary: "Apply an octoDNS zone file's records as one batch (dryRun: only list the changes; prune: also delete the zone's other records)",
          tags: ['domains'],
          params: Name,
          body: Type.Object(
            {
              yaml: Type.String({ description: 'The octoDNS zone file' }),
              dryRun: Type.Optional(Type.Boolean()),
              prune: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => {
        const b = req.body as { yaml: string; dryRun?: boolean; prune?: boolean };
        return fh.domains.importZone((req.params as { name: string }).name, b.yaml, { dryRun: b.dryRun, prune: b.prune });
      },
    );
  };
