/**
 * Addon contract against the real servers (PostgreSQL, MariaDB, Redis in Podman), and the volume
 * addon on a temp directory: provision/deprovision, then backup/restore. Each run uses fresh
 * installation names and networks of its own; the shared server containers (and their volumes)
 * stay, as they would on a host, and are created on first use, also by a concurrent test file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, stat, writeFile, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/drivers/addons/all.js';
import { addonDriver, type AddonContext, type AddonDriver, type AddonOutputs, type AddonTarget } from '../src/drivers/addons/index.js';
import { serverImageTag, type ManagedServer } from '../src/drivers/addons/sql-server.js';
import { postgresEngine } from '../src/drivers/addons/postgres.js';
import { mariadbEngine } from '../src/drivers/addons/mariadb.js';
import { redisServer } from '../src/drivers/addons/redis.js';
import { PodmanRuntime } from '../src/drivers/runtime/podman.js';
import { ensureImage } from '../src/drivers/runtime/images.js';
import { run } from '../src/lib/spawn.js';

const runtime = new PodmanRuntime();
const context = (dataDir: string): AddonContext => ({
  runtime,
  dataDir,
  log: () => {},
  ensureImage: (tag, dir) => ensureImage(runtime, tag, dir),
});
const unique = () => randomBytes(4).toString('hex');

interface Case {
  kind: string;
  server: ManagedServer;
  /** Client argv (run in the server's image on the installation network) storing the row `value` */
  write(o: AddonOutputs, value: string): string[];
  /** Client argv printing the rows write stored, one a line */
  read(o: AddonOutputs): string[];
  /** Client argv deleting the row `value` */
  remove(o: AddonOutputs, value: string): string[];
  /** Client argv storing more, and harder, data: many rows, binary values, the engine's other objects */
  seed(o: AddonOutputs): string[];
  /** Client argv printing a digest of what seed stored (and of write's rows) */
  digest(o: AddonOutputs): string[];
  /** Client argv trying to read `victim`'s data with `intruder`'s credentials */
  trespass(intruder: AddonOutputs, victim: AddonOutputs): string[];
  denied: RegExp;
  /** What of the installation's account/data the admin side still sees (empty when all gone) */
  leftovers(o: AddonOutputs): Promise<string>;
  /** Extra checks after provision */
  persisted?(o: AddonOutputs): Promise<void>;
  /** Client argv using what seed made beyond data (triggers, routines) with these credentials */
  useObjects?(o: AddonOutputs): string[];
}

const psql = (url: string, sql: string) => ['psql', url, '-X', '-v', 'ON_ERROR_STOP=1', '-tAc', sql];
const mariadb = (o: AddonOutputs, db: string, sql: string) =>
  ['mariadb', '-h', o.host!, '-P', String(o.port), '-u', o.username!, `--password=${o.password}`, db, '-N', '-B', '-e', sql];
const redisCli = (o: AddonOutputs, ...cmd: string[]) => ['redis-cli', '--no-auth-warning', '-e', '-u', o.url!, ...cmd];
const adminExec = async (server: ManagedServer, argv: string[], user?: string) => {
  const r = await runtime.exec(server.container, argv, { user });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
};

