/**
 * A manifest hook run once in the running component (e.g. postInstall: create the admin user).
 * Run with exec in the component's container, so it sees the same env, files and /data.
 */
import type { ResourceHandler } from '../resource.js';
import type { HostContext } from './context.js';

export interface HookSpec {
  hook: string;
  container: string;
  command: string[];
}

export const hookHandler: ResourceHandler<HostContext> = {
  // A hook that ran is done; there is nothing on the host to observe.
  async observe(_ctx, items) {
    return items.map((i) => ({ state: i.outputs?.ranAt ? 'present' : 'absent' }));
  },
  async apply({ ctx, spec, log }) {
    const s = spec as unknown as HookSpec;
    log(`running ${s.hook} hook in ${s.container}: ${s.command.join(' ')}`);
    const r = await ctx.runtime.exec(s.container, s.command);
    for (const line of (r.stdout + r.stderr).trim().split('\n').slice(-20)) if (line) log(`  ${line}`);
    if (r.code !== 0) throw new Error(`${s.hook} hook failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`);
    return { ranAt: new Date().toISOString() };
  },
  async delete() {},
};
