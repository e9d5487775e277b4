// Domains through the HTTP API and the CLI of a running control plane, with a real Knot server
// (RFC 2136) and a real PowerDNS server: add (secrets from files), list, records, check,
// octoDNS export from Knot and import into PowerDNS (dry run first), remove; field-path
// answers to bad input, 401 without the token; and no secret anywhere: not in an API answer,
// not in the CLI's output, not in the control plane's log, not in clear in its data directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TestFreehold } from './helpers/freehold.js';
import { startKnot, startPowerDns, type Knot, type PowerDns } from './helpers/dns-servers.js';
import { run } from '../src/lib/spawn.js';

const ROOT = new URL('..', import.meta.url).pathname;
let fh: TestFreehold;
let knot: Knot;
let pdns: PowerDns;
let scratch: string;
const answers: unknown[] = [];
const outputs: string[] = [];

before(async () => {
  [fh, knot, pdns] = await Promise.all([TestFreehold.start(), startKnot({ zones: ['example.test'] }), startPowerDns({ zones: ['example.test'] })]);
  scratch = mkdtempSync(join(tmpdir(), 'freehold-dns-api-'));
});
after(async () => {
  await Promise.all([fh?.stop(), knot?.stop(), pdns?.stop()]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--data-dir', fh.dataDir, ...args], { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => (outputs.push(out), resolve({ code: code ?? 1, out })));
  });
}
const api = async (method: string, path: string, body?: unknown) => {
  const r = await fh.request(method, path, body);
  answers.push(r);
  return r;
};

test('401 without the token; 400 with field paths for bad input', async () => {
  const res = await fetch(`${fh.client.url}/api/domains`);
  assert.equal(res.status, 401);
  await assert.rejects(api('POST', '/api/domains', { name: 'example.test', provider: 'rfc2136', ttl: 'long', extra: 1 }), (err: any) => {
    assert.equal(err.status, 400);
    assert.deepEqual(err.details.map((d: any) => d.path).sort(), ['extra', 'ttl']);
    return true;
  });
  await assert.rejects(api('POST', '/api/domains', { name: 'bad name', provider: 'rfc2136', server: '127.0.0.1:99999', tsigSecret: 'not base64!' }), (err: any) => {
    assert.equal(err.status, 400);
    assert.deepEqual(err.details.map((d: any) => d.path).sort(), ['name', 'server', 'tsigName', 'tsigSecret']);
    assert.match(err.message, /server must be host, host:port or \[IPv6\]:port/);
    return true;
  });
});

