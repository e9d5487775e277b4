/**
 * The base image app and addon images are built on: Debian bookworm made with debootstrap and
 * imported, because no image registry may be reachable from the host.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../lib/spawn.js';
import type { Runtime } from './index.js';

export const BASE_IMAGE = 'localhost/freehold/debian:bookworm';
const MIRROR = process.env.FREEHOLD_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

let building: Promise<void> | undefined;

export async function ensureBaseImage(runtime: Runtime, log: (line: string) => void = () => {}) {
  if (await runtime.imageExists(BASE_IMAGE)) return;
  building ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'freehold-base-'));
    try {
      log(`building ${BASE_IMAGE} with debootstrap (about a minute, once)`);
      const root = join(dir, 'root');
      await run(['debootstrap', '--variant=minbase', 'bookworm', root, MIRROR], { onLine: (l) => /^I: (Retrieving|Installing|Base)/.test(l) && log(l) });
      const tar = join(dir, 'root.tar');
      await run(['tar', '-C', root, '-cf', tar, '.']);
      await runtime.importImage(tar, BASE_IMAGE);
    } finally {
      await rm(dir, { recursive: true, force: true });
      building = undefined;
    }
  })();
  return building;
}
