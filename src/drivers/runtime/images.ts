/** Images built from local contexts, tagged by a hash of the context so a change rebuilds them. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Runtime } from './index.js';
import { ensureBaseImage } from './base-image.js';

/** sha256 over the relative paths, modes and contents of every file in a directory */
export function contextHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else {
        h.update(`${relative(dir, p)}\0${st.mode & 0o777}\0`);
        h.update(readFileSync(p));
      }
    }
  };
  walk(dir);
  return h.digest('hex').slice(0, 12);
}

/** localhost/freehold/<name>:<version>-<hash of the context> */
export const localTag = (name: string, version: string, context: string) =>
  `localhost/freehold/${name}:${version}-${contextHash(context)}`;

const inflight = new Map<string, Promise<void>>();

/** Builds the image from its context unless it exists; concurrent calls for a tag share one build. */
export function ensureImage(runtime: Runtime, tag: string, context: string, log: (line: string) => void = () => {}): Promise<void> {
  let p = inflight.get(tag);
  if (!p) {
    p = (async () => {
      if (await runtime.imageExists(tag)) return;
      await ensureBaseImage(runtime, log);
      log(`building image ${tag}`);
      await runtime.buildImage(context, tag, log);
    })().finally(() => inflight.delete(tag));
    inflight.set(tag, p);
  }
  return p;
}
