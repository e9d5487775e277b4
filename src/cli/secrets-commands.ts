/**
 * `freehold secrets ...`: how the master key is sealed. Local commands on the data directory
 * (like `doctor`): they open the keyring themselves, so they work while the control plane is
 * stopped, which is when sealing is set up. Nothing secret is ever printed.
 *
 *   freehold secrets status                         the key slots; whether the key is sealed
 *   freehold secrets check                          opens the master key as `freehold up` would
 *   freehold secrets seal passphrase                a passphrase (asked twice on a terminal, or
 *                                                   --new-passphrase-file, or FREEHOLD_NEW_PASSPHRASE)
 *   freehold secrets seal tpm [--tcti] [--pcrs]     the TPM (tpm2-tools)
 *   freehold secrets seal tang <url...> [-t N]      Tang servers through clevis, N of them needed
 *   freehold secrets remove-method <id>             removes a key slot (never the last)
 *   freehold secrets rotate-master-key              a new master key, every slot sealed again
 * To open a sealed key they use the same sources as `up`: FREEHOLD_PASSPHRASE, or
 * `--passphrase-file <file>` (also /dev/fd/N), or FREEHOLD_PASSPHRASE_FILE.
 *
 * The secrets backend is a setting of the running control plane, so these go through the HTTP
 * API like the other non-local commands:
 *   freehold secrets backend                        the backend in use (never its token)
 *   freehold secrets backend set openbao --url U --token-file F [--mount M] [--prefix P] ...
 *   freehold secrets backend set builtin            back to the built-in store
 *   freehold secrets rotate <installation> <secret> a new version of a generated secret; what
 *                                                   uses it is re-created (a task, followed)
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { Client } from './client.js';
import type { CliKit } from './update-commands.js';

async function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new Error('no terminal to ask for the new passphrase: give it with --new-passphrase-file <file> or FREEHOLD_NEW_PASSPHRASE');
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  let text = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            return resolve(text);
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            return reject(new Error('cancelled'));
          }
          if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('');
          else text += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

async function newPassphrase(file?: string): Promise<string> {
  if (file) return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  const env = process.env.FREEHOLD_NEW_PASSPHRASE;
  delete process.env.FREEHOLD_NEW_PASSPHRASE;
  if (env !== undefined) return env;
  const a = await promptHidden('New passphrase: ');
  const b = await promptHidden('Again: ');
  if (a !== b) throw new Error('the two passphrases differ');
  return a;
}

/** The backend in a line or two (never a token: the API has none to give) */
function describeBackend(b: { kind: string; settings: Record<string, unknown>; configuredAt: string | null }): string {
  const settings = Object.entries(b.settings)
    .filter(([k, v]) => k !== 'kind' && v !== null && v !== undefined && v !== false)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `secrets backend: ${b.kind}${settings ? ` (${settings})` : ''}${b.configuredAt ? `, set ${b.configuredAt}` : ', the default'}`;
}

/** The OpenBao token from a file (first line) or $FREEHOLD_OPENBAO_TOKEN; never from the command line */
function openbaoToken(file: string | undefined): string | undefined {
  if (file) {
    const token = readFileSync(file, 'utf8').split('\n')[0].trim();
    if (!token) throw new Error(`${file} holds no token`);
    return token;
  }
  return process.env.FREEHOLD_OPENBAO_TOKEN || undefined;
}

