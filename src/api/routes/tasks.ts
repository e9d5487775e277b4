import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Freehold } from '../../services/freehold.js';
import { NotFoundError } from '../../services/errors.js';
import { FINISHED, type TaskEvent } from '../../engine/tasks.js';

const Id = Type.Object({ id: Type.String() });

export const taskRoutes =
  (fh: Freehold): FastifyPluginAsync =>
  async (app) => {
    app.get(
      '/tasks',
      { schema: { summary: 'Recent tasks', tags: ['tasks'], querystring: Type.Object({ installation: Type.Optional(Type.String()) }) } },
      async (req) => {
        const q = req.query as { installation?: string };
        const installationId = q.installation ? (await fh.installations.get(q.installation)).id : undefined;
        return { tasks: await fh.tasks.list({ installationId }) };
      },
    );

    app.get('/tasks/:id', { schema: { summary: 'A task with its log and journal', tags: ['tasks'], params: Id } }, async (req) => {
      const { id } = req.params as { id: string };
      const task = await fh.tasks.get(id);
      if (!task) throw new NotFoundError(`no task ${id}`);
      return { task, log: await fh.tasks.logOf(id), journal: await fh.records.journalOf(id) };
    });

    app.get('/tasks/:id/events', { schema: { summary: 'Live progress and log of a task (server-sent events)', tags: ['tasks'], params: Id } }, async (req, reply) => {
      const { id } = req.params as { id: string };
      const task = await fh.tasks.get(id);
      if (!task) throw new NotFoundError(`no task ${id}`);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const send = (e: TaskEvent) => res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.type === 'update' ? e.task : { at: e.at, line: e.line })}\n\n`);
      // Live events first (buffered), then the backlog, so nothing falls between the two.
      const buffered: TaskEvent[] = [];
      let live = false;
      const off = fh.tasks.subscribe(id, (e) => {
        if (!live) return void buffered.push(e);
        send(e);
        if (e.type === 'update' && FINISHED.includes(e.task.status)) finish();
      });
      const finish = () => {
        off();
        res.end();
      };
      req.raw.on('close', off);
      for (const l of await fh.tasks.logOf(id)) send({ type: 'log', taskId: id, at: l.at, line: l.line });
      const current = (await fh.tasks.get(id))!;
      send({ type: 'update', task: current });
      live = true;
      for (const e of buffered) if (e.type === 'update') send(e);
      if (FINISHED.includes(current.status)) finish();
    });
  };