const cases: Case[] = [
  {
    kind: 'postgres',
    server: postgresEngine,
    write: (o, v) => psql(o.url!, `CREATE TABLE IF NOT EXISTS t (v text); INSERT INTO t VALUES ('${v}')`),
    read: (o) => psql(o.url!, 'SELECT v FROM t'),
    remove: (o, v) => psql(o.url!, `DELETE FROM t WHERE v = '${v}'`),
    seed: (o) => psql(o.url!, `
      CREATE TABLE bulk (id int PRIMARY KEY, b bytea);
      INSERT INTO bulk SELECT g, decode(md5(g::text), 'hex') || '\\x000a0dff'::bytea FROM generate_series(1, 20000) g;
      CREATE SEQUENCE s; SELECT setval('s', 42);
      CREATE VIEW bulk_count AS SELECT count(*) FROM bulk;`),
    digest: (o) => psql(o.url!, `
      SELECT md5(string_agg(id || ':' || encode(b, 'hex'), ',' ORDER BY id)), (SELECT last_value FROM s), (SELECT * FROM bulk_count),
        (SELECT string_agg(v, ',' ORDER BY v) FROM t) FROM bulk`),
    trespass: (me, them) => psql(`postgres://${me.username}:${me.password}@postgres:5432/${them.database}`, 'SELECT v FROM t'),
    denied: /permission denied for database/,
    leftovers: (o) =>
      adminExec(postgresEngine, ['psql', '-X', '-tA', '-c',
        `SELECT datname FROM pg_database WHERE datname = '${o.database}' UNION ALL SELECT rolname FROM pg_roles WHERE rolname = '${o.username}'`], 'postgres'),
  },
  {
    kind: 'mysql',
    server: mariadbEngine,
    write: (o, v) => mariadb(o, o.database!, `CREATE TABLE IF NOT EXISTS t (v text); INSERT INTO t VALUES ('${v}')`),
    read: (o) => mariadb(o, o.database!, 'SELECT v FROM t'),
    remove: (o, v) => mariadb(o, o.database!, `DELETE FROM t WHERE v = '${v}'`),
    seed: (o) => mariadb(o, o.database!, `
      CREATE TABLE bulk (id int PRIMARY KEY, b blob);
      INSERT INTO bulk SELECT seq, UNHEX(CONCAT(MD5(seq), '000A0DFF')) FROM seq_1_to_20000;
      CREATE TRIGGER bulk_default BEFORE INSERT ON bulk FOR EACH ROW SET NEW.b = COALESCE(NEW.b, 'none');
      CREATE PROCEDURE bulk_count() SELECT COUNT(*) FROM bulk;`),
    // Triggers and routines run as their DEFINER: in a clone it must be the clone's own user.
    useObjects: (o) => mariadb(o, o.database!, 'INSERT INTO bulk (id) VALUES (1000000); CALL bulk_count();'),
    digest: (o) => mariadb(o, o.database!, `
      SET SESSION group_concat_max_len = 100000000;
      SELECT MD5(GROUP_CONCAT(id, ':', HEX(b) ORDER BY id)),
        (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()),
        (SELECT GROUP_CONCAT(v ORDER BY v) FROM t) FROM bulk;
      CALL bulk_count();`),
    trespass: (me, them) => mariadb(me, them.database!, 'SELECT v FROM t'),
    denied: /Access denied for user '[a-z0-9_]+'@'%' to database/,
    leftovers: (o) =>
      adminExec(mariadbEngine, ['mariadb', '-N', '-B', '-e',
        `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${o.database}' UNION ALL SELECT User FROM mysql.user WHERE User = '${o.username}'`]),
  },
  {
    kind: 'redis',
    server: redisServer,
    write: (o, v) => redisCli(o, 'SADD', `${o.prefix}k`, v),
    read: (o) => redisCli(o, 'SMEMBERS', `${o.prefix}k`),
    remove: (o, v) => redisCli(o, 'SREM', `${o.prefix}k`, v),
    // Binary values and names (the bare prefix too), other types, a TTL, and 3 MB in 3000 keys:
    // more than one SCAN batch, and more than one exec's worth of dump.
    seed: (o) => redisCli(o, 'EVAL', `
      for i = 1, 3000 do
        local v = {string.char(i % 256, 0, 10, 13, 255)}
        for j = 1, 25 do v[#v + 1] = redis.sha1hex(i .. ':' .. j) end -- what DUMP's LZF cannot shrink much
        redis.call('SET', KEYS[1] .. 'bin:' .. i, table.concat(v))
      end
      redis.call('HSET', KEYS[1] .. 'hash', 'f', 'v', 'g', string.char(0, 200))
      redis.call('RPUSH', KEYS[1] .. 'list', 'a', 'b', 'c')
      redis.call('SET', KEYS[1] .. 'ttl', 'x', 'PX', 3600000)
      redis.call('SET', KEYS[1] .. string.char(0, 10, 255), 'odd name')
      redis.call('SET', KEYS[1], 'the bare prefix')`, '1', o.prefix!),
    digest: (o) => redisCli(o, 'EVAL', `
      local keys, cursor = {}, '0'
      repeat
        local r = redis.call('SCAN', cursor, 'MATCH', KEYS[1] .. '*', 'COUNT', 1000)
        cursor = r[1]
        for _, k in ipairs(r[2]) do keys[#keys + 1] = k end
      until cursor == '0'
      table.sort(keys)
      local parts = {}
      for _, k in ipairs(keys) do
        parts[#parts + 1] = k .. '=' .. redis.call('DUMP', k) .. (redis.call('PTTL', k) > 0 and ' expires' or '')
      end
      return #keys .. ' ' .. redis.sha1hex(table.concat(parts, '\\n'))`, '1', o.prefix!),
    trespass: (me, them) => redisCli(me, 'GET', `${them.prefix}k`),
    denied: /NOPERM/,
    leftovers: async (o) => {
      const users = (await adminExec(redisServer, ['freehold-redis-admin', 'ACL', 'USERS'])).split('\n');
      const keys = await adminExec(redisServer, ['freehold-redis-admin', '--scan', '--pattern', `${o.prefix}*`]);
      return [...users.filter((u) => u === o.username), keys].join('\n').trim();
    },
    // The ACL user is in the ACL file in the volume (survives a restart); keys outside the prefix are refused.
    persisted: async (o) => {
      const acl = await adminExec(redisServer, ['cat', '/var/lib/freehold/redis/users.acl']);
      assert.match(acl, new RegExp(`^user ${o.username} on #[0-9a-f]{64} ~${o.prefix}\\* (resetchannels )?&${o.prefix}\\* `, 'm'));
      assert.doesNotMatch(acl, /^user default on nopass/m);
      const outside = await client(redisServer, o, redisCli(o, 'SET', 'elsewhere', 'x'));
      assert.match(outside.stdout + outside.stderr, /NOPERM/);
      const flush = await client(redisServer, o, redisCli(o, 'FLUSHALL'));
      assert.match(flush.stdout + flush.stderr, /NOPERM/);
    },
  },
];

