/**
 * The catalog: app manifests in a directory, validated on load. Each app has its current
 * manifest (catalog/<id>/manifest.yaml) and may keep other versions beside it
 * (catalog/<id>/versions/<any>/manifest.yaml): older ones, so that an installation or a
 * snapshot of one can run it again, and newer ones offered as updates.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compareVersions } from '../manifest/versions.js';
import { loadManifestFile, ManifestError } from '../manifest/parse.js';
import type { Manifest } from '../manifest/schema.js';
import { localTag } from '../drivers/runtime/images.js';
import { NotFoundError } from './errors.js';

/** What each component runs: a local build tag (with its context) or the upstream image */
export type AppImages = Record<string, { ref: string; context?: string }>;

export interface CatalogApp {
  manifest: Manifest;
  dir: string;
  images: AppImages;
}

export class Catalog {
  /** Every version of each app, newest first */
  private apps = new Map<string, CatalogApp[]>();
  /** Manifests that failed to load, so "doctor" and the API can show them */
  readonly problems: { file: string; error: string }[] = [];

  constructor(readonly dirs: string[]) {
    for (const d of dirs) this.loadDir(d);
  }

  private loadDir(dir: string) {
    if (!existsSync(dir)) return;
    for (const id of readdirSync(dir).sort()) {
      const versions = join(dir, id, 'versions');
      const dirs = [join(dir, id), ...(existsSync(versions) ? readdirSync(versions).sort().map((v) => join(versions, v)) : [])];
      for (const appDir of dirs) {
        const file = join(appDir, 'manifest.yaml');
        if (!existsSync(file)) continue;
        try {
          this.add(loadManifestFile(file), appDir);
        } catch (err) {
          this.problems.push({ file, error: err instanceof ManifestError ? err.message : String(err) });
        }
      }
    }
  }

  add(manifest: Manifest, dir: string) {
    const images: AppImages = {};
    for (const [name, c] of Object.entries(manifest.components)) {
      if (c.build) {
        const context = resolve(dir, c.build);
        images[name] = { ref: localTag(`${manifest.id}-${name}`, `${manifest.version}-${manifest.packageVersion}`, context), context };
      } else images[name] = { ref: c.image };
    }
    const same = (a: CatalogApp) => a.manifest.version === manifest.version && a.manifest.packageVersion === manifest.packageVersion;
    const list = (this.apps.get(manifest.id) ?? []).filter((a) => !same(a));
    list.push({ manifest, dir, images });
    this.apps.set(manifest.id, list.sort((a, b) => compareVersions(b.manifest, a.manifest)));
  }

  /** Each app at its newest version */
  list(): CatalogApp[] {
    return [...this.apps.values()].map((v) => v[0]);
  }

  /** An app at its newest version */
  get(id: string): CatalogApp {
    return this.versions(id)[0];
  }

  /** Every version of an app, newest first */
  versions(id: string): CatalogApp[] {
    const list = this.apps.get(id);
    if (!list) throw new NotFoundError(`no app "${id}" in the catalog (available: ${[...this.apps.keys()].join(', ') || 'none'}); see "freehold catalog list"`);
    return list;
  }

  /** One version of an app (package revision too when given), or undefined */
  find(id: string, version: string, packageVersion?: number): CatalogApp | undefined {
    return this.apps.get(id)?.find((a) => a.manifest.version === version && (packageVersion === undefined || a.manifest.packageVersion === packageVersion));
  }

  has(id: string) {
    return this.apps.has(id);
  }
}
