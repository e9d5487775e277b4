/** Volume addon: a data directory of the installation's own on the host, mounted at /data. */
import { mkdir, rm, chmod, readdir } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { registerAddon, type AddonContext, type AddonDriver, type AddonTarget } from './index.js';
import { checkInstallation } from './sql-server.js';

/** <dataDir>/volumes/<installation>, refusing any name that would lead elsewhere */
export function volumePath(ctx: AddonContext, installation: string) {
  const root = resolve(ctx.dataDir, 'volumes');
  const dir = resolve(root, checkInstallation(installation));
  if (!dir.startsWith(root + sep)) throw new Error(`refusing volume path ${dir}: not under ${root}`);
  return dir;
}

const driver: AddonDriver = {
  kind: 'volume',
  defaultEnv: {},

  async provision(ctx: AddonContext, target: AddonTarget) {
    const path = volumePath(ctx, target.installation);
    await mkdir(path, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing directory's mode alone, and the umask may have narrowed a new one.
    await chmod(path, 0o700);
    return { path };
  },

  async existing(ctx: AddonContext, installations: string[]) {
    const dirs = await readdir(join(ctx.dataDir, 'volumes'), { withFileTypes: true }).catch(() => [] as import('node:fs').Dirent[]);
    const present = new Set(dirs.filter((d) => d.isDirectory()).map((d) => d.name));
    return new Set(installations.filter((i) => present.has(checkInstallation(i))));
  },

  async deprovision(ctx: AddonContext, target: AddonTarget) {
    await rm(volumePath(ctx, target.installation), { recursive: true, force: true });
  },

  // Nothing to dump or load: the backup service snapshots and restores the volume directory
  // itself, so its files are not copied twice (a dump of 1 GiB here would be a second 1 GiB).
  async backup() {},
  async restore() {},
};

registerAddon(driver);
