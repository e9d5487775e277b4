/** The image a component runs: present already, or built from the app's context directory. */
import { ensureImage } from '../../drivers/runtime/images.js';
import type { ResourceHandler } from '../resource.js';
import type { HostContext } from './context.js';

export interface ImageSpec {
  /** Reference to run: the local build tag when there is a build context, else the upstream image */
  ref: string;
  context?: string;
}

export const imageHandler: ResourceHandler<HostContext> = {
  async observe(ctx, items) {
    // Installations of one app share its images: ask the runtime once per distinct reference.
    const known = new Map<string, Promise<boolean>>();
    const exists = (ref: string) => {
      let p = known.get(ref);
      if (!p) known.set(ref, (p = ctx.runtime.imageExists(ref)));
      return p;
    };
    return Promise.all(items.map(async (i) => ({ state: (await exists((i.spec as unknown as ImageSpec).ref)) ? 'present' : 'absent' }) as const));
  },
  async apply({ ctx, spec, log }) {
    const s = spec as unknown as ImageSpec;
    if (s.context) await ensureImage(ctx.runtime, s.ref, s.context, log);
    else if (!(await ctx.runtime.imageExists(s.ref))) {
      log(`pulling ${s.ref}`);
      await ctx.runtime.pullImage(s.ref, log);
    }
    return { ref: s.ref };
  },
  // Images are shared between installations of an app and cached; they are not removed here.
  async delete() {},
};
