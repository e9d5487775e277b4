import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../lib/package-root.js';

/** Where Freehold keeps its state on this machine */
export function defaultDataDir(): string {
  if (process.env.FREEHOLD_DATA_DIR) return resolve(process.env.FREEHOLD_DATA_DIR);
  return process.getuid?.() === 0 ? '/var/lib/freehold' : join(homedir(), '.local', 'share', 'freehold');
}

export function defaultCatalogDirs(): string[] {
  const extra = (process.env.FREEHOLD_CATALOG ?? '').split(':').filter(Boolean);
  return [join(packageRoot(), 'catalog'), ...extra];
}
