/**
 * Redis addon: one shared Redis 7 server per host; per installation an ACL user fh_<name> that
 * may only touch keys "<name>:*" and channels "<name>:*", and no admin or dangerous commands.
 *
 * Admin access: the default user has a random password, made by the image's entrypoint on first
 * start and kept in the server's volume (admin.pass, mode 600). Admin commands are exec'd through
 * freehold-redis-admin, which reads that file inside the container: so apps never get a
 * passwordless user, the admin password never crosses a command line, and Freehold stores
 * nothing for it.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { registerAddon, type AddonContext, type AddonDriver, type AddonTarget, type AddonOutputs } from './index.js';
import { accountName, ensureServer, keepOrNewPassword, type ManagedServer } from './sql-server.js';

export const redisServer: ManagedServer = {
  kind: 'redis',
  image: { name: 'redis', version: '7', context: fileURLToPath(new URL('./images/redis/', import.meta.url)) },
  container: 'freehold-redis',
  volume: 'freehold-redis-data',
  alias: 'redis',
  port: 6379,
  ready: { argv: ['freehold-redis-admin', 'PING'], expect: /^PONG$/m },
};

/** Deletes one batch of an installation's keys; returns the SCAN cursor ("0" when done) */
const UNLINK_BATCH = `
local r = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', 1000)
for _, k in ipairs(r[2]) do redis.call('UNLINK', k) end
return r[1]`;

/**
 * One batch of an installation's keys for a backup: the SCAN cursor, then a line per key,
 * "<hex of the name after the prefix> <ms to live, 0 for none> <hex of DUMP>". Hex because
 * redis-cli's output reaches us as text; the lookup table keeps the encoding in C (gsub).
 * A batch ends after about ARGV[3] characters: few execs for many small keys, yet the shared
 * server is never blocked long (hex costs ~30 ms per MiB of it) nor is a big batch held in memory.
 */
const DUMP_BATCH = `
local hex = {}
for i = 0, 255 do hex[string.char(i)] = string.format('%02x', i) end
local cursor, out, size = ARGV[1], {''}, 0
repeat
  local r = redis.call('SCAN', cursor, 'MATCH', ARGV[2] .. '*', 'COUNT', 100)
  cursor = r[1]
  for _, k in ipairs(r[2]) do
    local v = redis.call('DUMP', k)
    if v then
      local ttl = math.max(redis.call('PTTL', k), 0)
      out[#out + 1] = (k:sub(#ARGV[2] + 1):gsub('.', hex)) .. ' ' .. ttl .. ' ' .. (v:gsub('.', hex))
      size = size + #out[#out]
    end
  end
until cursor == '0' or size > tonumber(ARGV[3])
out[1] = cursor
return out`;
const DUMP_BATCH_CHARS = 2 << 20;

/**
 * The backup file: a header line, the DUMP_BATCH lines, and an end line with their count (a cut
 * file has none). Names are kept without the prefix, so a clone restores under its own.
 */
const DUMP_FILE = 'redis.keys';
const HEADER = 'freehold-redis-keys 1';
const HEX = /^(?:[0-9a-f]{2})*$/;

async function redisAdmin(ctx: AddonContext, args: string[]) {
  // freehold-redis-admin runs redis-cli -e: error replies give a non-zero exit.
  const r = await ctx.runtime.exec(redisServer.container, ['freehold-redis-admin', ...args]);
  if (r.code !== 0) throw new Error(`redis ${args[0]} ${args[1] ?? ''} failed: ${(r.stdout + r.stderr).trim()}`);
  return r.stdout.trim();
}

const prefixOf = (installation: string) => `${installation}:`;

/** Batches of SCAN+UNLINK in a script: binary-safe key names, and the server is never blocked long */
async function deleteKeys(ctx: AddonContext, prefix: string) {
  let cursor = '0';
  do cursor = await redisAdmin(ctx, ['EVAL', UNLINK_BATCH, '0', cursor, `${prefix}*`]);
  while (cursor !== '0');
}

/** One command in the Redis protocol (RESP), binary-safe */
const resp = (args: (string | Buffer)[]) =>
  Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.flatMap((a) => [Buffer.from(`$${Buffer.byteLength(a)}\r\n`), Buffer.from(a), Buffer.from('\r\n')])]);

/**
 * Checks a backup file whole and turns it into RESTORE commands for `redis-cli --pipe`; returns
 * how many keys. Every name gets `prefix` in front, so whatever the file says, keys land only in
 * this installation's space. Throws, having touched nothing, on any damage.
 */
async function restoreCommands(file: string, prefix: string, out: string) {
  let keys = 0;
  let ended = false;
  let n = 0;
  await pipeline(async function* () {
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      n++;
      if (n === 1 && line !== HEADER) throw new Error('not a Freehold redis dump (no header line)');
      if (n === 1) continue;
      if (ended) throw new Error(`line ${n} follows the end line`);
      const [name, ttl, value, extra] = line.split(' ');
      if (name === 'end') {
        if (ttl !== String(keys) || value !== undefined) throw new Error(`the end line says "${line}" after ${keys} keys`);
        ended = true;
        continue;
      }
      if (extra !== undefined || !HEX.test(name) || !/^\d{1,15}$/.test(ttl ?? '') || !value || !HEX.test(value)) throw new Error(`line ${n} is not a key record`);
      keys++;
      yield resp(['RESTORE', Buffer.concat([Buffer.from(prefix), Buffer.from(name, 'hex')]), ttl, Buffer.from(value, 'hex'), 'REPLACE']);
    }
    if (!ended) throw new Error(`the dump is cut short (no end line after ${keys} keys)`);
  }, createWriteStream(out, { mode: 0o600 }));
  return keys;
}

