/** `freehold certificates ...` (the ACME account and its certificates) and `freehold hosts ...` (where the internet reaches a host). */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { CliKit } from './update-commands.js';

type Kit = Pick<CliKit, 'client' | 'print' | 'table' | 'json'>;

const cert = (id: string, rest = '') => `/api/certificates/${encodeURIComponent(id)}${rest}`;
const row = (c: any) => ({ ...c, domains: c.domains.join(','), owner: c.owner ?? '', lastError: c.lastError ?? '' });
const COLUMNS = ['id', 'domains', 'owner', 'status', 'challenge', 'notAfter', 'renewAfter', 'lastError'];

export function addCertificateCommands(program: Command, kit: Kit) {
  const certificates = program.command('certificates').description('certificates from an ACME CA (Let\'s Encrypt or another) for installations on configured domains');

  certificates
    .command('account')
    .description('show the ACME account, or with --directory configure the CA and register the account')
    .option('--directory <url>', "an ACME directory URL, or 'letsencrypt' / 'letsencrypt-staging'")
    .option('--email <address>', "contact for the CA's expiry and policy mail")
    .option('--ca-bundle-file <file>', "PEM of CA certificates to trust for the directory's HTTPS (a private or test CA)")
    .option('--no-verify', 'keep it without registering with the CA now')
    .action(async (o) => {
      if (!o.directory) {
        const r = await kit.client().request('GET', '/api/acme/account');
        if (kit.json() || !r.account) return kit.print(r.account ?? 'no ACME account: configure one with --directory letsencrypt --email <you@example.org>');
        return kit.table([r.account], ['directoryUrl', 'email', 'url', 'createdAt']);
      }
      const body: Record<string, unknown> = { directoryUrl: o.directory, verify: o.verify };
      if (o.email) body.email = o.email;
      if (o.caBundleFile) body.caBundle = readFileSync(o.caBundleFile, 'utf8');
      const r = await kit.client().request('PUT', '/api/acme/account', body);
      kit.print(kit.json() ? r : `ACME account at ${r.account.directoryUrl}${r.account.url ? ` registered: ${r.account.url}` : ''}`);
    });

  certificates
    .command('list')
    .description('certificates, the installation each belongs to, when they expire and are renewed')
    .action(async () => {
      const r = await kit.client().request('GET', '/api/certificates');
      if (kit.json()) return kit.print(r);
      kit.table(r.certificates.map(row), COLUMNS);
    });

  certificates
    .command('issue <domains...>')
    .description('issue a certificate now for these names and serve it (installations on configured domains get theirs by themselves)')
    .option('--challenge <type>', 'http-01 (through the edge on port 80) or dns-01 (through the domain\'s DNS provider; wildcards)', 'http-01')
    .action(async (domains: string[], o) => {
      const r = await kit.client().request('POST', '/api/certificates', { domains, challenge: o.challenge });
      if (kit.json()) return kit.print(r);
      kit.table([row(r.certificate)], COLUMNS);
    });

  for (const [name, description] of [
    ['renew', 'issue it again now with the same names'],
    ['revoke', 'revoke it at the CA; the edge stops serving it'],
  ] as const) {
    certificates
      .command(`${name} <id>`)
      .description(description)
      .action(async (id: string) => {
        const r = await kit.client().request('POST', cert(id, `/${name}`));
        if (kit.json()) return kit.print(r);
        kit.table([row(r.certificate)], COLUMNS);
      });
  }

  certificates
    .command('retry <id>')
    .description("order an installation's certificate again now, instead of after the wait that follows a failed order")
    .action(async (id: string) => {
      const r = await kit.client().request('POST', cert(id, '/retry'));
      kit.print(kit.json() ? r : r.waiting ? `ordering ${id} again now (see "freehold tasks")` : `no failed order of ${id} was waiting; the reconcile loop checks it now`);
    });

  certificates
    .command('remove <id>')
    .description('revoke it (while valid), stop serving it and forget it with its key')
    .action(async (id: string) => {
      const r = await kit.client().request('DELETE', cert(id));
      kit.print(kit.json() ? r : `certificate ${id} removed${r.revoked ? ' and revoked' : ''}${r.warning ? `; ${r.warning}` : ''}`);
    });

  const hosts = program.command('hosts').description('the machines installations run on');
  hosts
    .command('list', { isDefault: true })
    .description('hosts, and where the internet reaches them')
    .action(async () => {
      const r = await kit.client().request('GET', '/api/hosts');
      if (kit.json()) return kit.print(r);
      kit.table(r.hosts.map((h: any) => ({ ...h, public: h.public ? (h.public.cname ?? (h.public.pool ? `pool ${h.public.pool}` : h.public.addresses.join(' '))) : '' })), ['name', 'provider', 'runtime', 'public']);
    });
  hosts
    .command('set-public <host>')
    .description('where the internet reaches the host: the DNS records of its installations on configured domains point there')
    .option('--address <ip...>', 'its public IPv4/IPv6 addresses (A/AAAA records)')
    .option('--cname <name>', 'a host name instead (CNAME records), e.g. a dynamic-DNS name')
    .option('--pool <pool>', 'an IP pool: each installation gets its own address from it (a prefix routed to the host)')
    .option('--clear', 'no public target (no records are made)')
    .action(async (host: string, o) => {
      if ([o.address, o.cname, o.pool, o.clear].filter(Boolean).length !== 1) throw new Error('give exactly one of --address <ip...>, --cname <name>, --pool <pool> or --clear');
      const target = o.clear ? null : o.cname ? { cname: o.cname } : o.pool ? { pool: o.pool } : { addresses: o.address };
      const r = await kit.client().request('PATCH', `/api/hosts/${encodeURIComponent(host)}`, { public: target });
      kit.print(kit.json() ? r : `host ${r.host.name}: ${r.host.public ? (r.host.public.cname ?? (r.host.public.pool ? `pool ${r.host.public.pool}` : r.host.public.addresses.join(' '))) : 'no public target'}`);
    });
}
