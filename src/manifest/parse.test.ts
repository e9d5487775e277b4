import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { ManifestError, configPaths, loadManifestFile, parseManifest, validateManifest, type ManifestProblem } from './parse.js';

/** A valid manifest that every malformed case below starts from. */
const VALID = {
  manifestVersion: 1,
  id: 'miniflux',
  title: 'Miniflux',
  description: 'Minimalist feed reader',
  license: 'Apache-2.0',
  tags: ['news'],
  version: '2.2.3',
  packageVersion: 1,
  components: {
    web: {
      image: 'docker.io/miniflux/miniflux:2.2.3',
      http: { port: 8080, healthCheck: { path: '/healthcheck' } },
      env: {
        DATABASE_URL: '{{ addons.postgres.url }}',
        BASE_URL: '{{ installation.url }}',
        ADMIN_PASSWORD: '{{ secrets.admin_password }}',
        POLLING_FREQUENCY: '{{ config.polling.frequency }}',
      },
    },
  },
  addons: { postgres: { version: '>=13' } },
  secrets: { admin_password: { generate: { random: 24 } } },
  config: {
    schema: {
      type: 'object',
      properties: { polling: { type: 'object', default: {}, properties: { frequency: { type: 'integer', minimum: 5, default: 60 } } } },
    },
  },
  upgrade: { from: '>=2.0.0', renames: [{ from: 'pollingFrequency', to: 'polling.frequency', since: '2.1.0' }] },
};

const HEAD = 'manifestVersion: 1\nid: demo\ntitle: Demo\ndescription: A demo\nlicense: MIT\nversion: "1.0"\npackageVersion: 1\n';

function problemsOf(run: () => unknown): ManifestProblem[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ManifestError) return err.problems;
    throw err;
  }
  assert.fail('the manifest was accepted');
}

test('a valid manifest parses, from an object and from YAML text', () => {
  assert.equal(validateManifest(structuredClone(VALID)).id, 'miniflux');
  const m = parseManifest(YAML.stringify(VALID), 'miniflux.yaml');
  assert.deepEqual(m, VALID);
  assert.deepEqual(configPaths(m.config!.schema), ['polling', 'polling.frequency']);
});

test('the full example in docs/manifest.md is valid', () => {
  const doc = readFileSync(new URL('../../docs/manifest.md', import.meta.url), 'utf8');
  const example = /<!-- full-example -->\s*```yaml\n([\s\S]*?)```/.exec(doc);
  assert.ok(example, 'docs/manifest.md has a yaml block after <!-- full-example -->');
  const m = parseManifest(example[1], 'docs/manifest.md');
  assert.ok(Object.keys(m.components).length >= 2);
});

test('accepts what is allowed but easy to get wrong', () => {
  const variations: ((m: any) => void)[] = [
    // an option used in a template is required instead of having a default
    (m) => {
      const polling = m.config.schema.properties.polling;
      delete polling.default;
      delete polling.properties.frequency.default;
      m.config.schema.required = ['polling'];
      polling.required = ['frequency'];
    },
    // a group's default holds the value
    (m) => {
      const polling = m.config.schema.properties.polling;
      polling.default = { frequency: 30 };
      delete polling.properties.frequency.default;
    },
    // the volume is always there, declared or not
    (m) => (m.components.web.env.DATA = '{{ addons.volume.path }}'),
    // a second component at another path, and one without http
    (m) => Object.assign(m.components, { api: { image: 'x', http: { port: 9000, path: '/api' } }, worker: { image: 'x', command: ['work'] } }),
    // templates in files, with JSON braces around them
    (m) => (m.components.web.files = { '/etc/app.json': '{"url": "{{ installation.url }}", "db": {"url": "{{addons.postgres.url}}"}}' }),
    // key pairs, their parts in env and files
    (m) => {
      m.secrets.deploy = { generate: { keypair: 'ed25519' } };
      m.secrets.tls = { generate: { keypair: 'rsa-2048' } };
      comp(m).env.DEPLOY_PUBLIC = '{{ secrets.deploy.openssh }}';
      comp(m).files = { '/etc/app/key.pem': '{{ secrets.deploy.private }}', '/etc/app/tls.pub': '{{ secrets.tls.public }}' };
    },
    // optional fields left out
    (m) => (delete m.tags, delete m.addons, delete m.secrets, delete m.config, delete m.upgrade, (m.components.web.env = {})),
  ];
  for (const edit of variations) {
    const m = structuredClone(VALID) as any;
    edit(m);
    assert.doesNotThrow(() => validateManifest(m), `${edit}`);
  }
  assert.equal(parseManifest(JSON.stringify(VALID), 'miniflux.json').id, 'miniflux', 'JSON is read too');
});

