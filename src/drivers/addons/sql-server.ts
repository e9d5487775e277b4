/**
 * One generic driver for a managed SQL server (PostgreSQL, MariaDB): one server container per
 * host, one database + user of the same name per installation. Each engine is data (an
 * SqlEngine); this file holds the behaviour they share, plus the managed-server helpers that
 * redis.ts uses too.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import type { AddonKind } from '../../manifest/schema.js';
import { localTag } from '../runtime/images.js';
import type { AddonContext, AddonDriver, AddonOutputs, AddonTarget } from './index.js';

/** A server container shared by every installation of the host */
export interface ManagedServer {
  kind: AddonKind;
  /** Image built from a context directory (Containerfile FROM the Debian base) */
  image: { name: string; version: string; context: string };
  container: string;
  /** Named volume holding all the server's data, mounted at /var/lib/freehold */
  volume: string;
  /** Name the server answers to on each installation's network */
  alias: string;
  port: number;
  /** Exec'd in the server; ready when it exits 0 (and prints `expect`, when given) */
  ready: { argv: string[]; expect?: RegExp };
}

export interface SqlEngine extends ManagedServer {
  /** URL scheme of the outputs' url */
  scheme: string;
  /** Exec'd in the server (as `user`) to run an admin SQL script given on stdin; prints rows without headers */
  admin: { argv: string[]; user?: string };
  /** Admin SQL, given names and passwords already checked against NAME and PASSWORD */
  sql: {
    /** Creates the database and user, or brings them back in line; sets the password */
    upsert(name: string, password: string): string;
    /** Prints, one a line, the fh_ names whose database and user both exist */
    listExisting(): string;
    /** Drops the database and the user; no error when absent */
    drop(name: string): string;
    /** Drops the database and creates it empty again, the user keeping its rights on it */
    reset(name: string): string;
  };
  /** Backup: argv exec'd in the server (as admin.user) whose stdout is the dump, kept as `file` */
  dump: { file: string; argv(name: string): string[] };
  /**
   * Restore, both exec'd in the server (as admin.user) with the dump on stdin: `verify` reads it
   * all and fails unless it is whole, `argv` loads it into the (reset) database.
   */
  load: {
    verify: string[];
    argv(name: string): string[];
    /**
     * Rewrites a line of the dump for the installation it is loaded into (a clone loads another
     * installation's dump), e.g. the DEFINER of triggers and routines; streamed, line by line.
     */
    rewrite?(name: string): (line: string) => string;
  };
}

/** A copy of a dump with each line rewritten (beside it, mode 600), never held in memory whole */
async function rewritten(file: string, rewrite: (line: string) => string): Promise<string> {
  const out = `${file}.load`;
  // latin1 maps each byte to one character and back: bytes that are not UTF-8 survive as they are.
  const lines = createInterface({ input: createReadStream(file, { encoding: 'latin1' }), crlfDelay: Infinity });
  const sink = createWriteStream(out, { mode: 0o600 });
  await pipeline(
    (async function* () {
      for await (const line of lines) yield Buffer.from(`${rewrite(line)}\n`, 'latin1');
    })(),
    sink,
  );
  return out;
}

export const SERVER_LABEL = 'freehold.addon-server';
const DATA_PATH = '/var/lib/freehold';
const READY_TIMEOUT_MS = 120_000;

/** Database/user names: spliced into SQL, so nothing but these characters, ever */
const NAME = /^fh_[a-z][a-z0-9_]{0,59}$/;
/** Passwords we generate: 24 random bytes in base64url (safe in SQL literals and URLs) */
const PASSWORD = /^[A-Za-z0-9_-]{32}$/;
const INSTALLATION = /^[a-z][a-z0-9-]{0,59}$/;

export function checkInstallation(name: string) {
  if (!INSTALLATION.test(name)) throw new Error(`invalid installation name "${name}" (expected [a-z][a-z0-9-]*, at most 60 characters)`);
  return name;
}

/** fh_<installation> with "-" as "_": the database, user (or ACL user) name */
export function accountName(installation: string) {
  const name = `fh_${checkInstallation(installation).replace(/-/g, '_')}`;
  if (!NAME.test(name)) throw new Error(`invalid account name "${name}"`);
  return name;
}

/** The previous password when there is one (provision must not change credentials), else a new one */
export function keepOrNewPassword(previous?: AddonOutputs) {
  if (previous?.password === undefined) return randomBytes(24).toString('base64url');
  if (!PASSWORD.test(previous.password)) throw new Error('the recorded addon password is not one Freehold generated; refusing to use it');
  return previous.password;
}

export const serverImageTag = (s: ManagedServer) => localTag(s.image.name, s.image.version, s.image.context);

/**
 * Makes sure the server container exists and runs, and (when given) is on the installation's
 * network under its alias. Tolerates a concurrent creator (another process, another test).
 * Returns false, creating nothing, when `onlyIfPresent` and neither container nor volume exist.
 */
