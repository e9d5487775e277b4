/** `freehold tofu ...`: the OpenTofu/Terraform states Freehold keeps (through the HTTP API). */
import type { Command } from 'commander';
import { ApiError, Client } from './client.js';

const table = (rows: Record<string, unknown>[], cols: string[]) => {
  if (!rows.length) return console.log('(none)');
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  console.log(cols.map((c, i) => c.toUpperCase().padEnd(w[i])).join('  '));
  for (const r of rows) console.log(cols.map((c, i) => String(r[c] ?? '').padEnd(w[i])).join('  '));
};

const lockedBy = (lock: any) => (lock ? `${lock.Who || '?'} (${lock.Operation || 'lock'} ${lock.ID})` : '-');

export function addTofuCommands(program: Command) {
  const client = () => Client.fromEnvironment(program.opts().dataDir);
  const json = () => Boolean(program.opts().json);
  const tofu = program.command('tofu').description('OpenTofu/Terraform states kept by Freehold (its HTTP state backend)');

  tofu
    .command('states')
    .description('list the states: version, serial, who holds the lock')
    .action(async () => {
      const r = await client().request('GET', '/api/tofu/states');
      if (json()) return console.log(JSON.stringify(r, null, 2));
      table(
        r.states.map((s: any) => ({ ...s, serial: s.serial ?? '-', locked: lockedBy(s.lock), updated: s.updatedAt })),
        ['name', 'version', 'serial', 'locked', 'updated'],
      );
    });

  tofu
    .command('versions <name>')
    .description('the versions of a state Freehold keeps (the newest first)')
    .action(async (name: string) => {
      const r = await client().request('GET', `/api/tofu/states/${encodeURIComponent(name)}`);
      if (json()) return console.log(JSON.stringify(r, null, 2));
      console.log(`${r.state.name}: version ${r.state.version}, serial ${r.state.serial ?? '-'}, locked by ${lockedBy(r.state.lock)}`);
      table(r.state.versions.map((v: any) => ({ ...v, serial: v.serial ?? '-', created: v.createdAt })), ['version', 'serial', 'size', 'created']);
    });

  tofu
    .command('show <name>')
    .description('print a state (it holds secrets in clear: careful where it goes)')
    .option('--at <version>', 'a kept earlier version (see "freehold tofu versions")')
    .action(async (name: string, o: { at?: string }) => {
      const c = client();
      const path = o.at ? `/api/tofu/states/${encodeURIComponent(name)}/versions/${Number(o.at)}` : `/api/tofu/state/${encodeURIComponent(name)}`;
      const r = await c.request('GET', path);
      process.stdout.write(typeof r === 'string' ? (r ? `${r.trimEnd()}\n` : `${name} has no state yet\n`) : `${JSON.stringify(r, null, 2)}\n`);
    });

  tofu
    .command('unlock <name>')
    .description('release the lock of a state (after a run that crashed while holding it)')
    .option('--id <lock id>', 'release only this lock (the ID terraform printed)')
    .option('--force', 'release whatever lock is held')
    .action(async (name: string, o: { id?: string; force?: boolean }) => {
      if (!o.id && !o.force) throw new Error('give the lock ID (--id, see "freehold tofu states") or --force to release any lock');
      const c = client();
      const q = new URLSearchParams(o.force ? { force: 'true' } : { ID: o.id! });
      let r: any;
      try {
        r = await c.request('DELETE', `/api/tofu/state/${encodeURIComponent(name)}/lock?${q}`);
      } catch (err) {
        // The protocol's answer is the holder's lock info, not a message: say it here
        if (!(err instanceof ApiError && err.status === 409)) throw err;
        const { state } = await c.request('GET', `/api/tofu/states/${encodeURIComponent(name)}`);
        throw new Error(`${name} is locked by ${lockedBy(state.lock)}, not by lock ${o.id}; nothing was released (--force releases any lock)`);
      }
      if (json()) return console.log(JSON.stringify(r, null, 2));
      console.log(r.unlocked ? `${name}: released the lock of ${lockedBy(r.lock)}` : `${name} was not locked`);
    });

  tofu
    .command('backend <name>')
    .description('print the backend block that points terraform/tofu at a state kept here')
    .action(async (name: string) => {
      const c = client();
      await c.request('GET', '/api/tofu/states'); // checks that Freehold answers and the token works
      const address = `${c.url}/api/tofu/state/${encodeURIComponent(name)}`;
      console.log(`terraform {
  backend "http" {
    address        = "${address}"
    lock_address   = "${address}"
    unlock_address = "${address}"
    username       = "freehold"
    # password: the admin token; keep it out of files: export TF_HTTP_PASSWORD=$(cat <data dir>/admin-token)
  }
}`);
    });
}