/** Removes what a test made for its installations: accounts, networks, the data directory */
async function cleanUp(ctx: AddonContext, driver: AddonDriver, server: ManagedServer, targets: AddonTarget[]) {
  for (const t of targets) {
    await driver.deprovision(ctx, t).catch(() => {});
    // Off the network first: "podman network rm -f" removes every container still on it.
    await runtime.disconnect(t.network, server.container);
    await runtime.removeNetwork(t.network);
  }
  await rm(ctx.dataDir, { recursive: true, force: true });
}

/** Runs a client in a throwaway container of the server's image, on the installation's network */
const networks = new Map<AddonOutputs, string>();
const client = async (server: ManagedServer, o: AddonOutputs, argv: string[]) => {
  // aardvark-dns (netavark 1.4) briefly stops answering while other tests tear their networks
  // down: a name that does not resolve is tried again, anything else is the answer.
  for (let attempt = 1; ; attempt++) {
    const r = await run(['podman', 'run', '--rm', '--pull=never', '--network', networks.get(o)!, serverImageTag(server), ...argv], { check: false, timeoutMs: 120_000 });
    if (attempt >= 5 || !/Unknown server host|could not translate host name|Name or service not known|Temporary failure in name resolution|No address associated with hostname/i.test(r.stderr + r.stdout)) return r;
    await new Promise((res) => setTimeout(res, 500));
  }
};
/** The same, failing the test unless it exits 0; returns its trimmed output */
const clientOk = async (server: ManagedServer, o: AddonOutputs, argv: string[]) => {
  const r = await client(server, o, argv);
  assert.equal(r.code, 0, `${argv[0]}: ${r.stderr}`);
  return r.stdout.trim();
};

