/** Checks that an installation left nothing behind on the host: containers, network, route, data. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PodmanRuntime } from '../../src/drivers/runtime/podman.js';
import { CaddyEdge } from '../../src/drivers/edge/caddy.js';
import type { TestFreehold } from './freehold.js';

export const podman = new PodmanRuntime();

export async function leftovers(fh: TestFreehold, name: string): Promise<string[]> {
  const found: string[] = [];
  const containers = await podman.list(`freehold.installation=${name}`);
  for (const c of containers) found.push(`container ${c.name}`);
  if (await podman.networkExists(`fh-${name}`)) found.push(`network fh-${name}`);
  const edge = new CaddyEdge({ dir: join(fh.dataDir, 'caddy') });
  if (await edge.getRoute(`fh-${name}`)) found.push(`route fh-${name}`);
  if (existsSync(join(fh.dataDir, 'volumes', name))) found.push(`volume ${name}`);
  if (existsSync(join(fh.dataDir, 'files', name))) found.push(`files of ${name}`);
  return found;
}

/** Polls an HTTPS URL through the edge until it answers with a status below 400 */
export async function waitServing(fh: TestFreehold, domain: string, path: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await fh.https(domain, path);
      if (r.status < 400) return r;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${domain}${path} not serving after ${timeoutMs} ms: ${last}`);
}
