/**
 * The OpenTofu/Terraform HTTP state backend (`backend "http"`), and Freehold's own view of the
 * states it keeps.
 *
 * Protocol (what terraform's and tofu's http backend client send; docs/opentofu.md):
 *   GET    /api/tofu/state/:name            200 state (Content-MD5) | 204 none yet | 404 unknown
 *   POST   /api/tofu/state/:name[?ID=lock]  200 | 423/409 + holder's lock info while locked   (PUT too)
 *   DELETE /api/tofu/state/:name[?ID=lock]  200 | 423/409 while locked | 404
 *   LOCK   /api/tofu/state/:name            200 | 423 + holder's lock info
 *   UNLOCK /api/tofu/state/:name[?force=1]  200 | 409 + holder's lock info (another ID); an empty
 *                                           body (terraform force-unlock sends no lock info) forces
 *   POST/DELETE /api/tofu/state/:name/lock  the same as LOCK/UNLOCK, for clients and proxies that
 *                                           only speak the usual methods (lock_method = "POST",
 *                                           unlock_method = "DELETE")
 * Management (JSON): GET /api/tofu/states, GET /api/tofu/states/:name (with the kept versions),
 * GET /api/tofu/states/:name/versions/:version (that version's state).
 *
 * Auth: terraform's http backend can only send HTTP basic auth (`username`/`password`, sent only
 * when the username is set), so these routes take the admin token as the basic-auth password (any
 * user name) as well as the usual Bearer header. They are marked public for the global hook and
 * checked here, so no other route changes behaviour. State bodies are taken as they come (raw
 * bytes, not parsed by Fastify), in this plugin only.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Freehold } from '../../services/freehold.js';
import { StateLockedError } from '../../services/tofu-state.js';
import { UserError } from '../../services/errors.js';

/** Largest state accepted (states of big infrastructures reach several MiB) */
const MAX_STATE = 64 * 1024 * 1024;

const REALM = 'Basic realm="Freehold OpenTofu state", charset="UTF-8"';

/** The admin token from a Bearer header or a basic-auth password; '' when there is none */
export function tokenFrom(header: string | undefined): string {
  const h = header ?? '';
  if (/^Bearer /i.test(h)) return h.slice(7).trim();
  if (/^Basic /i.test(h)) {
    const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : '';
  }
  return '';
}

