// NixOS options.json -> config schema, on real evaluator output (test/fixtures/nixos, from nixpkgs
// modules of 2025) and on synthetic type strings for the lib types those modules do not use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { optionsToSchema, parseOptionsJson, checkOptions, NixOptionsError, type JSONSchema, type NixOption } from './options-schema.js';
import { parseTypeDescription, TypeSyntaxError } from './type-description.js';
import { readNixLiteral } from './nix-literal.js';
import { plainDescription } from './doc-markup.js';
import { validateManifest } from '../manifest/parse.js';

const FIXTURES = new URL('../../test/fixtures/nixos/', import.meta.url);
const fixture = (name: string) => parseOptionsJson(readFileSync(new URL(name, FIXTURES), 'utf8'), name);
const SERVICES = { nextcloud: 'options-nextcloud.json', mastodon: 'options-mastodon.json', radicale: 'options-radicale.json' } as const;

function convert(service: keyof typeof SERVICES) {
  const warnings: string[] = [];
  const schema = optionsToSchema(fixture(SERVICES[service]), ['services', service], warnings);
  return { schema, warnings };
}
const nextcloud = convert('nextcloud');
const mastodon = convert('mastodon');
const radicale = convert('radicale');

/** The schema of the option at a dotted path (below the prefix). */
function opt(schema: JSONSchema, path: string): JSONSchema {
  let s: any = schema;
  for (const k of path.split('.')) {
    assert.ok(s?.properties?.[k], `no option ${k} in ${path}`);
    s = s.properties[k];
  }
  return s;
}
/** The schema without its annotations, to compare types. */
function typeOf(s: JSONSchema): JSONSchema {
  const { title, description, default: _d, examples, readOnly, 'x-nix-default': _x, 'x-nix-example': _e, ...rest } = s;
  void title, description, _d, examples, readOnly, _x, _e;
  return rest;
}

/** One option of a given type, converted alone. */
function single(type: string, extra: Partial<NixOption> = {}) {
  const warnings: string[] = [];
  const schema = optionsToSchema({ 'services.t.o': { type, loc: ['services', 't', 'o'], ...extra } }, ['services', 't'], warnings);
  return { schema: (schema.properties as Record<string, JSONSchema>).o, root: schema, warnings };
}

test('the three real options.json compile with Ajv and are usable as a manifest config schema', () => {
  for (const [name, { schema }] of Object.entries({ nextcloud, mastodon, radicale })) {
    assert.doesNotThrow(() => new Ajv({ strict: false, useDefaults: true }).compile(schema), name);
    // The manifest's own checks: keywords, option names, template-free config, draft-07.
    const manifest = {
      manifestVersion: 1,
      id: name,
      title: name,
      description: `${name} configured from NixOS options`,
      license: 'MIT',
      version: '1.0.0',
      packageVersion: 1,
      components: { web: { image: 'docker.io/library/example:1', http: { port: 8080 } } },
      config: { schema },
    };
    assert.doesNotThrow(() => validateManifest(manifest, name), name);
  }
});

test('every type string of the fixtures is read; only the function type cannot be expressed', () => {
  const unexpressed: string[] = [];
  for (const file of Object.values(SERVICES)) {
    for (const [name, o] of Object.entries(fixture(file))) {
      assert.doesNotThrow(() => parseTypeDescription(o.type), `${name}: ${o.type}`);
    }
  }
  for (const { warnings } of [nextcloud, mastodon, radicale]) unexpressed.push(...warnings.filter((w) => w.includes('cannot be expressed')));
  assert.deepEqual(unexpressed, [
    'services.nextcloud.phpExtraExtensions: "function that evaluates to a(n) list of package" cannot be expressed in JSON Schema (a function cannot be given as a JSON value): any value is accepted',
  ]);
  assert.deepEqual(mastodon.warnings, []);
  assert.deepEqual(radicale.warnings, []);
});

test('real options: strings, booleans and integer kinds', () => {
  assert.deepEqual(opt(nextcloud.schema, 'maxUploadSize'), {
    title: 'maxUploadSize',
    description: 'The upload limit for files. This changes the relevant options\nin php.ini and nginx if enabled.',
    type: 'string',
    default: '512M',
  });
  assert.deepEqual(typeOf(opt(nextcloud.schema, 'https')), { type: 'boolean' });
  assert.equal(opt(nextcloud.schema, 'https').default, false);
  // signed integer, integer between, positive integer
  assert.deepEqual(typeOf(opt(mastodon.schema, 'webProcesses')), { type: 'integer' });
  assert.equal(opt(mastodon.schema, 'webProcesses').default, 2);
  assert.deepEqual(typeOf(opt(nextcloud.schema, 'settings.loglevel')), { type: 'integer', minimum: 0, maximum: 4 });
  assert.deepEqual(typeOf(opt(nextcloud.schema, 'nginx.hstsMaxAge')), { type: 'integer', minimum: 1 });
  assert.deepEqual(opt(mastodon.schema, 'streamingProcesses').examples, [3]);
});

