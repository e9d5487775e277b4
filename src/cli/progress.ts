/** Follows a task live in the terminal: a progress bar with the current step (listr2), then the outcome. */
import { Listr } from 'listr2';
import type { Client } from './client.js';

export interface FollowResult {
  status: string;
  message: string;
  error: string | null;
}

const bar = (pct: number) => {
  const n = Math.round(pct / 5);
  return `[${'#'.repeat(n)}${'.'.repeat(20 - n)}] ${String(Math.round(pct)).padStart(3)}%`;
};

export async function followTask(client: Client, taskId: string, title: string, opts: { verbose?: boolean } = {}): Promise<FollowResult> {
  let result: FollowResult = { status: 'unknown', message: '', error: null };
  const interactive = process.stdout.isTTY && !opts.verbose;
  const list = new Listr(
    [
      {
        title,
        task: async (_ctx, t) => {
          for await (const e of client.events(taskId)) {
            if (e.event === 'log') {
              if (interactive) t.output = e.data.line;
              else console.log(`  ${e.data.line}`);
            } else {
              result = { status: e.data.status, message: e.data.message, error: e.data.error };
              t.title = `${title} ${bar(e.data.percent)} ${e.data.message}`;
            }
          }
          if (result.status !== 'succeeded') throw new Error(result.error ?? result.message);
          t.title = `${title}: ${result.message}`;
        },
      },
    ],
    { renderer: interactive ? 'default' : 'simple', exitOnError: false, rendererOptions: { collapseErrors: false } as never },
  );
  await list.run().catch(() => undefined);
  return result;
}