export async function ensureServer(ctx: AddonContext, s: ManagedServer, opts: { network?: string; onlyIfPresent?: boolean } = {}) {
  const { runtime } = ctx;
  let info = await runtime.inspect(s.container);
  if (!info && opts.onlyIfPresent && !(await runtime.volumeExists(s.volume))) return false;
  if (!info) {
    const tag = serverImageTag(s);
    await ctx.ensureImage(tag, s.image.context);
    // Started on a network of its own, never on an installation's (which goes away with that
    // installation) nor on the default one; installation networks are connected one by one.
    await runtime.ensureNetwork(s.container, { [SERVER_LABEL]: s.kind });
    ctx.log(`starting the shared ${s.kind} server (${s.container})`);
    try {
      await runtime.run({
        name: s.container,
        image: tag,
        network: s.container,
        labels: { [SERVER_LABEL]: s.kind },
        mounts: [{ source: s.volume, target: DATA_PATH }],
      });
    } catch (err) {
      // Someone else created it meanwhile: use theirs.
      if (!(await runtime.inspect(s.container))) throw err;
    }
    info = await runtime.inspect(s.container);
    if (!info) throw new Error(`the ${s.kind} server ${s.container} vanished right after it was created`);
  } else if (info.image !== serverImageTag(s)) {
    // Replacing a database server is an upgrade with a plan of its own, never a side effect.
    ctx.log(`the ${s.kind} server ${s.container} runs ${info.image}, not ${serverImageTag(s)}; keeping it`);
  }
  if (info.state !== 'running') {
    ctx.log(`starting the stopped ${s.kind} server (${s.container})`);
    await runtime.start(s.container).catch(async (err) => {
      if ((await runtime.inspect(s.container))?.state !== 'running') throw err;
    });
  }
  await waitReady(ctx, s);
  if (opts.network) await runtime.connect(opts.network, s.container, [s.alias]);
  return true;
}

async function waitReady(ctx: AddonContext, s: ManagedServer) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  for (;;) {
    const r = await ctx.runtime.exec(s.container, s.ready.argv);
    if (r.code === 0 && (!s.ready.expect || s.ready.expect.test(r.stdout))) return;
    last = (r.stderr || r.stdout).trim();
    if (Date.now() > deadline) {
      const logs = (await ctx.runtime.logs(s.container, { tail: 20 })).trim();
      throw new Error(`the ${s.kind} server ${s.container} was not ready after ${READY_TIMEOUT_MS / 1000}s (${s.ready.argv.join(' ')}: ${last || 'no output'})\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Runs an admin SQL script in the server. The script goes through stdin, not argv, so passwords
 * never show on a command line (podman's on the host, or the client's in the container).
 */
async function admin(ctx: AddonContext, e: SqlEngine, script: string) {
  const r = await ctx.runtime.exec(e.container, e.admin.argv, { stdin: script, user: e.admin.user });
  if (r.code !== 0) throw new Error(`${e.kind} admin command failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

export function sqlServerDriver(e: SqlEngine, defaultEnv: AddonDriver['defaultEnv']): AddonDriver {
  return {
    kind: e.kind,
    defaultEnv,

    async provision(ctx: AddonContext, target: AddonTarget, previous?: AddonOutputs) {
      const name = accountName(target.installation);
      const password = keepOrNewPassword(previous);
      await ensureServer(ctx, e, { network: target.network });
      await admin(ctx, e, e.sql.upsert(name, password));
      return {
        url: `${e.scheme}://${name}:${password}@${e.alias}:${e.port}/${name}`,
        host: e.alias,
        port: e.port,
        database: name,
        username: name,
        password,
      };
    },

    async existing(ctx: AddonContext, installations: string[]) {
      if (!installations.length || !(await ensureServer(ctx, e, { onlyIfPresent: true }))) return new Set<string>();
      const present = new Set((await admin(ctx, e, e.sql.listExisting())).split('\n').map((l) => l.trim()));
      return new Set(installations.filter((i) => present.has(accountName(i))));
    },

    async deprovision(ctx: AddonContext, target: AddonTarget) {
      const name = accountName(target.installation);
      // Nothing to drop when the server never existed; its volume alone still holds databases.
      if (!(await ensureServer(ctx, e, { onlyIfPresent: true }))) return;
      await admin(ctx, e, e.sql.drop(name));
      // The server stays up for the other installations; this one no longer reaches it.
      await ctx.runtime.disconnect(target.network, e.container);
    },

    async backup(ctx: AddonContext, target: AddonTarget, dir: string) {
      const name = accountName(target.installation);
      const file = join(dir, e.dump.file);
      await ensureServer(ctx, e);
      await ctx.runtime.execToFile(e.container, e.dump.argv(name), file, { user: e.admin.user }).catch((err: Error) => {
        throw new Error(`${e.kind} backup of ${target.installation} into ${file} failed: ${err.message}`);
      });
    },

    async restore(ctx: AddonContext, target: AddonTarget, dir: string) {
      const name = accountName(target.installation);
      const file = join(dir, e.dump.file);
      const failed = (why: string) => new Error(`${e.kind} restore of ${target.installation} from ${file} failed: ${why}`);
      if (!(await stat(file).then((s) => s.isFile(), () => false))) throw failed('the dump file is missing');
      const load = (argv: string[]) => ctx.runtime.execFromFile(e.container, argv, file, { user: e.admin.user });
      await ensureServer(ctx, e);
      // Read once in full before dropping anything: a cut or foreign file leaves the data as it was.
      await load(e.load.verify).catch((err: Error) => {
        throw failed(`not a whole ${e.kind} dump (${err.message})`);
      });
      // A new empty database rather than dropping the dump's objects (pg_restore --clean): tables
      // the app created after the backup would survive that.
      await admin(ctx, e, e.sql.reset(name));
      const rewrite = e.load.rewrite?.(name);
      const loaded = rewrite ? await rewritten(file, rewrite) : file;
      try {
        await ctx.runtime.execFromFile(e.container, e.load.argv(name), loaded, { user: e.admin.user }).catch((err: Error) => {
          throw failed(err.message);
        });
      } finally {
        if (loaded !== file) await rm(loaded, { force: true });
      }
    },
  };
}
