/** `freehold ip-pools list|add|update|remove|allocations|allocate|release`: IP pools (built-in or NetBox). */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { CliKit } from './update-commands.js';

const collect = (v: string, prev: string[]) => [...prev, v];

/** A pool's configuration in one line (never a token: the API has none to give) */
const where = (p: any) => (p.provider === 'netbox' ? `${p.config.url} prefixes ${p.config.prefixIds.join(',')}` : p.config.prefixes.join(', '));

/** A NetBox token from a file (first line), so that it stays out of the shell history and `ps` */
function tokenFrom(file: string): string {
  const token = readFileSync(file, 'utf8').split('\n')[0].trim();
  if (!token) throw new Error(`${file} holds no token`);
  return token;
}

export function addIpamCommands(program: Command, kit: Pick<CliKit, 'client' | 'print' | 'table' | 'json'>) {
  const pools = program.command('ip-pools').description('IP address pools: built-in prefixes or NetBox');
  const path = (name: string, rest = '') => `/api/ip-pools/${encodeURIComponent(name)}${rest}`;
  const shown = (verb: string) => (r: any) => (kit.json() ? kit.print(r) : console.log(`IP pool ${r.pool.name} ${verb}: ${r.pool.provider}, ${where(r.pool)}${r.pool.config.reserve?.length ? `; reserved ${r.pool.config.reserve.join(', ')}` : ''}`));

  pools
    .command('list')
    .description('list IP pools')
    .action(async () => {
      const r = await kit.client().request('GET', '/api/ip-pools');
      if (kit.json()) return kit.print(r);
      kit.table(r.pools.map((p: any) => ({ ...p, prefixes: where(p), reserved: (p.config.reserve ?? []).join(',') })), ['name', 'provider', 'prefixes', 'reserved']);
    });

  pools
    .command('add <name>')
    .description('add a pool: built-in prefixes (--prefix) or NetBox prefixes (--provider netbox)')
    .option('--provider <provider>', 'builtin or netbox', 'builtin')
    .option('--prefix <cidr>', 'builtin: a prefix, IPv4 or IPv6 (repeat for more; used in order)', collect, [])
    .option('--reserve <address>', 'builtin: an address never handed out, e.g. the gateway (repeat for more)', collect, [])
    .option('--url <url>', 'netbox: NetBox base URL, e.g. https://netbox.example.org')
    .option('--token-file <file>', 'netbox: file holding the API token (write enabled; default: $FREEHOLD_NETBOX_TOKEN); Freehold keeps it sealed')
    .option('--prefix-id <id>', 'netbox: a prefix id, the number in its NetBox URL (repeat for more; used in order)', collect, [])
    .action(async (name, o) => {
      const body =
        o.provider === 'netbox'
          ? { name, provider: 'netbox', url: o.url, token: o.tokenFile ? tokenFrom(o.tokenFile) : process.env.FREEHOLD_NETBOX_TOKEN, prefixIds: o.prefixId.map(Number) }
          : { name, provider: o.provider, prefixes: o.prefix, reserve: o.reserve };
      shown('added')(await kit.client().request('POST', '/api/ip-pools', body));
    });

  pools
    .command('update <name>')
    .description("change a pool: more prefixes, reserved addresses, NetBox URL or token (an address in use is never left outside)")
    .option('--add-prefix <cidr>', 'builtin: add a prefix', collect, [])
    .option('--remove-prefix <cidr>', 'builtin: remove a prefix (none of its addresses may be in use)', collect, [])
    .option('--reserve <address>', 'builtin: reserve an address (it must not be in use)', collect, [])
    .option('--unreserve <address>', 'builtin: hand out an address that was reserved', collect, [])
    .option('--url <url>', 'netbox: new base URL')
    .option('--token-file <file>', 'netbox: file holding a new API token')
    .option('--add-prefix-id <id>', 'netbox: add a prefix id', collect, [])
    .option('--remove-prefix-id <id>', 'netbox: remove a prefix id', collect, [])
    .action(async (name, o) => {
      const c = kit.client();
      const { pool } = await c.request('GET', path(name));
      const patch: Record<string, unknown> = {};
      if (o.addPrefix.length || o.removePrefix.length) patch.prefixes = [...pool.config.prefixes.filter((p: string) => !o.removePrefix.includes(p)), ...o.addPrefix];
      if (o.reserve.length || o.unreserve.length) patch.reserve = [...pool.config.reserve.filter((a: string) => !o.unreserve.includes(a)), ...o.reserve];
      if (o.url) patch.url = o.url;
      if (o.tokenFile) patch.token = tokenFrom(o.tokenFile);
      if (o.addPrefixId.length || o.removePrefixId.length) patch.prefixIds = [...pool.config.prefixIds.filter((id: number) => !o.removePrefixId.map(Number).includes(id)), ...o.addPrefixId.map(Number)];
      if (!Object.keys(patch).length) throw new Error('nothing to change: give --add-prefix, --reserve, --token-file... (see --help)');
      shown('changed')(await c.request('PATCH', path(name), patch));
    });

  pools
    .command('remove <name>')
    .description('remove a pool that has no address allocated (NetBox keeps its prefixes and addresses)')
    .action(async (name) => {
      await kit.client().request('DELETE', path(name));
      console.log(`IP pool ${name} removed`);
    });

  pools
    .command('allocations <name>')
    .description('the addresses in use in a pool and who holds them')
    .option('--owner <owner>', 'only those of this owner (an installation name)')
    .action(async (name, o) => {
      const r = await kit.client().request('GET', path(name, `/allocations${o.owner ? `?owner=${encodeURIComponent(o.owner)}` : ''}`));
      if (kit.json()) return kit.print(r);
      kit.table(
        r.allocations.map((a: any) => ({ ...a, address: `${a.address}/${a.prefixLength}`, owner: a.owner ?? '(not Freehold)' })),
        ['address', 'owner', 'description'],
      );
    });

  pools
    .command('allocate <name>')
    .description('allocate the next free address of a pool to an owner')
    .requiredOption('--owner <owner>', 'who holds it (e.g. an installation name)')
    .option('--description <text>', 'kept with the address')
    .option('--family <4|6>', 'only from IPv4 or IPv6 prefixes')
    .action(async (name, o) => {
      const body = { owner: o.owner, description: o.description, ...(o.family && { family: Number(o.family) }) };
      const r = await kit.client().request('POST', path(name, '/allocations'), body);
      if (kit.json()) return kit.print(r);
      console.log(`${r.allocation.address}/${r.allocation.prefixLength}`);
    });

  pools
    .command('release <name> <address>')
    .description('release an address (it can be allocated again)')
    .action(async (name, address) => {
      await kit.client().request('DELETE', path(name, `/allocations/${encodeURIComponent(address)}`));
      console.log(`${address} released from ${name}`);
    });
}
