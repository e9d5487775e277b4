// Renames from NixOS module sources (real nixpkgs files in test/fixtures/nixos/modules), checked
// against what the NixOS evaluator itself lists (test/fixtures/nixos/renames-*.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseRenames, renamesToManifest, type NixRename } from './renames.js';
import { optionsToSchema, parseOptionsJson } from './options-schema.js';
import { validateManifest } from '../manifest/parse.js';

const FIXTURES = new URL('../../test/fixtures/nixos/', import.meta.url);
const text = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
const scan = (module: string) => parseRenames(text(`modules/${module}.nix`), `${module}.nix`);
const essentials = (rs: Array<Pick<NixRename, 'kind' | 'from' | 'to' | 'message'>>) => rs.map(({ kind, from, to, message }) => ({ kind, from, to, message }));

for (const service of ['nextcloud', 'mastodon', 'radicale']) {
  test(`${service}.nix gives exactly the renames the NixOS evaluator lists (renames-${service}.json)`, async () => {
    const expected = JSON.parse(text(`renames-${service}.json`));
    const { renames, warnings } = await scan(service);
    assert.deepEqual(essentials(renames), essentials(expected));
    assert.deepEqual(warnings, []);
  });
}

test('where each call is, and which lib function made it', async () => {
  const { renames } = await scan('mastodon');
  assert.deepEqual(
    renames.map((r) => [r.helper, r.at]),
    [
      ['mkRemovedOptionModule', '284:6'],
      ['mkRemovedOptionModule', '289:6'],
    ],
  );
});

test('helpers bound in the file (let top = x: [ ... ]) are evaluated', async () => {
  const { renames, warnings } = await scan('privoxy');
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    renames.map((r) => [r.kind, r.from.join('.'), r.to?.join('.') ?? null]),
    [
      ['renamed', 'services.privoxy.enableEditActions', 'services.privoxy.settings.enable-edit-actions'],
      ['renamed', 'services.privoxy.listenAddress', 'services.privoxy.settings.listen-address'],
      ['renamed', 'services.privoxy.actionsFiles', 'services.privoxy.settings.actionsfile'],
      ['renamed', 'services.privoxy.filterFiles', 'services.privoxy.settings.filterfile'],
      ['removed', 'services.privoxy.extraConfig', null],
    ],
  );
  assert.equal(
    renames[4].message,
    'Use services.privoxy.settings instead.\nThis is part of the general move to use structured settings instead of raw\ntext for config as introduced by RFC0042:\nhttps://github.com/NixOS/rfcs/blob/master/rfcs/0042-config-option.md\n',
  );
});

test('mkRenamedOptionModuleWith, mkAliasOptionModule and mkChangedOptionModule', async () => {
  const resolved = await scan('resolved');
  assert.equal(resolved.renames.length, 5);
  assert.deepEqual(resolved.renames[0], {
    kind: 'renamed',
    from: ['services', 'resolved', 'fallbackDns'],
    to: ['services', 'resolved', 'settings', 'FallbackDNS'],
    message: null,
    helper: 'mkRenamedOptionModuleWith',
    sinceRelease: 2511,
    at: '96:6',
  });
  const netbird = await scan('netbird');
  assert.deepEqual(essentials(netbird.renames), [{ kind: 'renamed', from: ['services', 'netbird', 'tunnels'], to: ['services', 'netbird', 'clients'], message: null }]);
  assert.equal(netbird.renames[0].helper, 'mkAliasOptionModule');
  const gitea = await scan('gitea');
  assert.deepEqual(gitea.warnings, []);
  assert.deepEqual(gitea.renames.map((r) => r.kind), [...Array(10).fill('renamed'), 'changed', 'removed']);
  assert.deepEqual(essentials([gitea.renames[10]]), [
    {
      kind: 'changed',
      from: ['services', 'gitea', 'enableUnixSocket'],
      to: ['services', 'gitea', 'settings', 'server', 'PROTOCOL'],
      message: 'config: if config.services.gitea.enableUnixSocket then "http+unix" else "http"',
    },
  ]);
});

test('what cannot be resolved is reported with its place, never skipped silently', async () => {
  const source = `{ lib, ... }:
let
  opt = import ./paths.nix;
  inner = { imports = [ (lib.mkRenamedOptionModule [ "a" ] [ "b" ]) ]; };
in
{
  imports = [
    ./other.nix
    (lib.mkRenamedOptionModule (opt "old") (opt "new"))
    (lib.mkRemovedOptionModule [ "services" "x" "gone" ] "Use \${config.services.x.y} instead, see ''\${x}.")
    (lib.mkMergedOptionModule [ [ "services" "x" "a" ] [ "services" "x" "b" ] ] [ "services" "x" "c" ] (c: c))
  ] ++ lib.optional true ./more.nix;
  options.services.x.sub = lib.mkOption {
    type = lib.types.submodule { imports = [ (lib.mkRemovedOptionModule [ "old" ] "gone") ]; };
  };
}
`;
  const { renames, warnings } = await parseRenames(source, 'x.nix');
  assert.deepEqual(essentials(renames), [
    // The message keeps the part that depends on config as written.
    { kind: 'removed', from: ['services', 'x', 'gone'], to: null, message: "Use ${config.services.x.y} instead, see ''${x}." },
  ]);
  assert.deepEqual(warnings, [
    'x.nix:9:5: not resolved, not listed: "import" is not known here (a module argument, or defined elsewhere) (at 3:9: import)',
    'x.nix: mkMergedOptionModule at 11:6 merges services.x.a, services.x.b into services.x.c with a Nix function: not a rename, not listed',
    "x.nix:4:26: mkRenamedOptionModule outside the module's top-level imports (a submodule's imports, or a helper never called): not listed",
    "x.nix:14:47: mkRemovedOptionModule outside the module's top-level imports (a submodule's imports, or a helper never called): not listed",
  ]);
});