test('real options: ports, paths, packages, lines', () => {
  assert.deepEqual(typeOf(opt(mastodon.schema, 'webPort')), { type: 'integer', minimum: 0, maximum: 65535, 'x-nix-type': 'port' });
  assert.equal(opt(mastodon.schema, 'webPort').default, 55001);
  assert.deepEqual(typeOf(opt(mastodon.schema, 'extraEnvFiles')), { type: 'array', items: { type: 'string', pattern: '^/', 'x-nix-type': 'path' } });
  assert.deepEqual(typeOf(opt(radicale.schema, 'package')), { type: 'string', 'x-nix-type': 'package' });
  assert.equal(opt(radicale.schema, 'package')['x-nix-default'], 'pkgs.radicale');
  assert.deepEqual(typeOf(opt(nextcloud.schema, 'poolConfig')), { anyOf: [{ type: 'string', 'x-nix-type': 'lines' }, { type: 'null' }] });
});

test('real options: enums, null or ..., either', () => {
  assert.deepEqual(typeOf(opt(nextcloud.schema, 'config.dbtype')), { type: 'string', enum: ['sqlite', 'pgsql', 'mysql'] });
  assert.deepEqual(opt(nextcloud.schema, 'settings.overwriteprotocol').enum, ['', 'http', 'https']);
  assert.deepEqual(typeOf(opt(mastodon.schema, 'database.passwordFile')), {
    anyOf: [{ type: 'string', pattern: '^/', 'x-nix-type': 'path' }, { type: 'null' }],
  });
  assert.equal(opt(mastodon.schema, 'database.passwordFile').default, null);
  assert.deepEqual(typeOf(opt(nextcloud.schema, 'appstoreEnable')), { anyOf: [{ type: 'boolean' }, { type: 'null' }] });
  assert.deepEqual(typeOf(opt(mastodon.schema, 'redis.port')), {
    anyOf: [{ type: 'integer', minimum: 0, maximum: 65535, 'x-nix-type': 'port' }, { type: 'null' }],
  });
  assert.deepEqual(typeOf(opt(nextcloud.schema, 'autoUpdateApps.startAt')), { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] });
});

test('real options: lists, attribute sets, submodules, JSON value, INI sections', () => {
  assert.deepEqual(typeOf(opt(nextcloud.schema, 'settings.trusted_domains')), { type: 'array', items: { type: 'string' } });
  assert.deepEqual(opt(nextcloud.schema, 'settings.trusted_domains').default, []);
  // attribute set of (string or signed integer)
  assert.deepEqual(typeOf(opt(nextcloud.schema, 'phpOptions')), {
    type: 'object',
    additionalProperties: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
  });
  assert.equal(typeof opt(nextcloud.schema, 'phpOptions')['x-nix-default'], 'string', 'a default that refers to config stays Nix text');
  assert.deepEqual(opt(nextcloud.schema, 'poolSettings').default?.['pm.max_children' as never], '120');
  // plain "attribute set"
  assert.deepEqual(typeOf(opt(mastodon.schema, 'extraConfig')), { type: 'object' });
  // attribute set of (submodule), with the submodule's options from <name>.*
  const sidekiq = opt(mastodon.schema, 'sidekiqProcesses');
  assert.deepEqual(typeOf(sidekiq), {
    type: 'object',
    additionalProperties: {
      type: 'object',
      properties: {
        jobClasses: {
          title: 'jobClasses',
          description: "If not empty, which job classes should be executed by this process. *Only one process should handle the 'scheduler' class. If left empty, this process will handle the 'scheduler' class.*",
          type: 'array',
          items: { type: 'string', enum: ['default', 'fasp', 'push', 'pull', 'mailers', 'scheduler', 'ingress'] },
        },
        threads: {
          title: 'threads',
          description: 'Number of threads this process should use for executing jobs. If null, the configured `sidekiqThreads` are used.',
          anyOf: [{ type: 'integer' }, { type: 'null' }],
        },
      },
      additionalProperties: false,
      required: ['jobClasses', 'threads'],
    },
  });
  assert.deepEqual(sidekiq.default, { all: { jobClasses: [], threads: null } });
  // A freeform JSON value with declared options: an open object.
  const settings = opt(nextcloud.schema, 'settings');
  assert.equal(settings.type, 'object');
  assert.equal(settings['x-nix-type'], 'JSON value');
  assert.equal(settings.additionalProperties, undefined, 'other settings are allowed');
  assert.deepEqual(settings.default, {});
  // attribute set of section of an INI file (attrs of INI atom (...) or a non-empty list of them)
  const atom = { type: ['null', 'boolean', 'number', 'string'] };
  assert.deepEqual(typeOf(opt(radicale.schema, 'settings')), {
    type: 'object',
    additionalProperties: { type: 'object', additionalProperties: { anyOf: [atom, { type: 'array', items: atom, minItems: 1 }] } },
  });
  // groups of options (no option of their own) are closed objects defaulting to {}
  assert.deepEqual({ ...opt(nextcloud.schema, 'caching'), properties: undefined }, {
    type: 'object',
    title: 'caching',
    additionalProperties: false,
    properties: undefined,
    default: {},
  });
});

