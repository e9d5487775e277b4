// `freehold nixos-schema`: the command as a person runs it (a child process), local, no API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { Ajv } from 'ajv';

const ROOT = new URL('../..', import.meta.url).pathname;
const FIXTURES = 'test/fixtures/nixos';

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A data directory that does not exist: the command must not need the control plane.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--data-dir', '/nonexistent/freehold', ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

test('nixos-schema prints schema, renames, removed and warnings', { timeout: 60_000 }, async () => {
  const r = await cli(['nixos-schema', `${FIXTURES}/options-nextcloud.json`, '--prefix', 'services.nextcloud', '--module', `${FIXTURES}/modules/nextcloud.nix`]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ['schema', 'renames', 'removed', 'warnings']);
  assert.equal(out.schema.properties.maxUploadSize.default, '512M');
  assert.doesNotThrow(() => new Ajv({ strict: false, useDefaults: true }).compile(out.schema));
  assert.equal(out.renames.length, 10);
  assert.deepEqual(out.renames[0], { from: 'cron.memoryLimit', to: 'cli.memoryLimit' });
  assert.deepEqual(out.removed.map((x: { option: string }) => x.option), ['enableBrokenCiphersForSSE', 'config.dbport']);
  assert.equal(out.warnings.length, 3);
  assert.match(out.warnings[2], /^rename services\.nextcloud\.globalProfiles -> services\.nextcloud\.settings\."profile\.enabled" not carried over/);
});

test('nixos-schema --out writes the file (YAML with --yaml) and says what it wrote', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fh-nixos-'));
  try {
    const file = join(dir, 'mastodon.yaml');
    const r = await cli(['nixos-schema', `${FIXTURES}/options-mastodon.json`, '--prefix', 'services.mastodon', '--module', `${FIXTURES}/modules/mastodon.nix`, '--out', file, '--yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /mastodon\.yaml: \d+ options and groups under services\.mastodon, 0 renames, 2 removed, 0 warnings/);
    const out = YAML.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(out.schema.required, ['localDomain', 'smtp', 'streamingProcesses']);
    assert.deepEqual(out.removed[0], { option: 'streamingPort', message: "Mastodon currently doesn't support streaming via TCP ports. Please open a PR if you need this." });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nixos-schema on bad input: a clear message and a non-zero exit', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fh-nixos-'));
  try {
    const broken = join(dir, 'options.json');
    writeFileSync(broken, JSON.stringify({ 'services.x.port': { loc: ['services', 'x', 'port'], type: 16 } }));
    const cases: Array<[string[], RegExp]> = [
      [[`${FIXTURES}/missing.json`, '--prefix', 'services.x'], /error: cannot read options file .*missing\.json: no such file/],
      [[broken, '--prefix', 'services.x'], /error: .*options\.json: option "services\.x\.port": "type" must be the description of the option's type \(a string\), not number 16/],
      [[`${FIXTURES}/options-radicale.json`, '--prefix', 'services.nextcloud'], /error: no option under "services\.nextcloud"/],
      [[`${FIXTURES}/options-radicale.json`, '--prefix', 'services..radicale'], /error: --prefix "services\.\.radicale" is not an option path/],
      [[`${FIXTURES}/options-radicale.json`], /error: required option '--prefix <path>' not specified/],
      [[`${FIXTURES}/options-radicale.json`, '--prefix', 'services.radicale', '--module', `${FIXTURES}/modules/none.nix`], /error: cannot read module .*none\.nix: no such file/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(['nixos-schema', ...args])));
    for (const [i, [args, message]] of cases.entries()) {
      const r = results[i];
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
