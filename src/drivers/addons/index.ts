/**
 * Addon drivers provide what an app declares it needs (a database, a cache, a data directory).
 * Contract (after Cloudron's): provision may run many times and never loses data; deprovision
 * removes everything the installation had; both are safe to repeat after a crash. Each driver
 * also dumps and loads its own data (backup, restore), so a new addon brings its own.
 */
import type { Runtime } from '../runtime/index.js';
import type { AddonKind } from '../../manifest/schema.js';

/** What an addon gives an installation; templates reach these as {{ addons.<kind>.<field> }} */
export interface AddonOutputs {
  url?: string;
  host?: string;
  port?: number;
  database?: string;
  username?: string;
  password?: string;
  prefix?: string;
  path?: string;
}

export interface AddonContext {
  runtime: Runtime;
  /** Directory on the host where Freehold keeps data (volumes/, addons/, images/) */
  dataDir: string;
  log: (line: string) => void;
  /** Makes sure an image exists, building it from a context directory when needed */
  ensureImage: (tag: string, context: string) => Promise<void>;
}

export interface AddonTarget {
  /** Installation name: [a-z][a-z0-9-]* */
  installation: string;
  /** The installation's own network, which the addon must be reachable on */
  network: string;
}

export interface AddonDriver {
  readonly kind: AddonKind;
  /** Env vars injected when the manifest does not say otherwise: env name -> output field */
  readonly defaultEnv: Record<string, keyof AddonOutputs>;
  provision(ctx: AddonContext, target: AddonTarget, previous?: AddonOutputs): Promise<AddonOutputs>;
  /**
   * Which of these installations have their part (database + user, directory, ...). One call
   * for many: the reconcile loop asks about every installation of a host at once.
   */
  existing(ctx: AddonContext, installations: string[]): Promise<Set<string>>;
  deprovision(ctx: AddonContext, target: AddonTarget): Promise<void>;
  /**
   * Writes a dump of the installation's part into `dir` (an existing, empty host directory), in
   * files of the driver's own choosing. SQL dumps are one transaction; a key-by-key dump (redis)
   * may catch writes made meanwhile, which is why the backup service runs the pre-backup hook first.
   */
  backup(ctx: AddonContext, target: AddonTarget, dir: string): Promise<void>;
  /**
   * Replaces the installation's part with what backup wrote into `dir`. Provision has run (the
   * account exists with the current credentials); those credentials keep working on the restored
   * data, and nothing of the data that was there before is left. A missing or damaged dump fails
   * with an error naming the addon and the file, before anything is dropped.
   */
  restore(ctx: AddonContext, target: AddonTarget, dir: string): Promise<void>;
}

const registry = new Map<string, AddonDriver>();
export const registerAddon = (driver: AddonDriver) => registry.set(driver.kind, driver);
export function addonDriver(kind: string): AddonDriver {
  const d = registry.get(kind);
  if (!d) throw new Error(`addon "${kind}" is not provided by this Freehold yet (available: ${[...registry.keys()].join(', ')})`);
  return d;
}
export const addonKinds = () => [...registry.keys()];