test('a syntax error is reported; what can still be read is', async () => {
  const { renames, warnings } = await parseRenames('{ lib, ... }: { imports = [ (lib.mkRenamedOptionModule [ "a" "b" ] [ "a" "c" ]) ]; options = { ; }', 'bad.nix');
  assert.equal(renames.length, 1);
  assert.match(warnings[0], /^bad\.nix:\d+:\d+: syntax error/);
});

test('to the manifest: paths relative to the prefix; removed listed apart; what a manifest cannot carry skipped with why', async () => {
  const options = parseOptionsJson(text('options-nextcloud.json'));
  const schema = optionsToSchema(options, ['services', 'nextcloud']);
  const { renames } = await scan('nextcloud');
  const m = renamesToManifest(renames, ['services', 'nextcloud'], schema);
  assert.deepEqual(m.renames, [
    { from: 'cron.memoryLimit', to: 'cli.memoryLimit' },
    { from: 'logLevel', to: 'settings.loglevel' },
    { from: 'logType', to: 'settings.log_type' },
    { from: 'config.defaultPhoneRegion', to: 'settings.default_phone_region' },
    { from: 'config.overwriteProtocol', to: 'settings.overwriteprotocol' },
    { from: 'skeletonDirectory', to: 'settings.skeletondirectory' },
    { from: 'config.extraTrustedDomains', to: 'settings.trusted_domains' },
    { from: 'config.trustedProxies', to: 'settings.trusted_proxies' },
    { from: 'extraOptions', to: 'settings' },
    { from: 'config.objectstore.s3.autocreate', to: 'config.objectstore.s3.verify_bucket_exists' },
  ]);
  assert.deepEqual(m.removed, [
    { option: 'enableBrokenCiphersForSSE', message: "This option has no effect since there's no supported Nextcloud version packaged here\nusing OpenSSL for RC4 SSE.\n" },
    { option: 'config.dbport', message: 'Add port to services.nextcloud.config.dbhost instead.\n' },
  ]);
  assert.deepEqual(m.skipped, [
    {
      from: 'services.nextcloud.globalProfiles',
      to: 'services.nextcloud.settings."profile.enabled"',
      reason: `"profile.enabled" holds a dot, which a manifest's dotted option path cannot express`,
    },
  ]);

  // The schema and renames together make a manifest the manifest checks accept.
  const manifest = {
    manifestVersion: 1,
    id: 'nextcloud',
    title: 'Nextcloud',
    description: 'Files, calendars and contacts',
    license: 'AGPL-3.0-or-later',
    version: '31.0.0',
    packageVersion: 1,
    components: { web: { image: 'docker.io/library/nextcloud:31', http: { port: 80 } } },
    config: { schema },
    upgrade: { renames: m.renames },
  };
  assert.doesNotThrow(() => validateManifest(manifest, 'nextcloud'));

  // Other prefixes, changed values, moves out of the prefix, unknown targets.
  const gitea = renamesToManifest((await scan('gitea')).renames, ['services', 'gitea'], { type: 'object', properties: { settings: { type: 'object', properties: {} } } });
  assert.equal(gitea.renames.length, 0);
  assert.deepEqual(gitea.removed, [{ option: 'ssh.enable', message: 'services.gitea.ssh.enable has been migrated into freeform setting services.gitea.settings.server.DISABLE_SSH. Keep in mind that the setting is inverted' }]);
  assert.match(gitea.skipped[0].reason, /^settings\.session\.COOKIE_SECURE is not an option of the schema$/);
  assert.match(gitea.skipped[10].reason, /^its value is converted by a Nix function \(config: if config\.services\.gitea\.enableUnixSocket/);
  const moved = renamesToManifest(
    [
      { kind: 'renamed', from: ['services', 'a', 'x'], to: ['location', 'x'], message: null, helper: 'mkRenamedOptionModule', at: '1:1' },
      { kind: 'renamed', from: ['services', 'b', 'x'], to: ['services', 'a', 'x'], message: null, helper: 'mkRenamedOptionModule', at: '2:1' },
    ],
    ['services', 'a'],
  );
  assert.deepEqual(moved.skipped.map((s) => s.reason), ['moved out of services.a', 'not an option under services.a']);
});