test('descriptions lose NixOS doc markup; titles are the last name; read-only kept', () => {
  assert.match(opt(nextcloud.schema, 'datadir').description as string, /Will be `services\.nextcloud\.home` by default/);
  assert.match(opt(mastodon.schema, 'vapidPublicKeyFile').description as string, /If `mastodon\.vapidPrivateKeyFile`does not/);
  const all = JSON.stringify([nextcloud.schema, mastodon.schema, radicale.schema]);
  assert.doesNotMatch(all, /\{option\}|\[\]\(#opt-|::: \{\./);
  assert.match(opt(nextcloud.schema, 'configureRedis').description as string, /^Whether to configure Nextcloud.*\n\nNote:\nThe `notify_push` app/s);
  assert.equal(opt(nextcloud.schema, 'notify_push.dbhost').title, 'dbhost');
  assert.equal(opt(nextcloud.schema, 'finalPackage').readOnly, true);
  assert.equal(plainDescription('See {manpage}`systemd.time(7)` and <option>a.b</option>.\n\n\n\nEnd {#x}'), 'See `systemd.time(7)` and `a.b`.\n\nEnd');
});

test('defaults: plain values kept, Nix expressions as x-nix-default, and what must be set is required', () => {
  assert.equal(opt(mastodon.schema, 'database.port')['x-nix-default'], 'if config.services.mastodon.database.createLocally\nthen null\nelse 5432\n');
  assert.equal(opt(mastodon.schema, 'database.port').default, undefined);
  assert.equal(opt(nextcloud.schema, 'notify_push.nextcloudUrl')['x-nix-default'], '"http${lib.optionalString config.services.nextcloud.https "s"}://${config.services.nextcloud.hostName}"');
  assert.equal(opt(nextcloud.schema, 'occ')['x-nix-default'], 'generated script', 'literalMD');
  // No default and not read-only: the owner must give it. An expression default is not required.
  assert.deepEqual(mastodon.schema.required, ['localDomain', 'smtp', 'streamingProcesses']);
  assert.deepEqual(opt(mastodon.schema, 'smtp').required, ['fromAddress']);
  assert.deepEqual(nextcloud.schema.required, ['config', 'hostName', 'package']);
  assert.deepEqual(opt(nextcloud.schema, 'config').required, ['adminpassFile', 'dbtype']);
  // Behind an `enable` switch, only when it is on: s3's bucket, key and secretFile.
  const s3 = opt(nextcloud.schema, 'config.objectstore.s3');
  assert.equal(s3.required, undefined);
  assert.deepEqual(s3.if, { properties: { enable: { const: true } }, required: ['enable'] });
  assert.deepEqual(s3.then, { required: ['bucket', 'key', 'secretFile'] });

  const validate = new Ajv({ strict: false, useDefaults: true }).compile(nextcloud.schema);
  // (not a type guard, so that `config` keeps its type)
  const valid = (v: unknown): boolean => validate(v);
  const config: any = { hostName: 'cloud.example.org', package: 'nextcloud31', config: { adminpassFile: '/run/pass', dbtype: 'pgsql' } };
  assert.ok(valid(config), JSON.stringify(validate.errors));
  assert.equal(config.maxUploadSize, '512M', 'defaults filled in');
  assert.equal(config.config.objectstore.s3.useSsl, true, 'in nested groups too');
  config.config.objectstore.s3.enable = true;
  assert.ok(!valid(config));
  assert.ok(validate.errors?.some((e) => e.message?.includes('bucket')));
  assert.ok(!valid({ ...config, hostName: 3 }));
  assert.ok(!valid({ ...config, unknownOption: 1 }), 'groups are closed');
});

test('an option name a manifest cannot use ("profile.enabled") is kept under patternProperties, with a warning', () => {
  const settings = opt(nextcloud.schema, 'settings') as any;
  assert.equal(settings.properties['profile.enabled'], undefined);
  assert.equal(settings.patternProperties['^profile\\.enabled$'].type, 'boolean');
  assert.ok(nextcloud.warnings.some((w) => w.startsWith('services.nextcloud.settings."profile.enabled": "profile.enabled" is not a usable option name')));
  const validate = new Ajv({ strict: false }).compile(settings);
  assert.ok(validate({ 'profile.enabled': true }));
  assert.ok(!validate({ 'profile.enabled': 'yes' }));
});

/** Type strings nixpkgs lib writes that the three fixtures do not contain, and what they become. */
const SYNTHETIC: Array<[string, JSONSchema]> = [
  ['lazy attribute set of string', { type: 'object', additionalProperties: { type: 'string' } }],
  ['attribute set of (list of (attribute set of signed integer))', { type: 'object', additionalProperties: { type: 'array', items: { type: 'object', additionalProperties: { type: 'integer' } } } }],
  ['8 bit signed integer; between -128 and 127 (both inclusive)', { type: 'integer', minimum: -128, maximum: 127 }],
  ['8 bit unsigned integer; between 0 and 255 (both inclusive)', { type: 'integer', minimum: 0, maximum: 255 }],
  ['unsigned integer, meaning >=0', { type: 'integer', minimum: 0 }],
  ['floating point number', { type: 'number' }],
  ['signed integer or floating point number', { type: 'number' }],
  ['integer or floating point number between 0 and 1.5 (both inclusive)', { type: 'number', minimum: 0, maximum: 1.5 }],
  ['nonnegative integer or floating point number, meaning >=0', { type: 'number', minimum: 0 }],
  ['positive integer or floating point number, meaning >0', { type: 'number', exclusiveMinimum: 0 }],
  ['positive integer, meaning >0, or string', { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }] }],
  ['non-empty string', { type: 'string', pattern: '[^ \\t\\n]' }],
  ['non-empty (list of string)', { type: 'array', items: { type: 'string' }, minItems: 1 }],
  ['(optionally newline-terminated) single-line string', { type: 'string', pattern: '^[^\\n\\r]*\\n?$' }],
  ['strings concatenated with ","', { type: 'string' }],
  ['Concatenated string', { type: 'string' }],
  ['string matching the pattern [[:alnum:]_-]+', { type: 'string', pattern: '^(?:[A-Za-z0-9_-]+)$' }],
  ['string, not containing newlines or colons', { type: 'string', pattern: '^[^\\n:]*$' }],
  ['path', { type: 'string', pattern: '^/', 'x-nix-type': 'path' }],
  ['path in the Nix store', { type: 'string', pattern: '^/nix/store/[^.]', 'x-nix-type': 'store path' }],
  ['shell package', { type: 'string', 'x-nix-type': 'package' }],
  ['one of 1, 2, 3', { type: 'integer', enum: [1, 2, 3] }],
  ['one of "auto", 8, true', { enum: ['auto', 8, true] }],
  ['value "only" (singular enum)', { type: 'string', enum: ['only'] }],
  ['impossible (empty enum)', { not: {}, 'x-nix-type': 'impossible (empty enum)' }],
  ['one of "a", "b" or signed integer', { anyOf: [{ type: 'string', enum: ['a', 'b'] }, { type: 'integer' }] }],
  ['null or (submodule)', { anyOf: [{ type: 'object' }, { type: 'null' }] }],
  ['null or string or signed integer', { anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'null' }] }],
  ['signed integer or string convertible to it', { anyOf: [{ type: 'integer' }, { type: 'string' }] }],
  ['boolean (merged using or)', { type: 'boolean' }],
  ['anything', { 'x-nix-type': 'anything' }],
  ['raw value', { 'x-nix-type': 'raw value' }],
  ['YAML 1.1 value', { 'x-nix-type': 'YAML 1.1 value' }],
  ['TOML value', { type: ['boolean', 'number', 'string', 'object', 'array'], 'x-nix-type': 'TOML value' }],
  ['attribute set of (atom (null, bool, int, float or string) or a list of them for duplicate keys)', {
    type: 'object',
    additionalProperties: { anyOf: [{ type: ['null', 'boolean', 'number', 'string'] }, { type: 'array', items: { type: ['null', 'boolean', 'number', 'string'] } }] },
  }],
];