/** The request's body as bytes: parsed by this plugin's parser, or read here (Fastify leaves UNLOCK's and some DELETE bodies unread) */
async function rawBody(req: FastifyRequest): Promise<Buffer> {
  if (Buffer.isBuffer(req.body)) return req.body;
  if (req.raw.readableEnded) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req.raw as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_STATE) throw new UserError(`request body larger than ${MAX_STATE} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

const one = (v: unknown) => (Array.isArray(v) ? v[0] : v) as string | undefined;
const truthy = (v: unknown) => ['1', 'true', 'yes'].includes(String(one(v) ?? '').toLowerCase());

/** Runs a protocol handler; a held lock becomes the protocol's answer (status + the holder's lock info) */
async function protocol(reply: FastifyReply, fn: () => Promise<unknown>) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StateLockedError) {
      return reply.code(err.status).header('content-type', 'application/json').header('x-freehold-error', err.message.replace(/[^\x20-\x7e]/g, '?')).send(err.holder);
    }
    throw err;
  }
}

const Name = Type.Object({ name: Type.String({ description: 'State name: letters, digits, ".", "_", "-"' }) });
const tags = ['opentofu'];
// Marked public so that the global Bearer-only hook lets basic auth through to this plugin's hook
const pub = { public: true };

export const tofuStateRoutes =
  (fh: Freehold): FastifyPluginAsync =>
  async (app) => {
    // State and lock info bodies are kept as bytes: the state is stored exactly as sent (its
    // MD5 checked against Content-MD5). Only in this plugin: other routes still parse JSON.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_STATE }, (_req, body, done) => done(null, body));

    app.addHook('onRequest', async (req, reply) => {
      const header = req.headers.authorization;
      if (!header) {
        return reply
          .code(401)
          .header('www-authenticate', REALM)
          .send({ error: 'authentication required: HTTP basic auth with any user name and the admin token as the password (terraform: username/password in the http backend, or TF_HTTP_USERNAME/TF_HTTP_PASSWORD), or "Authorization: Bearer <admin token>"' });
      }
      const token = tokenFrom(header);
      if (!token || !(await fh.settings.checkAdminToken(token))) {
        return reply.code(403).send({ error: 'wrong credentials: the password must be the admin token (file admin-token in the data directory)' });
      }
    });

    const states = fh.tofuStates;

    app.get('/tofu/states', { config: pub, schema: { summary: 'OpenTofu/Terraform states kept by Freehold: version, serial, who holds the lock', tags } }, async () => ({
      backend: states.store.kind,
      states: await states.list(),
    }));
    app.get('/tofu/states/:name', { config: pub, schema: { summary: 'One state: its lock and the versions kept (never its contents)', tags, params: Name } }, async (req) => ({
      state: await states.show((req.params as { name: string }).name),
    }));
    app.get(
      '/tofu/states/:name/versions/:version',
      { config: pub, schema: { summary: 'The contents of a kept version of a state (to look at what an earlier apply left)', tags, params: Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1 }) }) } },
      async (req, reply) => {
        const { name, version } = req.params as { name: string; version: number };
        const v = await states.getVersion(name, version);
        return reply.header('content-type', 'application/json').header('content-md5', v.md5).send(v.data);
      },
    );

    const describe = 'Terraform/OpenTofu HTTP state backend: point `backend "http"` here (docs/opentofu.md). Basic auth: any user name, the admin token as password.';
    app.get('/tofu/state/:name', { config: pub, schema: { summary: 'Current state (HTTP backend: 200, or 204 when none yet)', description: describe, tags, params: Name } }, async (req, reply) => {
      const s = await states.get((req.params as { name: string }).name);
      if (s === undefined) return reply.code(404).send({ error: `no OpenTofu state named ${(req.params as { name: string }).name}` });
      if (s === null) return reply.code(204).send();
      return reply.header('content-type', 'application/json').header('content-md5', s.md5).send(s.data);
    });

    const update = async (req: FastifyRequest, reply: FastifyReply) =>
      protocol(reply, async () => {
        const q = req.query as Record<string, unknown>;
        const r = await states.put((req.params as { name: string }).name, await rawBody(req), { lockId: one(q.ID), contentMd5: one(req.headers['content-md5']) });
        return reply.code(200).send(r);
      });
    const updateSchema = { summary: 'Store a new version of the state (HTTP backend; `?ID=<lock id>` while locked)', description: describe, tags, params: Name };
    app.post('/tofu/state/:name', { config: pub, bodyLimit: MAX_STATE, schema: updateSchema }, update);
    app.put('/tofu/state/:name', { config: pub, bodyLimit: MAX_STATE, schema: { ...updateSchema, summary: 'The same as POST (update_method = "PUT")' } }, update);

    app.delete('/tofu/state/:name', { config: pub, schema: { summary: 'Delete a state and every kept version (refused while someone else holds its lock unless ?force=true)', tags, params: Name } }, async (req, reply) =>
      protocol(reply, async () => {
        const q = req.query as Record<string, unknown>;
        await states.remove((req.params as { name: string }).name, { lockId: one(q.ID), force: truthy(q.force) });
        return reply.code(200).send({ deleted: (req.params as { name: string }).name });
      }),
    );

    const lock = async (req: FastifyRequest, reply: FastifyReply) =>
      protocol(reply, async () => reply.code(200).send(await states.lock((req.params as { name: string }).name, await rawBody(req))));
    const unlock = async (req: FastifyRequest, reply: FastifyReply) =>
      protocol(reply, async () => {
        const q = req.query as Record<string, unknown>;
        const released = await states.unlock((req.params as { name: string }).name, { body: await rawBody(req), id: one(q.ID), force: truthy(q.force), emptyIsForce: true });
        return reply.code(200).send({ unlocked: released !== null, lock: released });
      });
    // LOCK and UNLOCK are not OpenAPI methods: left out of the API description (see the summary of GET)
    app.route({ method: 'LOCK', url: '/tofu/state/:name', config: pub, schema: { hide: true }, handler: lock });
    app.route({ method: 'UNLOCK', url: '/tofu/state/:name', config: pub, schema: { hide: true }, handler: unlock });
    app.post('/tofu/state/:name/lock', { config: pub, schema: { summary: 'Lock a state (the body is the lock info); the same as the LOCK method (lock_method = "POST")', tags, params: Name } }, lock);
    app.delete(
      '/tofu/state/:name/lock',
      { config: pub, schema: { summary: 'Unlock a state (body: the lock info, or ?ID=); ?force=true releases any lock. The same as the UNLOCK method (unlock_method = "DELETE")', tags, params: Name } },
      unlock,
    );
  };