export function addSecretsCommands(program: Command, kit?: Pick<CliKit, 'client' | 'print' | 'json'>) {
  const dataDir = () => program.opts().dataDir as string;
  const client = kit?.client ?? (() => Client.fromEnvironment(dataDir()));
  const json = kit?.json ?? (() => Boolean(program.opts().json));
  const print = kit?.print ?? ((v: unknown) => console.log(JSON.stringify(v, null, 2)));
  const secrets = program
    .command('secrets')
    .description('how the master key is sealed (passphrase, TPM, Tang; run while freehold is stopped), and the secrets backend (through the running freehold)')
    .option('--passphrase-file <file>', 'read the passphrase that opens the master key from this file (or /dev/fd/N)');

  const open = async () => {
    const { openMasterKey, passphraseSource } = await import('../secrets/master-key.js');
    return openMasterKey(dataDir(), { passphrase: passphraseSource({ file: secrets.opts().passphraseFile }), log: (m) => console.error(m) });
  };

  secrets
    .command('status')
    .description('show the ways the master key can be opened')
    .action(async () => {
      const { keyringStatus } = await import('../secrets/master-key.js');
      const s = keyringStatus(dataDir());
      if (program.opts().json) return console.log(JSON.stringify(s, null, 2));
      if (!s.initialized) return console.log(`no keyring yet in ${dataDir()}: it is made when freehold starts${s.legacyKeyFile ? ' (from master.key)' : ''}`);
      console.log(s.sealed ? 'The master key is sealed.' : 'The master key is NOT sealed: seal it with "freehold secrets seal passphrase|tpm|tang".');
      for (const slot of s.slots) console.log(`  ${String(slot.id).padStart(3)}  ${slot.kind.padEnd(10)}  ${slot.description}  (added ${slot.createdAt})`);
      if (s.legacyKeyFile) console.log('warning: master.key is still in the data directory');
    });

  secrets
    .command('check')
    .description('open the master key as "freehold up" would, and say how')
    .action(async () => {
      const mk = await open();
      console.log(
        mk.sealed
          ? `the master key opens with ${mk.unlockedBy}`
          : 'the master key is not sealed (it is in the clear in secrets.db): seal it with "freehold secrets seal passphrase|tpm|tang"',
      );
      mk.close();
    });

  const seal = secrets.command('seal').description('seal the master key one more way (removes the unsealed copy)');
  const added = (id: number, what: string) => console.log(`master key sealed with ${what} (key slot ${id}); see "freehold secrets status"`);

  seal
    .command('passphrase')
    .description('with a passphrase (scrypt)')
    .option('--new-passphrase-file <file>', 'read the new passphrase from this file instead of asking')
    .action(async (o: { newPassphraseFile?: string }) => {
      const { addSealing } = await import('../secrets/master-key.js');
      const passphrase = await newPassphrase(o.newPassphraseFile);
      const mk = await open();
      try {
        added(await addSealing(mk, 'passphrase', { passphrase }), 'a passphrase');
      } finally {
        mk.close();
      }
    });

  seal
    .command('tpm')
    .description("with this machine's TPM 2.0 (tpm2-tools)")
    .option('--tcti <tcti>', 'which TPM, e.g. device:/dev/tpmrm0 (default: the tools\' default)')
    .option('--pcrs <list>', 'bind to PCR values, e.g. sha256:7 (reseal after firmware or boot changes)')
    .action(async (o: { tcti?: string; pcrs?: string }) => {
      const { addSealing } = await import('../secrets/master-key.js');
      const mk = await open();
      try {
        added(await addSealing(mk, 'tpm', { tcti: o.tcti, pcrs: o.pcrs }), 'the TPM');
      } finally {
        mk.close();
      }
    });

  seal
    .command('tang <url...>')
    .description('with Tang servers through clevis (url or url#thumbprint); --threshold of them must answer')
    .option('-t, --threshold <n>', 'how many servers must answer to open it', '1')
    .action(async (urls: string[], o: { threshold: string }) => {
      const { addSealing } = await import('../secrets/master-key.js');
      const mk = await open();
      try {
        const id = await addSealing(mk, 'tang', { servers: urls, threshold: Number(o.threshold) });
        const slot = mk.keyring.slots().find((s) => s.id === id)!;
        added(id, `${o.threshold} of ${urls.length} Tang server(s)`);
        for (const s of (slot.params as { servers: { url: string; thp: string }[] }).servers)
          console.log(`  ${s.url}  signing key ${s.thp} (check it with tang-show-keys on the server)`);
      } finally {
        mk.close();
      }
    });

  secrets
    .command('remove-method <id>')
    .description('remove a way of opening the master key (see status for ids; never the last one)')
    .action(async (id: string) => {
      const { removeSealing } = await import('../secrets/master-key.js');
      const mk = await open();
      try {
        removeSealing(mk, Number(id));
        console.log(`key slot ${id} removed`);
      } finally {
        mk.close();
      }
    });

  secrets
    .command('rotate-master-key')
    .description('make a new master key and seal it every way the old one was (secrets are re-wrapped, not re-encrypted)')
    .action(async () => {
      const { rotateMasterKey } = await import('../secrets/master-key.js');
      const mk = await open();
      try {
        const r = await rotateMasterKey(mk);
        console.log(`new master key ${r.masterKeyId}, sealed ${r.slots} way(s); restart freehold if it is running`);
      } finally {
        mk.close();
      }
    });

  secrets
    .command('rotate <installation> <secret>')
    .description("make a new version of one of an installation's generated secrets (a random string or a key pair, as its manifest says) and re-create the containers that use it; the previous value comes back if the app fails with the new one")
    .option('--no-wait', 'return at once instead of following progress')
    .action(async (installation: string, secret: string, o: { wait: boolean }) => {
      const c = client();
      const r = await c.request('POST', `/api/installations/${encodeURIComponent(installation)}/secrets/${encodeURIComponent(secret)}/rotate`);
      if (json() || !o.wait) return print(r);
      const { followTask } = await import('./progress.js');
      const done = await followTask(c, r.task.id, `Rotating secret ${secret} of ${installation}`);
      if (done.status !== 'succeeded') process.exitCode = 1;
    });

  const backend = secrets
    .command('backend')
    .description('the secrets backend in use (builtin or OpenBao; never its token); "set" changes it')
    .action(async () => {
      const r = await client().request('GET', '/api/secrets/backend');
      if (json()) return print(r);
      console.log(describeBackend(r.backend));
    });

  backend
    .command('set <kind>')
    .description('use another secrets backend: builtin, or openbao (checked first: reachable, the token works); nothing is moved from the previous one')
    .option('--url <url>', 'openbao: base URL, e.g. https://bao.example.org:8200')
    .option('--token-file <file>', 'openbao: file holding the token (first line; default $FREEHOLD_OPENBAO_TOKEN); Freehold keeps it sealed')
    .option('--mount <path>', 'openbao: KV version 2 mount (default secret)')
    .option('--prefix <path>', "openbao: folder of Freehold's secrets in the mount (default freehold)")
    .option('--namespace <ns>', 'openbao: namespace')
    .option('--ca-cert-file <file>', "openbao: PEM file of the CA that signed the server's certificate")
    .option('--timeout <ms>', 'openbao: milliseconds to wait for an answer (default 10000)')
    .option('--no-verify', 'keep it without checking it')
    .action(async (kind: string, o: { url?: string; tokenFile?: string; mount?: string; prefix?: string; namespace?: string; caCertFile?: string; timeout?: string; verify: boolean }) => {
      const body: Record<string, unknown> = { kind, verify: o.verify };
      if (kind === 'openbao') {
        const set = (k: string, v: unknown) => v !== undefined && (body[k] = v);
        set('url', o.url);
        set('token', openbaoToken(o.tokenFile));
        set('mount', o.mount);
        set('prefix', o.prefix);
        set('namespace', o.namespace);
        set('caCert', o.caCertFile && readFileSync(o.caCertFile, 'utf8'));
        set('timeoutMs', o.timeout && Number(o.timeout));
      }
      const r = await client().request('PUT', '/api/secrets/backend', body);
      if (json()) return print(r);
      console.log(describeBackend(r.backend));
      for (const n of r.notes ?? []) console.log(`note: ${n}`);
    });
}