test('CLI: add with a wrong TSIG secret is refused with the fix; with the right one, the domain is kept', async () => {
  const bad = join(scratch, 'bad.secret');
  writeFileSync(bad, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  const refused = await cli(['domains', 'add', 'example.test', '--provider', 'rfc2136', '--server', knot.server, '--tsig-name', knot.keyName, '--tsig-secret-file', bad]);
  assert.equal(refused.code, 1, refused.out);
  assert.match(refused.out, /error: rfc2136 \(zone example\.test\): the server refused the TSIG key 'freehold-test' \(BADSIG\): check the key name, algorithm \(hmac-sha256\) and secret/);

  const file = join(scratch, 'tsig.secret');
  writeFileSync(file, knot.secret + '\n', { mode: 0o600 });
  const added = await cli(['domains', 'add', 'example.test', '--provider', 'rfc2136', '--server', knot.server, '--tsig-name', knot.keyName, '--tsig-secret-file', file]);
  assert.equal(added.code, 0, added.out);
  assert.match(added.out, /domain example\.test added \(rfc2136, zone example\.test\)/);
  const again = await cli(['domains', 'add', 'example.test', '--provider', 'rfc2136', '--server', knot.server, '--tsig-name', knot.keyName, '--tsig-secret-file', file]);
  assert.equal(again.code, 1);
  assert.match(again.out, /already configured/);

  // PowerDNS with the API key from the environment, for a domain of the same name in another zone list
  const pd = await cli(['domains', 'add', 'copy.example.test', '--zone', 'example.test', '--provider', 'powerdns', '--url', pdns.url], { FREEHOLD_PDNS_API_KEY: pdns.apiKey });
  assert.equal(pd.code, 0, pd.out);

  const list = await cli(['domains', 'list']);
  assert.match(list.out, new RegExp(`example\\.test\\s+example\\.test\\s+rfc2136\\s+http-01\\s+server=127\\.0\\.0\\.1:${knot.port} tsigName=freehold-test tsigAlgorithm=hmac-sha256`));
  assert.match(list.out, /copy\.example\.test\s+example\.test\s+powerdns\s+http-01\s+url=http:\/\/127\.0\.0\.1:\d+ serverId=localhost/);
  const { domains } = await api('GET', '/api/domains');
  assert.deepEqual(domains.map((d: any) => d.name), ['copy.example.test', 'example.test']);
});

test('CLI: records, check, octoDNS export from Knot and import into PowerDNS (dry run first)', async () => {
  const script = [`server 127.0.0.1 ${knot.port}`, 'zone example.test.', `key hmac-sha256:${knot.keyName} ${knot.secret}`, 'update add www.example.test. 300 A 192.0.2.80', 'update add example.test. 3600 TXT "v=spf1 -all"', 'send', 'quit', ''].join('\n');
  await run(['knsupdate', '-v'], { stdin: script });
  const records = await cli(['domains', 'records', 'example.test']);
  assert.equal(records.code, 0, records.out);
  assert.match(records.out, /^www\s+A\s+300\s+192\.0\.2\.80\s*$/m);
  assert.match(records.out, /^@\s+TXT\s+3600\s+v=spf1 -all\s*$/m);

  const check = await cli(['domains', 'check', 'example.test']);
  assert.equal(check.code, 0, check.out);
  assert.match(check.out, /every installation's records are as they should be/);
  assert.deepEqual(await api('POST', '/api/domains/example.test/check', { repair: true }), { domain: 'example.test', drift: [], repaired: 0 });

  const file = join(scratch, 'example.test.yaml');
  const exported = await cli(['domains', 'export', 'example.test', '--out', file]);
  assert.equal(exported.code, 0, exported.out);
  assert.match(readFileSync(file, 'utf8'), /^---\n'':\n {2}ttl: 3600\n {2}type: TXT\n {2}value: v=spf1 -all\n/);

  const dry = await cli(['domains', 'import', 'copy.example.test', file, '--dry-run']);
  assert.equal(dry.code, 0, dry.out);
  assert.match(dry.out, /^create\s+www\s+A\s+300\s+192\.0\.2\.80/m);
  assert.match(dry.out, /change\(s\) would be applied \(dry run: nothing changed\)/);
  assert.deepEqual((await api('GET', '/api/domains/copy.example.test/records')).records, []);

  const imported = await cli(['domains', 'import', 'copy.example.test', file]);
  assert.equal(imported.code, 0, imported.out);
  assert.match(imported.out, /change\(s\) applied to example\.test\./);
  assert.deepEqual((await api('GET', '/api/domains/copy.example.test/records')).records, (await api('GET', '/api/domains/example.test/records')).records);
  const exportedAgain = await fh.client.request<string>('GET', '/api/domains/copy.example.test/export');
  assert.equal(exportedAgain, readFileSync(file, 'utf8'));
});

test('CLI: a domain changed (TTL, challenge); nothing to change is refused', async () => {
  const set = await cli(['domains', 'set', 'example.test', '--ttl', '120', '--challenge', 'dns-01']);
  assert.equal(set.code, 0, set.out);
  assert.match(set.out, /domain example\.test changed \(rfc2136, TTL 120, dns-01\)/);
  const nothing = await cli(['domains', 'set', 'example.test']);
  assert.equal(nothing.code, 1);
  assert.match(nothing.out, /nothing to change/);
  await assert.rejects(api('PATCH', '/api/domains/example.test', { name: 'other.test' }), (err: any) => err.status === 400);
  const { domain } = await api('PATCH', '/api/domains/example.test', { challenge: 'http-01' });
  assert.equal(domain.challenge, 'http-01');
});

test('remove: 204, then 404', async () => {
  const removed = await cli(['domains', 'remove', 'copy.example.test']);
  assert.equal(removed.code, 0, removed.out);
  await assert.rejects(api('GET', '/api/domains/copy.example.test/records'), (err: any) => err.status === 404);
});

test('no secret anywhere: API answers, CLI output, the control plane log, the data directory', async () => {
  answers.push(await api('GET', '/api/domains'));
  answers.push(await fh.client.request('GET', '/docs/json'));
  const secrets = [knot.secret, pdns.apiKey];
  const keys = (v: unknown): string[] => (v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [...(Array.isArray(v) ? [] : [k]), ...keys(x)]) : []);
  for (const a of answers.slice(0, -1)) for (const k of keys(a)) assert.doesNotMatch(k, /secret|token|apiKey|password/i, JSON.stringify(a));
  const texts = [...answers.map((a) => JSON.stringify(a)), ...outputs, fh.output];
  const files = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? files(join(d, n)) : [join(d, n)]));
  for (const f of files(fh.dataDir)) if (statSync(f).size < 50_000_000 && !/\.sock$/.test(f)) texts.push(readFileSync(f).toString('latin1'));
  for (const s of secrets) for (const t of texts) assert.ok(!t.includes(s), `a secret appears in: ${t.slice(0, 200)}`);
});
