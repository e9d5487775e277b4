/** The `freehold` command. Thin: everything but up/doctor/validate goes through the HTTP API. */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { Client, ApiError } from './client.js';
import { defaultCatalogDirs, defaultDataDir } from './paths.js';
import { loadManifestFile, ManifestError } from '../manifest/parse.js';
import { addUpdateCommands } from './update-commands.js';
import { addNixosCommands } from './nixos-commands.js';
import { addSecretsCommands } from './secrets-commands.js';
import { addDomainCommands } from './domain-commands.js';
import { addCertificateCommands } from './certificate-commands.js';
import { addIpamCommands } from './ipam-commands.js';
import { addTofuCommands } from './tofu-commands.js';

const program = new Command('freehold').description('Install, keep and move self-hosted apps on your own domain and machines').version('0.1.0');
const client = () => Client.fromEnvironment(program.opts().dataDir);
const print = (v: unknown) => console.log(typeof v === 'string' ? v : JSON.stringify(v, null, 2));
const table = (rows: Record<string, unknown>[], cols: string[]) => {
  if (!rows.length) return console.log('(none)');
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  console.log(cols.map((c, i) => c.toUpperCase().padEnd(w[i])).join('  '));
  for (const r of rows) console.log(cols.map((c, i) => String(r[c] ?? '').padEnd(w[i])).join('  '));
};

// Loaded only by the commands that show progress, so that `up` stays small.
const followTask = async (...args: Parameters<typeof import('./progress.js').followTask>) => (await import('./progress.js')).followTask(...args);

/** Starts a task through the API and follows it; the exit status says whether it succeeded */
async function runTask(method: string, path: string, body: unknown, title: string | ((r: any) => string)) {
  const c = client();
  const r = await c.request(method, path, body);
  const done = await followTask(c, r.task.id, typeof title === 'string' ? title : title(r));
  if (done.status !== 'succeeded') process.exitCode = 1;
  return { r, done };
}

program.addOption(new Option('--data-dir <dir>', 'where Freehold keeps its state').default(defaultDataDir()));
program.option('--json', 'print JSON');