describe('addon contract (real servers)', { concurrency: true }, () => {
  for (const c of cases) {
    it(`${c.kind}: provision is idempotent, isolates installations, deprovision removes all`, { timeout: 900_000 }, async () => {
      const ctx = context(await mkdtemp(join(tmpdir(), 'fh-addon-')));
      const driver = addonDriver(c.kind);
      const id = unique();
      const a: AddonTarget = { installation: `t${id}-a`, network: `fhtest-${id}-a` };
      const b: AddonTarget = { installation: `t${id}-b`, network: `fhtest-${id}-b` };
      const ok = (o: AddonOutputs, argv: string[]) => clientOk(c.server, o, argv);
      try {
        await runtime.ensureNetwork(a.network);
        await runtime.ensureNetwork(b.network);

        const oa = await driver.provision(ctx, a);
        networks.set(oa, a.network);
        const name = `fh_t${id}_a`;
        assert.equal(oa.username, name);
        assert.equal(oa.host, c.server.alias);
        assert.equal(oa.port, c.server.port);
        assert.match(oa.password!, /^[A-Za-z0-9_-]{32}$/);
        assert.ok(oa.url!.includes(`${name}:${oa.password}@${c.server.alias}:${c.server.port}`));
        assert.deepEqual((await runtime.inspect(c.server.container))?.labels['freehold.addon-server'], c.kind);
        await ok(oa, c.write(oa, 'hello'));
        await c.persisted?.(oa);

        // Again, with the recorded outputs: same credentials, data kept, and they still work.
        const again = await driver.provision(ctx, a, oa);
        networks.set(again, a.network);
        assert.deepEqual(again, oa);
        assert.equal(await ok(again, c.read(again)), 'hello');

        // A second installation has its own credentials, which cannot reach the first one's data.
        const ob = await driver.provision(ctx, b);
        networks.set(ob, b.network);
        assert.notEqual(ob.password, oa.password);
        await ok(ob, c.write(ob, 'other'));
        const intrusion = await client(c.server, ob, c.trespass(ob, oa));
        assert.match(intrusion.stdout + intrusion.stderr, c.denied);

        assert.equal((await driver.existing(ctx, [a.installation])).has(a.installation), true);
        await driver.deprovision(ctx, a);
        assert.equal((await driver.existing(ctx, [a.installation])).has(a.installation), false);
        assert.equal(await c.leftovers(oa), '');
        assert.ok(!(await runtime.inspect(c.server.container))?.networks.includes(a.network), 'server left on the network');
        await driver.deprovision(ctx, a); // a no-op now

        // The other installation is untouched.
        assert.equal((await driver.existing(ctx, [b.installation])).has(b.installation), true);
        assert.equal(await ok(ob, c.read(ob)), 'other');
        await driver.deprovision(ctx, b);
        assert.equal(await c.leftovers(ob), '');
      } finally {
        await cleanUp(ctx, driver, c.server, [a, b]);
      }
    });
  }
});

describe('addon backup and restore (real servers)', { concurrency: true }, () => {
  for (const c of cases) {
    it(`${c.kind}: restore brings back the backup's data and nothing else, for its installation only`, { timeout: 900_000 }, async (test) => {
      const ctx = context(await mkdtemp(join(tmpdir(), 'fh-addon-backup-')));
      const driver = addonDriver(c.kind);
      const id = unique();
      const a: AddonTarget = { installation: `t${id}-a`, network: `fhtest-${id}-a` };
      const b: AddonTarget = { installation: `t${id}-b`, network: `fhtest-${id}-b` };
      const ok = (o: AddonOutputs, argv: string[]) => clientOk(c.server, o, argv);
      const rows = async (o: AddonOutputs) => (await ok(o, c.read(o))).split('\n').filter(Boolean).sort();
      const newDir = async (name: string) => {
        const dir = join(ctx.dataDir, 'backups', name);
        await mkdir(dir, { recursive: true });
        return dir;
      };
      try {
        await runtime.ensureNetwork(a.network);
        await runtime.ensureNetwork(b.network);
        const oa = await driver.provision(ctx, a);
        networks.set(oa, a.network);
        const ob = await driver.provision(ctx, b);
        networks.set(ob, b.network);

        // b is backed up while it has no data yet: that backup must restore too.
        const fresh = await newDir('fresh');
        await driver.backup(ctx, b, fresh);
        await ok(ob, c.write(ob, 'other'));

        await ok(oa, c.write(oa, 'first'));
        await ok(oa, c.seed(oa));
        const digest = await ok(oa, c.digest(oa));
        const full = await newDir('full');
        let started = Date.now();
        await driver.backup(ctx, a, full);
        const backupMs = Date.now() - started;
        const files = await readdir(full);
        assert.equal(files.length, 1, `one dump file, got ${files}`);
        const { size, mode } = await stat(join(full, files[0]));
        assert.equal(mode & 0o777, 0o600);

        await ok(oa, c.write(oa, 'second'));
        await ok(oa, c.remove(oa, 'first'));
        assert.deepEqual(await rows(oa), ['second']);
        started = Date.now();
        await driver.restore(ctx, a, full);
        const restoreMs = Date.now() - started;
        assert.deepEqual(await rows(oa), ['first']);
        assert.equal(await ok(oa, c.digest(oa)), digest);
        // The app's credentials still write after the restore (ownership and grants are right).
        await ok(oa, c.write(oa, 'third'));
        assert.deepEqual(await rows(oa), ['first', 'third']);
        // The other installation is untouched.
        assert.deepEqual(await rows(ob), ['other']);

        // The backup of a fresh installation restores: nothing of "other" is left, writes work.
        await driver.restore(ctx, b, fresh);
        await ok(ob, c.write(ob, 'after'));
        assert.deepEqual(await rows(ob), ['after']);
        // a's backup restores into another installation (a clone), which can write to it.
        await driver.restore(ctx, b, full);
        assert.deepEqual(await rows(ob), ['first']);
        await ok(ob, c.write(ob, 'clone'));
        assert.deepEqual(await rows(ob), ['clone', 'first']);
        if (c.useObjects) await ok(ob, c.useObjects(ob));

        // A missing, cut or foreign dump fails naming the addon and the file, and drops nothing.
        const dump = await readFile(join(full, files[0]));
        const damaged: [string, Buffer | null][] = [
          ['missing', null],
          ['cut', dump.subarray(0, Math.floor(dump.length / 2))],
          ['foreign', randomBytes(4096)],
        ];
        for (const [name, content] of damaged) {
          const dir = await newDir(name);
          if (content) await writeFile(join(dir, files[0]), content);
          await assert.rejects(driver.restore(ctx, a, dir), (err: Error) => {
            assert.match(err.message, new RegExp(`^${c.kind} restore of ${a.installation} from ${join(dir, files[0])} failed: `));
            return true;
          }, name);
        }
        assert.deepEqual(await rows(oa), ['first', 'third']);
        test.diagnostic(`${c.kind}: dump ${(size / 1024).toFixed(0)} KiB, backup ${backupMs} ms, restore ${restoreMs} ms`);
      } finally {
        await cleanUp(ctx, driver, c.server, [a, b]);
      }
    });
  }
});

