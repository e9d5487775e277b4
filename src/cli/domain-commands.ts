/** `freehold domains ...`: domains on a DNS provider, their records, drift, octoDNS zone files. */
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import type { CliKit } from './update-commands.js';

type Kit = Pick<CliKit, 'client' | 'print' | 'table' | 'json'>;

/** A secret from a file (its whole content, trimmed) or from an environment variable; never from the command line */
function secret(file: string | undefined, envVar: string, what: string): string | undefined {
  if (file) {
    const v = readFileSync(file, 'utf8').trim();
    if (!v) throw new Error(`${file} is empty: it should hold the ${what}`);
    return v;
  }
  return process.env[envVar] || undefined;
}

const path = (domain: string, rest = '') => `/api/domains/${encodeURIComponent(domain)}${rest}`;
const change = (c: any) => ({ action: c.action, name: c.record.name || '@', type: c.record.type, ttl: c.action === 'delete' ? '' : c.record.ttl, values: c.action === 'delete' ? '' : c.record.values.join(' | ') });

/** The provider's fields of an add (or a change of settings), from the command's options */
function providerFields(provider: string, o: Record<string, string | undefined>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const set = (k: string, v: unknown) => v !== undefined && (fields[k] = v);
  if (provider === 'rfc2136') {
    set('server', o.server);
    set('tsigName', o.tsigName);
    set('tsigAlgorithm', o.tsigAlgorithm);
    set('tsigSecret', secret(o.tsigSecretFile, 'FREEHOLD_TSIG_SECRET', 'TSIG secret'));
  } else if (provider === 'powerdns') {
    set('url', o.url);
    set('serverId', o.serverId);
    set('apiKey', secret(o.apiKeyFile, 'FREEHOLD_PDNS_API_KEY', 'PowerDNS API key'));
  } else {
    set('url', o.url);
    set('token', secret(o.tokenFile, 'FREEHOLD_DNS_TOKEN', 'API token'));
  }
  return fields;
}