program
  .command('up')
  .description('start Freehold (API, reconcile loop) and its Caddy edge, with the embedded defaults')
  .option('--listen <address>', 'API address', '127.0.0.1')
  .option('--port <port>', 'API port', '8470')
  .option('--https-port <port>', 'HTTPS port of the edge', '443')
  .option('--http-port <port>', 'HTTP port of the edge', '80')
  .option('--catalog <dir...>', 'extra catalog directories')
  .option('--reconcile-interval <seconds>', 'seconds between drift checks', '30')
  .option('--schedule-interval <seconds>', 'seconds between checks for backups that are due', '60')
  .option('--health-interval <seconds>', 'seconds between health probes of the running apps', '30')
  .option('--unhealthy-after <seconds>', 'seconds an app may fail its health checks before an alert', '300')
  .option('--passphrase-file <file>', 'the passphrase that opens a sealed master key (or /dev/fd/N; else FREEHOLD_PASSPHRASE)')
  .action(async (o) => {
    const { up } = await import('./up.js');
    const server = await up({
      dataDir: program.opts().dataDir,
      catalogDirs: [...defaultCatalogDirs(), ...(o.catalog ?? []).map((d: string) => resolve(d))],
      listen: o.listen,
      port: Number(o.port),
      httpsPort: Number(o.httpsPort),
      httpPort: Number(o.httpPort),
      reconcileIntervalMs: Number(o.reconcileInterval) * 1000,
      scheduleIntervalMs: Number(o.scheduleInterval) * 1000,
      healthIntervalMs: Number(o.healthInterval) * 1000,
      unhealthyAfterMs: Number(o.unhealthyAfter) * 1000,
      passphraseFile: o.passphraseFile,
    });
    const stop = async () => {
      await server.close();
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

program
  .command('doctor')
  .description('check Podman, Caddy, ports and this machine\'s quirks, and say how to fix problems')
  .option('--https-port <port>', 'HTTPS port of the edge', '443')
  .option('--http-port <port>', 'HTTP port of the edge', '80')
  .action(async (o) => {
    const { doctor } = await import('./doctor.js');
    const checks = await doctor({ httpsPort: Number(o.httpsPort), httpPort: Number(o.httpPort), dataDir: program.opts().dataDir });
    for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}${c.ok || !c.fix ? '' : `\n      fix: ${c.fix}`}`);
    const failed = checks.filter((c) => !c.ok).length;
    console.log(failed ? `\n${failed} problem(s) found.` : '\nAll checks passed.');
    process.exitCode = failed ? 1 : 0;
  });

const catalog = program.command('catalog').description('apps that can be installed');
catalog
  .command('list')
  .description('list the apps in the catalog')
  .action(async () => {
    const r = await client().request('GET', '/api/catalog');
    if (program.opts().json) return print(r);
    table(r.apps.map((a: any) => ({ ...a, addons: a.addons.join(',') })), ['id', 'title', 'version', 'addons']);
    for (const p of r.problems) console.error(`warning: ${p.error}`);
  });
catalog
  .command('show <app>')
  .description('show an app and its manifest')
  .action(async (id) => print((await client().request('GET', `/api/catalog/${encodeURIComponent(id)}`)).manifest));
catalog
  .command('validate <manifest>')
  .description('check a manifest file and list every problem with its field path')
  .action((file) => {
    const m = loadManifestFile(resolve(file));
    console.log(`${file}: valid manifest for ${m.id} ${m.version} (package ${m.packageVersion})`);
  });

program
  .command('install <app>')
  .description('install an app')
  .requiredOption('--domain <name>', 'a name (becomes <name>.localhost) or a full domain')
  .option('--name <name>', 'installation name (default: first label of the domain)')
  .option('--app-version <version>', 'app version from the catalog (default: the newest)')
  .option('--set <key=value...>', 'configuration values', [])
  .option('--no-wait', 'return at once instead of following progress')
  .action(async (app, o) => {
    const c = client();
    const r = await c.request('POST', '/api/installations', { app, version: o.appVersion, domain: o.domain, name: o.name, set: o.set });
    if (!o.wait) return print(program.opts().json ? r : `install task ${r.task.id} started for ${r.installation.url}`);
    const done = await followTask(c, r.task.id, `Installing ${app} at ${r.installation.url}`);
    if (done.status !== 'succeeded') {
      console.error(`\nInstall failed and was ${done.status === 'rolled_back' ? 'rolled back (nothing is left behind)' : 'not rolled back completely'}: ${done.error}`);
      process.exitCode = 1;
    } else console.log(`\n${r.installation.name} is running at ${r.installation.url}`);
  });

program
  .command('list')
  .description('list installations')
  .action(async () => {
    const r = await client().request('GET', '/api/installations');
    if (program.opts().json) return print(r);
    table(r.installations.map((i: any) => ({ ...i, update: i.updateAvailable ?? '' })), ['name', 'app', 'version', 'status', 'update', 'url']);
  });

program
  .command('status <name>')
  .description('show an installation and its recent tasks')
  .action(async (name) => {
    const r = await client().request('GET', `/api/installations/${encodeURIComponent(name)}`);
    if (program.opts().json) return print(r);
    const i = r.installation;
    console.log(`${i.name}: ${i.app} ${i.version} (package ${i.packageVersion}) on host ${i.host}\n  status: ${i.status}\n  url:    ${i.url}\n  config: ${JSON.stringify(i.config)}\n\nrecent tasks:`);
    table(r.tasks.map((t: any) => ({ ...t, error: t.error ? t.error.split('\n')[0] : '' })), ['kind', 'status', 'percent', 'updatedAt', 'error']);
  });

program
  .command('configure <name>')
  .description("change an installation's configuration (the previous one comes back if the new one fails)")
  .requiredOption('--set <key=value...>', 'configuration values')
  .action(async (name, o) => {
    await runTask('PUT', `/api/installations/${encodeURIComponent(name)}/config`, { set: o.set }, `Configuring ${name}`);
  });

program
  .command('rename <name>')
  .description('give an installation another domain name: its route, DNS records and certificate follow (the previous name comes back if the new one fails)')
  .requiredOption('--domain <domain>', 'the new domain name (a bare name goes under .localhost)')
  .action(async (name, o) => {
    await runTask('PATCH', `/api/installations/${encodeURIComponent(name)}`, { domain: o.domain }, `Moving ${name} to ${o.domain}`);
  });

program
  .command('credentials <name>')
  .description("show the app's own sign-in credentials (e.g. its admin password)")
  .action(async (name) => {
    const r = await client().request('GET', `/api/installations/${encodeURIComponent(name)}/credentials`);
    if (program.opts().json) return print(r);
    const entries = Object.entries(r.secrets);
    if (!entries.length) console.log(`${name} has no sign-in credentials made by Freehold`);
    for (const [k, v] of entries) console.log(`${k}: ${v}`);
  });

program
  .command('logs <name>')
  .description("show an installation's logs")
  .option('-c, --component <component>', 'component (default: the first)')
  .option('-n, --tail <lines>', 'lines', '200')
  .action(async (name, o) => {
    const q = new URLSearchParams({ tail: o.tail, ...(o.component && { component: o.component }) });
    process.stdout.write(await client().request('GET', `/api/installations/${encodeURIComponent(name)}/logs?${q}`));
  });

program
  .command('plan [name]')
  .description('show what apply would change (every installation when no name is given)')
  .action(async (name) => {
    const c = client();
    const names = name ? [name] : (await c.request('GET', '/api/installations')).installations.map((i: any) => i.name);
    for (const n of names) {
      const r = await c.request('GET', `/api/installations/${encodeURIComponent(n)}/plan`);
      if (program.opts().json) print({ name: n, steps: r.steps });
      else if (!r.steps.length) console.log(`${n}: up to date`);
      else console.log(`${n}:\n${r.steps.map((s: any) => `  ${s.action.padEnd(7)} ${s.key}  (${s.reason})`).join('\n')}`);
    }
  });

program
  .command('apply <name>')
  .description('apply the plan of an installation')
  .action(async (name) => {
    await runTask('POST', `/api/installations/${encodeURIComponent(name)}/apply`, undefined, `Applying ${name}`);
  });

program
  .command('uninstall <name>')
  .description('remove an installation and everything it had (containers, route, databases, data)')
  .option('-y, --yes', 'do not ask for confirmation')
  .action(async (name, o) => {
    if (!o.yes) {
      if (!process.stdin.isTTY) throw new Error(`uninstall deletes ${name}'s data; add --yes to confirm`);
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question(`This deletes ${name} and ALL its data. Type the name to confirm: `);
      rl.close();
      if (answer.trim() !== name) throw new Error('not confirmed; nothing was removed');
    }
    await runTask('DELETE', `/api/installations/${encodeURIComponent(name)}`, undefined, `Uninstalling ${name}`);
  });

program
  .command('backup <name>')
  .description('take a snapshot of an installation now (its databases, data and config)')
  .action(async (name) => {
    await runTask('POST', `/api/installations/${encodeURIComponent(name)}/backups`, undefined, `Backing up ${name}`);
  });

program
  .command('backups <name>')
  .description("list an installation's snapshots")
  .action(async (name) => {
    const r = await client().request('GET', `/api/installations/${encodeURIComponent(name)}/backups`);
    if (program.opts().json) return print(r);
    table(r.snapshots.map((s: any) => ({ id: s.shortId, time: s.time, version: `${s.tags.version} (package ${s.tags.package})` })), ['id', 'time', 'version']);
  });

program
  .command('restore <name> <snapshot>')
  .description('restore an installation to one of its snapshots (its current data is replaced)')
  .action(async (name, snapshot) => {
    await runTask('POST', `/api/installations/${encodeURIComponent(name)}/restore`, { snapshot }, `Restoring ${name} to ${snapshot}`);
  });

program
  .command('clone <name> <snapshot>')
  .description('make a new installation with the data of one of its snapshots')
  .requiredOption('--domain <name>', 'the new installation\'s domain (a name becomes <name>.localhost)')
  .option('--name <name>', 'installation name (default: first label of the domain)')
  .action(async (name, snapshot, o) => {
    const { r, done } = await runTask('POST', `/api/installations/${encodeURIComponent(name)}/clone`, { snapshot, domain: o.domain, name: o.name }, (r) => `Cloning ${name} (${snapshot}) to ${r.installation.url}`);
    if (done.status === 'succeeded') console.log(`\n${r.installation.name} is running at ${r.installation.url}`);
  });

program
  .command('backup-policy <name>')
  .description("show or change an installation's backup schedule and retention")
  .option('--every <minutes>', 'minutes between snapshots (1440 = daily)')
  .option('--keep-last <n>', 'keep the n newest snapshots')
  .option('--keep-daily <n>', 'keep the newest snapshot of each of the last n days')
  .option('--keep-weekly <n>', 'keep the newest snapshot of each of the last n weeks')
  .option('--keep-monthly <n>', 'keep the newest snapshot of each of the last n months')
  .option('--off', 'no scheduled snapshots')
  .option('--on', 'scheduled snapshots')
  .action(async (name, o) => {
    const c = client();
    const keep = Object.fromEntries(
      (['last', 'daily', 'weekly', 'monthly'] as const).filter((k) => o[`keep${k[0].toUpperCase()}${k.slice(1)}`] !== undefined).map((k) => [k, Number(o[`keep${k[0].toUpperCase()}${k.slice(1)}`])]),
    );
    const patch = { ...(o.every !== undefined && { everyMinutes: Number(o.every) }), ...(Object.keys(keep).length && { keep }), ...(o.off && { enabled: false }), ...(o.on && { enabled: true }) };
    const path = `/api/installations/${encodeURIComponent(name)}/backup-policy`;
    const r = Object.keys(patch).length ? await c.request('PUT', path, patch) : await c.request('GET', path);
    if (program.opts().json) return print(r);
    const p = r.policy;
    console.log(`${name}: ${p.enabled ? `a snapshot every ${p.everyMinutes} minutes` : 'no scheduled snapshots'}; keep ${Object.entries(p.keep).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ')}`);
  });

addUpdateCommands(program, { client, print, table, json: () => program.opts().json, runTask });
addNixosCommands(program);
addSecretsCommands(program);
addDomainCommands(program, { client, print, table, json: () => program.opts().json });
addCertificateCommands(program, { client, print, table, json: () => program.opts().json });
addTofuCommands(program);
addIpamCommands(program, { client, print, table, json: () => program.opts().json });

program
  .command('backups-check [target]')
  .description("check a backup target's repository for integrity (default: local)")
  .action(async (target = 'local') => {
    await runTask('POST', `/api/backup-targets/${encodeURIComponent(target)}/check`, undefined, `Checking backup target ${target}`);
  });

program
  .command('tasks')
  .description('recent tasks')
  .option('--installation <name>')
  .action(async (o) => {
    const r = await client().request('GET', `/api/tasks${o.installation ? `?installation=${encodeURIComponent(o.installation)}` : ''}`);
    if (program.opts().json) return print(r);
    table(r.tasks, ['id', 'kind', 'status', 'percent', 'message']);
  });

// Backup targets: where an installation's snapshots go.
const targets = program.command('targets').description('where snapshots go (local disk, SFTP, S3)');
const targetAdded = (r: any) => (program.opts().json ? print(r) : console.log(`backup target ${r.target.name} added: ${r.target.repo}`));
targets
  .command('list')
  .description('list backup targets and the installations that use them')
  .action(async () => {
    const r = await client().request('GET', '/api/backup-targets');
    if (program.opts().json) return print(r);
    table(r.targets.map((t: any) => ({ ...t, installations: t.installations.join(',') })), ['name', 'kind', 'repo', 'installations']);
  });
targets
  .command('add-sftp <name>')
  .description('add a restic repository reached over SFTP (SSH key authentication)')
  .requiredOption('--host <host>', 'SSH server')
  .option('--port <port>', 'SSH port', '22')
  .requiredOption('--user <user>', 'SSH user')
  .requiredOption('--path <path>', 'repository directory on the server')
  .requiredOption('--key-file <file>', 'SSH private key (without passphrase); Freehold keeps a sealed copy')
  .option('--password-file <file>', 'file holding the password of an existing repository (default: a new password is generated)')
  .action(async (name, o) => {
    const { readFileSync } = await import('node:fs');
    const password = o.passwordFile ? readFileSync(o.passwordFile, 'utf8').trim() : undefined;
    const body = { name, kind: 'sftp', host: o.host, port: Number(o.port), user: o.user, path: o.path, privateKey: readFileSync(o.keyFile, 'utf8'), password };
    targetAdded(await client().request('POST', '/api/backup-targets', body));
  });
targets
  .command('add-s3 <name>')
  .description('add a restic repository in an S3 bucket')
  .requiredOption('--endpoint <url>', 'S3 service URL, e.g. https://s3.example.org')
  .requiredOption('--bucket <bucket>', 'bucket name')
  .requiredOption('--access-key <id>', 'access key id')
  .option('--secret-key <secret>', 'secret access key (default: $FREEHOLD_S3_SECRET_KEY, which stays out of the shell history)')
  .option('--ca-cert <file>', "CA certificate (PEM) of the endpoint, when it is not a public one")
  .option('--password-file <file>', 'file holding the password of an existing repository (default: a new password is generated)')
  .action(async (name, o) => {
    const { readFileSync } = await import('node:fs');
    const password = o.passwordFile ? readFileSync(o.passwordFile, 'utf8').trim() : undefined;
    const body = { name, kind: 's3', endpoint: o.endpoint, bucket: o.bucket, accessKey: o.accessKey, secretKey: o.secretKey ?? process.env.FREEHOLD_S3_SECRET_KEY, caCert: o.caCert ? readFileSync(o.caCert, 'utf8') : undefined, password };
    targetAdded(await client().request('POST', '/api/backup-targets', body));
  });
targets
  .command('remove <name>')
  .description('remove a backup target no installation uses (its repository and snapshots are left as they are)')
  .action(async (name) => {
    await client().request('DELETE', `/api/backup-targets/${encodeURIComponent(name)}`);
    console.log(`backup target ${name} removed`);
  });
program
  .command('backup-target <installation> <target>')
  .description('choose where an installation is backed up (its earlier snapshots stay where they are)')
  .action(async (installation, target) => {
    const r = await client().request('PUT', `/api/installations/${encodeURIComponent(installation)}/backup-target`, { target });
    console.log(`${r.installation} is now backed up to ${r.target}`);
  });

// Alerts: events (what went wrong) and the channels they are sent to.
program
  .command('events')
  .description('recent events: failed installs, updates, backups, restores... (newest first)')
  .option('--installation <name>', 'only the events of this installation')
  .option('--limit <n>', 'at most this many', '50')
  .action(async (o) => {
    const q = new URLSearchParams({ limit: String(Number(o.limit)) });
    if (o.installation) q.set('installation', o.installation);
    const r = await client().request('GET', `/api/events?${q}`);
    if (program.opts().json) return print(r);
    table(r.events.map((e: any) => ({ ...e, installation: e.installation ?? '-', message: String(e.message).split('\n')[0] })), ['at', 'severity', 'kind', 'installation', 'message']);
  });
const alerts = program.command('alerts').description('where events are sent (webhook, email)');
const channelAdded = (r: any) => (program.opts().json ? print(r) : console.log(`alert channel ${r.channel.name} (${r.channel.kind}) added; try: freehold alerts test ${r.channel.name}`));
alerts
  .command('list')
  .description('list alert channels (never their passwords)')
  .action(async () => {
    const r = await client().request('GET', '/api/alert-channels');
    if (program.opts().json) return print(r);
    const where = (c: any) => (c.kind === 'webhook' ? c.config.url : `${c.config.to} via ${c.config.host}:${c.config.port}`);
    table(r.channels.map((c: any) => ({ ...c, target: where(c) })), ['name', 'kind', 'target']);
  });
alerts
  .command('add-webhook <name>')
  .description('POST each event as JSON ({event}) to a URL')
  .requiredOption('--url <url>', 'http(s) URL')
  .action(async (name, o) => channelAdded(await client().request('POST', '/api/alert-channels', { name, kind: 'webhook', url: o.url })));
alerts
  .command('add-email <name>')
  .description('mail each event through an SMTP server')
  .requiredOption('--host <host>', 'SMTP server')
  .requiredOption('--port <port>', 'SMTP port (587 with STARTTLS, 465 with --secure)')
  .option('--secure', 'TLS from the start (port 465)')
  .requiredOption('--from <address>', 'sender')
  .requiredOption('--to <addresses>', 'recipients, separated by commas')
  .option('--user <user>', 'SMTP user')
  .option('--password-env <VAR>', 'environment variable holding the SMTP password (keeps it out of the shell history)')
  .action(async (name, o) => {
    let password: string | undefined;
    if (o.passwordEnv) {
      password = process.env[o.passwordEnv];
      if (!password) throw new Error(`environment variable ${o.passwordEnv} is not set`);
    }
    const body = { name, kind: 'email', host: o.host, port: Number(o.port), secure: Boolean(o.secure), from: o.from, to: o.to, user: o.user, password };
    channelAdded(await client().request('POST', '/api/alert-channels', body));
  });
alerts
  .command('remove <name>')
  .description('remove an alert channel')
  .action(async (name) => {
    await client().request('DELETE', `/api/alert-channels/${encodeURIComponent(name)}`);
    console.log(`alert channel ${name} removed`);
  });
alerts
  .command('test <name>')
  .description('send a test event to one channel')
  .action(async (name) => {
    const r = await client().request('POST', `/api/alert-channels/${encodeURIComponent(name)}/test`);
    if (program.opts().json) return print(r);
    console.log(`test event sent to ${name}`);
  });

export async function main(argv = process.argv) {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof ManifestError) console.error(err.message);
    else if (err instanceof ApiError) {
      console.error(`error: ${err.message}`);
      for (const d of err.details ?? []) console.error(`  - ${d.path}: ${d.message}`);
    } else console.error(`error: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