type Expect = [path: string, explanation: string | RegExp];
interface Case {
  name: string;
  /** Changes a copy of VALID (validated as an object)... */
  edit?: (m: any) => void;
  /** ...or manifest text (parsed as YAML) */
  yaml?: string;
  expect: Expect[];
}

const comp = (m: any) => m.components.web;
const env = (value: string) => (m: any) => (comp(m).env.X = value);

const CASES: Case[] = [
  // identity and versions
  { name: 'missing id', edit: (m) => delete m.id, expect: [['id', 'is required but missing']] },
  { name: 'id with capitals', edit: (m) => (m.id = 'MiniFlux'), expect: [['id', '"MiniFlux" is not valid: an app id is lowercase']] },
  { name: 'packageVersion of the wrong type', edit: (m) => (m.packageVersion = '1'), expect: [['packageVersion', 'must be an integer (a whole number), not string "1"']] },
  { name: 'packageVersion 0', edit: (m) => (m.packageVersion = 0), expect: [['packageVersion', 'must be at least 1, not 0']] },
  { name: 'version not semver-like', edit: (m) => (m.version = 'latest'), expect: [['version', '"latest" is not valid: write a version like 1.2.3']] },
  { name: 'version given as a YAML number', yaml: HEAD.replace('"1.0"', '2.10') + 'components: { web: { image: x, http: { port: 80 } } }\n', expect: [['version', 'in YAML, put the value in quotes']] },
  { name: 'manifestVersion 2', edit: (m) => (m.manifestVersion = 2), expect: [['manifestVersion', 'must be 1, not 2']] },
  { name: 'title too long', edit: (m) => (m.title = 'x'.repeat(81)), expect: [['title', 'must be at most 80 characters long (it has 81)']] },
  { name: 'website without a scheme', edit: (m) => (m.website = 'miniflux.app'), expect: [['website', 'must be an http:// or https:// URL']] },
  { name: 'tag with capitals', edit: (m) => (m.tags = ['News']), expect: [['tags.0', 'a tag is lowercase']] },
  // unknown fields
  { name: 'unknown top-level field, with a hint', edit: (m) => (m.descripton = 'x'), expect: [['descripton', 'is not a known field (did you mean "description"?)']] },
  { name: 'unknown top-level field, far from any', edit: (m) => (m.zzzzzz = 1), expect: [['zzzzzz', /known fields here: manifestVersion, id, .*components/]] },
  { name: 'unknown field in a health check', edit: (m) => (comp(m).http.healthCheck.pth = '/x'), expect: [['components.web.http.healthCheck.pth', 'did you mean "path"?']] },
  // components
  { name: 'no components', edit: (m) => (m.components = {}), expect: [['components', 'must have at least one entry']] },
  { name: 'components as a list', edit: (m) => (m.components = [comp(m)]), expect: [['components', 'must be an object (a mapping of names to values), not a list']] },
  { name: 'component name with capitals', edit: (m) => (m.components = { Web: comp(m) }), expect: [['components.Web', '"Web" is not a valid name: a component name is lowercase']] },
  { name: 'component without image', edit: (m) => delete comp(m).image, expect: [['components.web.image', 'is required but missing (upstream image reference']] },
  { name: 'http port 70000', edit: (m) => (comp(m).http.port = 70000), expect: [['components.web.http.port', 'must be at most 65535, not 70000']] },
  { name: 'http path without a slash', edit: (m) => (comp(m).http.path = 'api'), expect: [['components.web.http.path', '"api" is not valid: a path must start with /']] },
  { name: 'bad env var name', edit: (m) => (comp(m).env['1BAD'] = 'x'), expect: [['components.web.env.1BAD', '"1BAD" is not a valid name: an environment variable name']] },
  { name: 'env value that is a number', edit: (m) => (comp(m).env.PORT = 8080), expect: [['components.web.env.PORT', 'must be a string, not number 8080 (in YAML, put the value in quotes']] },
  { name: 'command as a string', edit: (m) => (comp(m).command = 'miniflux -migrate'), expect: [['components.web.command', 'must be a list, not string']] },
  { name: 'file path that is not absolute', edit: (m) => (comp(m).files = { 'etc/app.conf': 'x' }), expect: [['components.web.files.etc/app.conf', 'a file path must be absolute']] },
  { name: 'bad memory string', edit: (m) => (comp(m).memory = '256MB'), expect: [['components.web.memory', '"256MB" is not valid: write a number of bytes with an optional unit k, m or g']] },
  { name: 'unknown port protocol', edit: (m) => (comp(m).ports = [{ port: 53, protocol: 'sctp' }]), expect: [['components.web.ports.0.protocol', 'must be one of "tcp", "udp", not "sctp"']] },
  { name: 'duplicate port', edit: (m) => (comp(m).ports = [{ port: 53, protocol: 'udp' }, { port: 53, protocol: 'udp' }]), expect: [['components.web.ports', 'port 53/udp is listed twice']] },
  // routing
  { name: 'no component serving HTTP at /', edit: (m) => delete comp(m).http, expect: [['components', 'no component serves HTTP at "/"']] },
  { name: 'two components at /', edit: (m) => (m.components.admin = { image: 'x', http: { port: 9000 } }), expect: [['components', 'several components serve HTTP at "/" (web, admin)']] },
  {
    name: 'two components at /api',
    edit: (m) => Object.assign(m.components, { a: { image: 'x', http: { port: 1, path: '/api' } }, b: { image: 'x', http: { port: 2, path: '/api' } } }),
    expect: [['components', 'several components serve HTTP at "/api" (a, b)']],
  },
  // templates
  { name: 'template referencing an undeclared addon', edit: env('{{ addons.redis.url }}'), expect: [['components.web.env.X', 'addon "redis" is not declared under "addons"']] },
  { name: 'template naming an unknown addon kind', edit: env('{{ addons.postgresql.url }}'), expect: [['components.web.env.X', '"postgresql" is not an addon kind (did you mean "postgres"?)']] },
  { name: 'template with an unknown addon field', edit: env('{{ addons.postgres.passwd }}'), expect: [['components.web.env.X', 'addon "postgres" has no field "passwd" (did you mean "password"?); its fields are url, host, port, database, username, password']] },
  { name: 'template with a field another addon kind has', edit: (m) => ((m.addons.redis = {}), env('{{ addons.redis.database }}')(m)), expect: [['components.web.env.X', 'addon "redis" has no field "database"; its fields are url, host, port, username, password, prefix']] },
  { name: 'template referencing an undeclared secret', edit: env('{{ secrets.admin_pasword }}'), expect: [['components.web.env.X', 'secret "admin_pasword" is not declared under "secrets" (did you mean "admin_password"?)']] },
  { name: 'template referencing an unknown config option', edit: env('{{ config.polling.frequncy }}'), expect: [['components.web.env.X', 'option "polling.frequncy" is not in config.schema (did you mean "polling.frequency"?)']] },
  { name: 'template referencing config without a config section', edit: (m) => (delete m.config, delete m.upgrade), expect: [['components.web.env.POLLING_FREQUENCY', 'there is no config section']] },
  {
    name: 'template using an option that may have no value',
    edit: (m) => delete m.config.schema.properties.polling.default,
    expect: [['components.web.env.POLLING_FREQUENCY', 'option "polling" has no default and is not required, so it may have no value when the app is installed: give it a default (default: {} for a group)']],
  },
  { name: 'template with an unknown installation field', edit: env('{{ installation.domian }}'), expect: [['components.web.env.X', 'installation has no field "domian" (did you mean "domain"?)']] },
  { name: 'template with an unknown scope', edit: env('{{ install.domain }}'), expect: [['components.web.env.X', 'unknown scope "install" (did you mean "installation"?)']] },
  { name: 'template with an expression', edit: env('{{ config.polling.frequency * 60 }}'), expect: [['components.web.env.X', 'is not a reference like {{ config.option }}']] },
  { name: 'template never closed', edit: env('every {{ config.polling.frequency minutes'), expect: [['components.web.env.X', 'not closed by "}}"']] },
  { name: 'empty template', edit: env('{{ }}'), expect: [['components.web.env.X', '"{{ }}" is empty']] },
  { name: 'template in a file', edit: (m) => (comp(m).files = { '/etc/app.conf': 'url = {{ installation.link }}' }), expect: [['components.web.files./etc/app.conf', 'installation has no field "link"']] },
  {
    name: 'unquoted template in YAML',
    yaml: HEAD + 'components:\n  web:\n    image: x\n    http: { port: 80 }\n    env:\n      URL: {{ installation.url }}\n',
    expect: [['components.web.env.URL', 'must be put in quotes in YAML']],
  },
  // hooks
  { name: 'hook naming an unknown component', edit: (m) => (m.hooks = { postInstall: { component: 'wbe', command: ['true'] } }), expect: [['hooks.postInstall.component', 'names component "wbe", which is not defined (did you mean "web"?)']] },
  { name: 'hook without a command', edit: (m) => (m.hooks = { migrate: { component: 'web', command: [] } }), expect: [['hooks.migrate.command', 'must not be an empty list']] },
  // addons and secrets
  { name: 'unknown addon kind', edit: (m) => (m.addons.postgresql = {}), expect: [['addons.postgresql', '"postgresql" is not an addon kind (did you mean "postgres"?); the kinds are postgres, mysql, redis']] },
  { name: 'addon env mapping to an unknown field', edit: (m) => (m.addons.postgres.env = { DB_PASS: 'passwd' }), expect: [['addons.postgres.env.DB_PASS', '"passwd" is not a field of the postgres addon (did you mean "password"?)']] },
  { name: 'addon version that is not a range', edit: (m) => (m.addons.postgres.version = 'thirteen'), expect: [['addons.postgres.version', '"thirteen" is not a version range']] },
  { name: 'secret name with a dash', edit: (m) => (m.secrets['api-key'] = { generate: { random: 24 } }), expect: [['secrets.api-key', 'a secret name is lowercase letters, digits and underscores']] },
  { name: 'secret too short', edit: (m) => (m.secrets.admin_password.generate.random = 4), expect: [['secrets.admin_password.generate.random', 'must be at least 8, not 4']] },
  { name: 'key pair of an unknown type', edit: (m) => (m.secrets.deploy = { generate: { keypair: 'ed2551' } }), expect: [['secrets.deploy.generate.keypair', 'must be one of "ed25519", "rsa-2048", "rsa-4096", not "ed2551" (did you mean "ed25519"?)']] },
  { name: 'secret both random and a key pair', edit: (m) => (m.secrets.deploy = { generate: { random: 16, keypair: 'ed25519' } }), expect: [['secrets.deploy.generate', '"random", "keypair" cannot be used together: write { random: <bytes> } (8 to 512) or { keypair: ed25519 | rsa-2048 | rsa-4096 }']] },
  { name: 'secret generated some unknown way', edit: (m) => (m.secrets.deploy = { generate: { randum: 16 } }), expect: [['secrets.deploy.generate.randum', 'is not a known field (did you mean "random"?): write { random: <bytes> }']] },
  { name: 'secret generate as a string', edit: (m) => (m.secrets.deploy = { generate: 'random' }), expect: [['secrets.deploy.generate', 'must be an object: write { random: <bytes> } (8 to 512) or { keypair: ed25519 | rsa-2048 | rsa-4096 }; not string "random"']] },
  { name: 'secret generate empty', edit: (m) => (m.secrets.deploy = { generate: {} }), expect: [['secrets.deploy.generate', 'is empty: write { random: <bytes> }']] },
  { name: 'secret without generate', edit: (m) => (m.secrets.deploy = { reveal: true }), expect: [['secrets.deploy.generate', 'is required but missing (how the secret is made: { random: <bytes> } or { keypair: ed25519 | rsa-2048 | rsa-4096 })']] },
  { name: 'key pair revealed', edit: (m) => (m.secrets.deploy = { generate: { keypair: 'ed25519' }, reveal: true }), expect: [['secrets.deploy.reveal', 'only a random secret (a sign-in password) can be revealed; a key pair is never shown']] },
  { name: 'template using a key pair whole', edit: (m) => ((m.secrets.deploy = { generate: { keypair: 'ed25519' } }), env('{{ secrets.deploy }}')(m)), expect: [['components.web.env.X', 'secret "deploy" is a key pair: name a part, {{ secrets.deploy.private }}, {{ secrets.deploy.public }} or {{ secrets.deploy.openssh }}']] },
  { name: 'template naming a part a key pair lacks', edit: (m) => ((m.secrets.deploy = { generate: { keypair: 'rsa-4096' } }), env('{{ secrets.deploy.pub }}')(m)), expect: [['components.web.env.X', 'key pair "deploy" has no part "pub" (did you mean "public"?); its parts are private, public, openssh']] },
  { name: 'template naming a part of a random secret', edit: env('{{ secrets.admin_password.private }}'), expect: [['components.web.env.X', 'secret "admin_password" is a random string and has no part "private": write {{ secrets.admin_password }}']] },
  { name: 'template naming a part of an undeclared secret', edit: env('{{ secrets.deploy.private }}'), expect: [['components.web.env.X', 'secret "deploy" is not declared under "secrets"']] },
  // config schema
  { name: 'config.schema not type object', edit: (m) => (m.config.schema.type = 'array'), expect: [['config.schema.type', 'must be "object": the configuration is a set of named options, not "array"']] },
  {
    name: 'config.schema with an invalid type',
    edit: (m) => (m.config.schema.properties.polling.properties.frequency.type = 'integr'),
    expect: [['config.schema.properties.polling.properties.frequency.type', 'not "integr" (did you mean "integer"?)']],
  },
  {
    name: 'config.schema with a keyword of the wrong type',
    edit: (m) => (m.config.schema.properties.polling.properties.frequency.minimum = 'five'),
    expect: [['config.schema.properties.polling.properties.frequency.minimum', 'must be a number, not string "five"']],
  },
  {
    name: 'config.schema with a misspelt keyword',
    edit: (m) => (m.config.schema.properties.polling.properties.frequency.defualt = 60),
    expect: [['config.schema.properties.polling.properties.frequency.defualt', 'is not a JSON Schema keyword (did you mean "default"?)']],
  },
  {
    name: 'config option name with a space',
    edit: (m) => (m.config.schema.properties['log level'] = { type: 'string' }),
    expect: [['config.schema.properties.log level', 'cannot be an option name']],
  },
  { name: 'config.schema of another JSON Schema draft', edit: (m) => (m.config.schema.$schema = 'https://json-schema.org/draft/2020-12/schema'), expect: [['config.schema.$schema', 'config schemas are JSON Schema draft-07']] },
  { name: 'config.schema with an unresolvable $ref', edit: (m) => (m.config.schema.properties.x = { $ref: '#/definitions/nope' }), expect: [['config.schema', 'is not a usable JSON Schema']] },
  // upgrades and state
  { name: 'rename to an unknown option', edit: (m) => (m.upgrade.renames[0].to = 'polling.freq'), expect: [['upgrade.renames.0.to', 'option "polling.freq" is not in config.schema (did you mean "polling.frequency"?)']] },
  { name: 'rename to itself', edit: (m) => (m.upgrade.renames[0].from = 'polling.frequency'), expect: [['upgrade.renames.0', 'renames option "polling.frequency" to itself']] },
  { name: 'upgrade.from that is not a range', edit: (m) => (m.upgrade.from = 'two'), expect: [['upgrade.from', '"two" is not a version range']] },
  { name: 'state path outside /data', edit: (m) => (m.state = { paths: ['/var/lib/app'] }), expect: [['state.paths.0', 'must be /data or a path under /data/']] },
  // the document itself
  { name: 'YAML syntax error', yaml: HEAD + 'tags: [a, b\ncomponents: {}\n', expect: [['', /^YAML syntax error at line 9, column \d+: /]] },
  { name: 'duplicate YAML key', yaml: HEAD + 'id: other\ncomponents: { web: { image: x, http: { port: 80 } } }\n', expect: [['id', '"id" appears twice (lines 2 and 8)']] },
  { name: 'manifest that is a list', yaml: '- id: demo\n- id: other\n', expect: [['', 'a manifest must be a mapping of fields (id: ..., components: ...), not a list']] },
  { name: 'empty manifest', yaml: '', expect: [['', 'not null']] },
  {
    name: 'several problems at once',
    edit: (m) => {
      delete m.id;
      m.packageVersion = 'one';
      comp(m).http.port = 0;
      m.hooks = { migrate: { component: 'worker', command: ['true'] } };
      comp(m).env.X = '{{ secrets.nope }}';
    },
    expect: [
      ['id', 'is required but missing'],
      ['packageVersion', 'must be an integer'],
      ['components.web.http.port', 'must be at least 1, not 0'],
      ['hooks.migrate.component', 'names component "worker"'],
      ['components.web.env.X', 'secret "nope" is not declared'],
    ],
  },
];

