/**
 * The life of a catalog app, the same for every app: install, its own page over HTTPS, data
 * written through the app, which survives a restart of the app and of Freehold, and an uninstall
 * that leaves nothing behind. Each app test gives only what is specific to it.
 */
import assert from 'node:assert/strict';
import type { TestFreehold } from './freehold.js';
import { uniqueName } from './freehold.js';
import { leftovers, podman, waitServing } from './leftovers.js';

export interface AppCase {
  app: string;
  set?: string[];
  /** Path that answers < 400 once the app serves again after a restart */
  readyPath: string;
  /** Checks the app's own page */
  ownPage(ctx: AppContext): Promise<void>;
  /** Writes data through the app; returns what readBack must find */
  write(ctx: AppContext): Promise<void>;
  readBack(ctx: AppContext): Promise<void>;
  /** Addon-side checks that the installation's database or keys exist / are gone */
  addonState?(ctx: AppContext): Promise<string[]>;
}

export interface AppContext {
  fh: TestFreehold;
  name: string;
  domain: string;
  url: string;
  secrets: Record<string, string>;
}

export async function appLifecycle(fh: TestFreehold, c: AppCase) {
  const name = uniqueName(c.app.slice(0, 3));
  const domain = `${name}.localhost`;
  const { task, installation } = await fh.install(c.app, name, c.set ?? []);
  assert.equal(task.status, 'succeeded', task.error ?? '');
  assert.equal(installation.url, `https://${domain}:${fh.httpsPort}`);
  const { secrets } = await fh.request('GET', `/api/installations/${name}/credentials`);
  const ctx: AppContext = { fh, name, domain, url: installation.url, secrets };

  await c.ownPage(ctx);
  await c.write(ctx);
  await c.readBack(ctx);
  if (c.addonState) assert.ok((await c.addonState(ctx)).length > 0, 'the addon holds the installation\'s data');

  // A restart of the app's container.
  await podman.stop(`fh-${name}-web`, 10);
  await podman.start(`fh-${name}-web`);
  await waitServing(fh, domain, c.readyPath, 180_000);
  await c.readBack(ctx);

  // A restart of the control plane: the app keeps its data and stays recorded as running.
  await fh.restart();
  await c.readBack(ctx);
  assert.equal((await fh.request('GET', `/api/installations/${name}`)).installation.status, 'running');

  const un = await fh.uninstall(name);
  assert.equal(un.status, 'succeeded', un.error ?? '');
  assert.deepEqual(await leftovers(fh, name), []);
  if (c.addonState) assert.deepEqual(await c.addonState(ctx), [], 'the addon kept nothing of it');
  await assert.rejects(fh.request('GET', `/api/installations/${name}`), /no installation/);
}

export const pgRows = async (sql: string) =>
  (await podman.exec('freehold-postgres', ['psql', '-X', '-tA', '-d', 'postgres', '-c', sql], { user: 'postgres' })).stdout.split('\n').filter(Boolean);
export const mariadbRows = async (sql: string) =>
  (await podman.exec('freehold-mariadb', ['mariadb', '-N', '-B', '-e', sql])).stdout.split('\n').filter(Boolean);