export function addDomainCommands(program: Command, kit: Kit) {
  const domains = program.command('domains').description('domains on a DNS provider (RFC 2136, PowerDNS, deSEC, Cloudflare): records of installations, drift, octoDNS zone files');

  domains
    .command('list')
    .description('configured domains, their providers (never their secrets) and the installations with records there')
    .action(async () => {
      const r = await kit.client().request('GET', '/api/domains');
      if (kit.json()) return kit.print(r);
      kit.table(
        r.domains.map((d: any) => ({ ...d, settings: Object.entries(d.settings).map(([k, v]) => `${k}=${v}`).join(' '), installations: d.installations.join(',') })),
        ['name', 'zone', 'provider', 'challenge', 'settings', 'installations'],
      );
    });

  const withProviderOptions = (c: Command) =>
    c
      .option('--server <host[:port]>', 'rfc2136: primary server')
      .option('--tsig-name <name>', 'rfc2136: TSIG key name')
      .option('--tsig-algorithm <alg>', 'rfc2136: hmac-sha256 (default), hmac-sha512, ...')
      .option('--tsig-secret-file <file>', 'rfc2136: file holding the TSIG secret (base64); default $FREEHOLD_TSIG_SECRET')
      .option('--url <url>', 'powerdns: API URL (e.g. http://127.0.0.1:8081); desec, cloudflare: API base (default: the public service)')
      .option('--api-key-file <file>', 'powerdns: file holding the API key; default $FREEHOLD_PDNS_API_KEY')
      .option('--server-id <id>', 'powerdns: server id (default localhost)')
      .option('--token-file <file>', 'desec, cloudflare: file holding the API token; default $FREEHOLD_DNS_TOKEN');

  withProviderOptions(
    domains
      .command('add <domain>')
      .description('configure a domain with a DNS provider; the provider is checked (credentials, zone) first')
      .requiredOption('--provider <kind>', 'rfc2136, powerdns, desec or cloudflare')
      .option('--zone <zone>', 'the DNS zone holding the domain, when it is a parent of it')
      .option('--ttl <seconds>', 'TTL of the records Freehold makes', '300')
      .option('--no-verify', 'keep the domain without checking the provider')
      .option('--challenge <type>', "how installations' certificates are validated: http-01 (port 80 must reach Freehold) or dns-01 (through this provider)", 'http-01'),
  ).action(async (domain, o) => {
    const body: Record<string, unknown> = { name: domain, provider: o.provider, ttl: Number(o.ttl), verify: o.verify, challenge: o.challenge, ...providerFields(o.provider, o) };
    if (o.zone) body.zone = o.zone;
    const r = await kit.client().request('POST', '/api/domains', body);
    if (kit.json()) return kit.print(r);
    console.log(`domain ${r.domain.name} added (${r.domain.provider}, zone ${r.domain.zone}); see its records: freehold domains records ${r.domain.name}`);
  });

  withProviderOptions(
    domains
      .command('set <domain>')
      .description("change a domain: its TTL (records already made get it), its challenge, or its provider's settings (with --provider, given whole as for add: e.g. a new TSIG secret)")
      .option('--ttl <seconds>', 'TTL of the records Freehold makes')
      .option('--challenge <type>', 'http-01 or dns-01')
      .option('--provider <kind>', "the provider's settings follow, whole: rfc2136, powerdns, desec or cloudflare")
      .option('--no-verify', 'keep the new provider settings without checking them'),
  ).action(async (domain, o) => {
    const body: Record<string, unknown> = {};
    if (o.ttl !== undefined) body.ttl = Number(o.ttl);
    if (o.challenge !== undefined) body.challenge = o.challenge;
    if (o.provider) Object.assign(body, { provider: o.provider, verify: o.verify, ...providerFields(o.provider, o) });
    if (!Object.keys(body).length) throw new Error('nothing to change: give --ttl, --challenge or --provider with its settings');
    const r = await kit.client().request('PATCH', path(domain), body);
    if (kit.json()) return kit.print(r);
    console.log(`domain ${r.domain.name} changed (${r.domain.provider}, TTL ${r.domain.ttl}, ${r.domain.challenge})`);
  });

  domains
    .command('remove <domain>')
    .description('forget a domain (its DNS records stay as they are)')
    .option('--force', 'also while installations have records there (those records are left unmanaged)')
    .action(async (domain, o) => {
      await kit.client().request('DELETE', `${path(domain)}${o.force ? '?force=true' : ''}`);
      console.log(`domain ${domain} removed`);
    });

  domains
    .command('records <domain>')
    .description("the record sets of the domain's zone (A, AAAA, CNAME, TXT, MX, SRV, CAA)")
    .action(async (domain) => {
      const r = await kit.client().request('GET', path(domain, '/records'));
      if (kit.json()) return kit.print(r);
      kit.table(r.records.map((x: any) => ({ name: x.name || '@', type: x.type, ttl: x.ttl, values: x.values.join(' | ') })), ['name', 'type', 'ttl', 'values']);
    });

  domains
    .command('check <domain>')
    .description("compare the installations' records with DNS (changed or deleted by hand); exit status 1 on drift not repaired")
    .option('--repair', 'put the records back as Freehold keeps them')
    .action(async (domain, o) => {
      const r = await kit.client().request('POST', path(domain, '/check'), { repair: Boolean(o.repair) });
      if (kit.json()) kit.print(r);
      else if (!r.drift.length) console.log(`${r.domain}: every installation's records are as they should be`);
      else {
        kit.table(
          r.drift.map((d: any) => ({ installation: d.installation, name: d.fqdn, type: d.type, problem: d.problem, want: d.want?.values.join(' | ') ?? '(none)', have: d.have?.values.join(' | ') ?? '(none)' })),
          ['installation', 'name', 'type', 'problem', 'want', 'have'],
        );
        console.log(r.repaired ? `\n${r.repaired} repaired.` : '\nRepair with: freehold domains check --repair ' + r.domain);
      }
      if (r.drift.length && !r.repaired) process.exitCode = 1;
    });

  domains
    .command('export <domain>')
    .description("the zone's records as an octoDNS YamlProvider zone file")
    .option('--out <file>', 'write it to this file (default: standard output)')
    .action(async (domain, o) => {
      const yaml = await kit.client().request<string>('GET', path(domain, '/export'));
      if (o.out) {
        writeFileSync(o.out, yaml);
        console.error(`zone of ${domain} written to ${o.out}`);
      } else process.stdout.write(yaml);
    });

  domains
    .command('import <domain> <file>')
    .description("apply an octoDNS zone file's records to the domain's zone as one batch")
    .option('--dry-run', 'only show the changes')
    .option('--prune', "also delete the zone's records the file does not have (A, AAAA, CNAME, TXT, MX, SRV, CAA)")
    .action(async (domain, file, o) => {
      const r = await kit.client().request('POST', path(domain, '/import'), { yaml: readFileSync(file, 'utf8'), dryRun: Boolean(o.dryRun), prune: Boolean(o.prune) });
      if (kit.json()) return kit.print(r);
      for (const s of r.skipped) console.error(`skipped ${s.type} ${s.name || '@'}: Freehold does not manage ${s.type} records`);
      if (!r.changes.length) return console.log(`${r.domain}: the zone already has these records; nothing to change`);
      kit.table(r.changes.map(change), ['action', 'name', 'type', 'ttl', 'values']);
      console.log(r.applied ? `\n${r.changes.length} change(s) applied to ${r.zone}.` : `\n${r.changes.length} change(s) would be applied (dry run: nothing changed).`);
    });
}