test('synthetic type strings for the lib types the fixtures lack', () => {
  for (const [type, expected] of SYNTHETIC) {
    const { schema, warnings } = single(type);
    assert.deepEqual(typeOf(schema), { ...expected }, type);
    assert.deepEqual(warnings, [], type);
    assert.doesNotThrow(() => new Ajv({ strict: false }).compile(schema), type);
  }
});

test('what JSON cannot give (functions, modules) becomes {} with x-nix-type and a warning, never an error', () => {
  for (const type of ['module', 'optionType', 'function that evaluates to a(n) (attribute set of string)', 'attribute-tagged union', 'frobnicator of widgets']) {
    const { schema, warnings } = single(type);
    assert.deepEqual(typeOf(schema), { 'x-nix-type': type }, type);
    assert.equal(warnings.length, 1, type);
    assert.match(warnings[0], /^services\.t\.o: .* any value is accepted$/);
  }
  // Inside an expressible type, only the unknown part is loosened.
  const list = single('list of (tmpfiles.d(5) age format)');
  assert.deepEqual(typeOf(list.schema), { type: 'array', items: { 'x-nix-type': 'tmpfiles.d(5) age format' } });
  assert.equal(list.warnings.length, 1);
  // A malformed type string: {} and a warning that says where.
  const broken = single('list of (string');
  assert.deepEqual(typeOf(broken.schema), { 'x-nix-type': 'list of (string' });
  assert.match(broken.warnings[0], /its type "list of \(string" cannot be read \(expected "\)" at character 16/);
  assert.throws(() => parseTypeDescription('list of (string'), TypeSyntaxError);
  // A default that does not fit the type is kept as text, with a warning.
  const bad = single('signed integer', { default: { _type: 'literalExpression', text: '"ten"' } });
  assert.equal(bad.schema['x-nix-default'], '"ten"');
  assert.match(bad.warnings[0], /its default "ten" does not match its type/);
});

test('malformed options.json: a clear error naming the option', () => {
  const err = (f: () => unknown, re: RegExp) => assert.throws(f, (e: Error) => e instanceof NixOptionsError && re.test(e.message));
  err(() => parseOptionsJson('{"a": ', 'x.json'), /^x\.json is not JSON: /);
  err(() => parseOptionsJson('[]', 'x.json'), /^x\.json: expected an object of options keyed by name .*not a list$/);
  err(() => checkOptions({ 'services.a.b': { loc: ['services', 'a', 'b'] } }), /^option "services\.a\.b": "type" must be the description of the option's type \(a string\), not nothing$/);
  err(() => checkOptions({ 'services.a.b': { type: 'string', loc: 'services.a.b' } }), /^option "services\.a\.b": "loc" must be the option's path as a list of names/);
  err(() => checkOptions({ 'services.a.b': { type: 'string', loc: ['services', 'a', 'b'], readOnly: 'no' } }), /^option "services\.a\.b": "readOnly" must be true or false, not string "no"$/);
  err(() => checkOptions({ 'services.a.b': 3 }), /^option "services\.a\.b": must be an object/);
  err(() => optionsToSchema(fixture(SERVICES.radicale), ['services', 'nextcloud']), /^no option under "services\.nextcloud" \(the options are e\.g\. services\.radicale\.config/);
});

test('plain Nix values are read from literalExpression text; anything else is not', () => {
  const plain = (text: string) => readNixLiteral(text)?.value;
  assert.deepEqual(plain('{\n  all = {\n    jobClasses = [ ];\n    threads = null;\n  };\n}'), { all: { jobClasses: [], threads: null } });
  assert.deepEqual(plain('{ a.b = 1; a.c = -2.5; "x.y" = true; }'), { a: { b: 1, c: -2.5 }, 'x.y': true });
  assert.equal(plain('"a\\n\\"b\\" \\${x}"'), 'a\n"b" ${x}');
  assert.equal(plain("''\n    first\n      second ''${x} '''q'''\n  ''"), "first\n  second ${x} ''q''\n");
  assert.equal(plain('/var/lib/x'), '/var/lib/x');
  assert.deepEqual(plain('[ 1 "two" [ ] { } ] # a comment'), [1, 'two', [], {}]);
  for (const text of ['pkgs.php', '"http${x}"', 'if a then 1 else 2', 'all: []', '{ inherit a; }', 'rec { a = 1; }', '{ _type = "literalExpression"; text = "x"; }', '{ a = 1; a = 2; }', '[ 1', 'true.x']) {
    assert.equal(readNixLiteral(text), undefined, text);
  }
});