describe('podman runtime streams', () => {
  it('execFromFile and execToFile carry binary data both ways; a failure names the command and removes the cut file', { timeout: 300_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fh-stream-'));
    const name = `fhtest-stream-${unique()}`;
    try {
      await ensureImage(runtime, serverImageTag(redisServer), redisServer.image.context);
      await runtime.run({ name, image: serverImageTag(redisServer), command: ['sleep', 'infinity'] });
      const data = randomBytes(48 << 20);
      await writeFile(join(dir, 'in'), data);
      await runtime.execFromFile(name, ['dd', 'of=/tmp/copy', 'bs=1M', 'status=none'], join(dir, 'in'));
      await runtime.execToFile(name, ['cat', '/tmp/copy'], join(dir, 'out'));
      assert.ok((await readFile(join(dir, 'out'))).equals(data), 'the round trip changed the bytes');
      assert.equal((await stat(join(dir, 'out'))).mode & 0o777, 0o600);
      await assert.rejects(runtime.execToFile(name, ['sh', '-c', 'head -c 1000 /tmp/copy; echo "disk on fire" >&2; exit 3'], join(dir, 'cut')),
        /^Error: sh -c .* in fhtest-stream-[0-9a-f]+ failed \(exit 3\): disk on fire$/);
      await assert.rejects(stat(join(dir, 'cut')), { code: 'ENOENT' });
      await assert.rejects(runtime.execFromFile(name, ['no-such-program'], join(dir, 'in')), /no-such-program in fhtest-stream-[0-9a-f]+ failed \(exit 127\)/);
    } finally {
      await runtime.stop(name, 0); // sleep ignores SIGTERM: no 10 s grace period
      await runtime.remove(name);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('volume addon', () => {
  it('makes a private directory per installation, keeps it on re-provision, removes it on deprovision', async () => {
    const ctx = context(await mkdtemp(join(tmpdir(), 'fh-volume-')));
    const driver = addonDriver('volume');
    const target: AddonTarget = { installation: `t${unique()}`, network: 'unused' };
    try {
      assert.deepEqual(driver.defaultEnv, {});
      assert.equal((await driver.existing(ctx, [target.installation])).has(target.installation), false);
      const out = await driver.provision(ctx, target);
      assert.equal(out.path, join(ctx.dataDir, 'volumes', target.installation));
      assert.equal((await stat(out.path!)).mode & 0o777, 0o700);
      await writeFile(join(out.path!, 'keep'), 'data');
      assert.deepEqual(await driver.provision(ctx, target, out), out);
      assert.equal(await readFile(join(out.path!, 'keep'), 'utf8'), 'data');
      assert.equal((await driver.existing(ctx, [target.installation])).has(target.installation), true);
      await driver.deprovision(ctx, target);
      assert.equal((await driver.existing(ctx, [target.installation])).has(target.installation), false);
      await driver.deprovision(ctx, target);
      for (const bad of ['..', '../etc', 'a/../../x', '', 'A']) {
        await assert.rejects(driver.deprovision(ctx, { installation: bad, network: 'x' }), /invalid installation name/);
      }
    } finally {
      await rm(ctx.dataDir, { recursive: true, force: true });
    }
  });
});