test(`at least 35 malformed manifests (${CASES.length})`, () => assert.ok(CASES.length >= 35));

for (const c of CASES) {
  test(`rejects: ${c.name}`, () => {
    const problems = problemsOf(() => {
      if (c.yaml !== undefined) return parseManifest(c.yaml, 'case.yaml');
      const m = structuredClone(VALID) as any;
      c.edit!(m);
      return validateManifest(m, 'case');
    });
    assert.deepEqual(
      problems.map((p) => p.path),
      c.expect.map(([path]) => path),
      `problems: ${JSON.stringify(problems, null, 1)}`,
    );
    c.expect.forEach(([, explanation], i) => {
      if (typeof explanation === 'string') assert.ok(problems[i].message.includes(explanation), `"${problems[i].message}" should contain "${explanation}"`);
      else assert.match(problems[i].message, explanation);
    });
  });
}

test('problems found in YAML text carry their line, and the error message lists them', () => {
  const text = HEAD + 'components:\n  web:\n    image: x\n    http:\n      port: 70000\n    files:\n      /etc/app.conf: "{{ config.nope }}"\n';
  let err: unknown;
  try {
    parseManifest(text, 'demo.yaml');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ManifestError);
  assert.deepEqual(
    err.problems.map((p) => [p.path, p.line]),
    [
      ['components.web.http.port', 12],
      ['components.web.files./etc/app.conf', 14],
    ],
  );
  assert.match(err.message, /^demo\.yaml: invalid manifest:\n {2}- components\.web\.http\.port \(line 12\): must be at most 65535/);
});

test('a build context must exist next to the manifest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'freehold-manifest-'));
  try {
    const file = join(dir, 'manifest.yaml');
    writeFileSync(file, HEAD + 'components:\n  web:\n    image: x\n    build: ./image\n    http: { port: 80 }\n');
    const problems = problemsOf(() => loadManifestFile(file));
    assert.deepEqual(problems.map((p) => p.path), ['components.web.build']);
    assert.match(problems[0].message, /build context "\.\/image" is not a folder next to the manifest/);
    mkdirSync(join(dir, 'image'));
    assert.equal(loadManifestFile(file).components.web.build, './image');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
