import { homedir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

/** Where Freehold keeps its state on this machine */
export function defaultDataDir(): string {
  if (process.env.FREEHOLD_DATA_DIR) return resolve(process.env.FREEHOLD_DATA_DIR);
  return process.getuid?.() === 0 ? '/var/lib/freehold' : join(homedir(), '.local', 'share', 'freehold');
}

/** The repository (or package) root, found from this file whether run from src/ or dist/ */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('cannot find the Freehold package root');
    d = up;
  }
  return d;
}

export function defaultCatalogDirs(): string[] {
  const extra = (process.env.FREEHOLD_CATALOG ?? '').split(':').filter(Boolean);
  return [join(packageRoot(), 'catalog'), ...extra];
}