const driver: AddonDriver = {
  kind: 'redis',
  defaultEnv: { REDIS_URL: 'url', REDIS_PREFIX: 'prefix' },

  async provision(ctx: AddonContext, target: AddonTarget, previous?: AddonOutputs) {
    const user = accountName(target.installation);
    const prefix = prefixOf(target.installation);
    const password = keepOrNewPassword(previous);
    await ensureServer(ctx, redisServer, { network: target.network });
    // Every rule is reset and set again, so a re-run brings a changed user back in line. Only the
    // password's hash is sent. +info after -@dangerous: client libraries (ioredis' ready check,
    // Sidekiq, Celery) call INFO, which shows server statistics, not data. SCAN still lists other
    // installations' key names (Redis ACLs do not filter it), never their values.
    await redisAdmin(ctx, [
      'ACL', 'SETUSER', user, 'on', 'resetpass', `#${createHash('sha256').update(password).digest('hex')}`,
      'clearselectors', 'resetkeys', `~${prefix}*`, 'resetchannels', `&${prefix}*`,
      '+@all', '-@admin', '-@dangerous', '+info',
    ]);
    await redisAdmin(ctx, ['ACL', 'SAVE']);
    return {
      url: `redis://${user}:${password}@${redisServer.alias}:${redisServer.port}`,
      host: redisServer.alias,
      port: redisServer.port,
      username: user,
      password,
      prefix,
    };
  },

  async existing(ctx: AddonContext, installations: string[]) {
    if (!installations.length || !(await ensureServer(ctx, redisServer, { onlyIfPresent: true }))) return new Set<string>();
    const users = new Set((await redisAdmin(ctx, ['ACL', 'USERS'])).split('\n'));
    return new Set(installations.filter((i) => users.has(accountName(i))));
  },

  async deprovision(ctx: AddonContext, target: AddonTarget) {
    const user = accountName(target.installation);
    if (!(await ensureServer(ctx, redisServer, { onlyIfPresent: true }))) return;
    // DELUSER also closes the user's connections, so no key is written after the sweep below.
    await redisAdmin(ctx, ['ACL', 'DELUSER', user]);
    await redisAdmin(ctx, ['ACL', 'SAVE']);
    await deleteKeys(ctx, prefixOf(target.installation));
    await ctx.runtime.disconnect(target.network, redisServer.container);
  },

  // Only this installation's keys (the server's RDB holds every installation's), key by key.
  async backup(ctx: AddonContext, target: AddonTarget, dir: string) {
    const prefix = prefixOf(target.installation);
    const file = join(dir, DUMP_FILE);
    await ensureServer(ctx, redisServer);
    await pipeline(async function* () {
      yield `${HEADER}\n`;
      let keys = 0;
      let cursor = '0';
      do {
        const [next, ...records] = (await redisAdmin(ctx, ['EVAL', DUMP_BATCH, '0', cursor, prefix, String(DUMP_BATCH_CHARS)])).split('\n');
        for (const r of records) yield `${r}\n`;
        keys += records.length;
        cursor = next;
      } while (cursor !== '0');
      yield `end ${keys}\n`;
    }, createWriteStream(file, { mode: 0o600 })).catch((err: Error) => {
      // What was written has no end line: restore refuses it.
      throw new Error(`redis backup of ${target.installation} into ${file} failed: ${err.message}`);
    });
  },

  async restore(ctx: AddonContext, target: AddonTarget, dir: string) {
    const prefix = prefixOf(target.installation);
    const file = join(dir, DUMP_FILE);
    const failed = (why: string) => new Error(`redis restore of ${target.installation} from ${file} failed: ${why}`);
    if (!(await stat(file).then((s) => s.isFile(), () => false))) throw failed('the dump file is missing');
    // Beside Freehold's data rather than in /tmp, which may be memory.
    await mkdir(join(ctx.dataDir, 'tmp'), { recursive: true });
    const tmp = await mkdtemp(join(ctx.dataDir, 'tmp', 'redis-restore-'));
    try {
      const commands = join(tmp, 'restore.resp');
      const keys = await restoreCommands(file, prefix, commands).catch((err: Error) => {
        throw failed(err.message);
      });
      await ensureServer(ctx, redisServer);
      await deleteKeys(ctx, prefix);
      // --pipe exits non-zero when any command was refused.
      if (keys) {
        await ctx.runtime.execFromFile(redisServer.container, ['freehold-redis-admin', '--pipe'], commands).catch((err: Error) => {
          throw failed(err.message);
        });
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  },
};

registerAddon(driver);
