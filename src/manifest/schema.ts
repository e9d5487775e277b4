/**
 * Manifest v1: the standard description of an app. Defined once here with TypeBox; exported as
 * JSON Schema to schema/manifest-v1.json for packagers and editors (npm run build).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/*
 * `patternErrorMessage` is a non-standard keyword understood by editors (VS Code's JSON and YAML
 * language servers) and by parse.ts: the plain explanation shown when a pattern does not match.
 */
const EnvName = '^[A-Za-z_][A-Za-z0-9_]*$';
const ENV_NAME_HINT = 'an environment variable name is letters, digits and underscores, not starting with a digit';
const VERSION = '^[0-9]+\\.[0-9]+(\\.[0-9]+)?([-+][0-9A-Za-z.-]+)?$';
const VERSION_HINT = 'write a version like 1.2.3 or 1.2, optionally with a -suffix or +build (in YAML, quote it)';
const Template = Type.String({ description: 'A value; may contain {{ references }} (see docs/manifest.md)' });
const Command = Type.Array(Type.String(), { minItems: 1, description: 'Program and arguments (no shell)' });

/**
 * A mapping whose keys must match a pattern. `propertyNames` makes a bad key an error (TypeBox's
 * pattern-keyed Record alone only leaves such keys unchecked).
 */
function NamedMap<V extends TSchema>(keyPattern: string, keyHint: string, value: V, options: { description?: string; minProperties?: number } = {}) {
  return Type.Record(Type.String({ pattern: keyPattern }), value, {
    ...options,
    propertyNames: { pattern: keyPattern, patternErrorMessage: keyHint },
  });
}

export const HealthCheck = Type.Object(
  {
    path: Type.String({ pattern: '^/', patternErrorMessage: 'a path must start with /', description: 'HTTP path that answers 2xx or 3xx when the component is ready' }),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: 'Give up after this long (default 120)' })),
    intervalMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 60000, description: 'Time between probes (default 250)' })),
  },
  { additionalProperties: false },
);

export const Component = Type.Object(
  {
    image: Type.String({ minLength: 1, description: 'Upstream image reference, used where a registry can be reached' }),
    build: Type.Optional(Type.String({ minLength: 1, description: 'Build context, relative to the manifest, used when the image is not available' })),
    command: Type.Optional(Command),
    env: Type.Optional(NamedMap(EnvName, ENV_NAME_HINT, Template, { description: 'Environment variables; values are templates' })),
    files: Type.Optional(
      NamedMap('^/', 'a file path must be absolute (start with /)', Template, {
        description: 'Files rendered from templates and mounted read-only at these absolute paths',
      }),
    ),
    http: Type.Optional(
      Type.Object(
        {
          port: Type.Integer({ minimum: 1, maximum: 65535, description: 'Port the component serves HTTP on inside the container' }),
          path: Type.Optional(Type.String({ pattern: '^/', patternErrorMessage: 'a path must start with /', description: 'Path prefix routed to this component (default /)' })),
          healthCheck: Type.Optional(HealthCheck),
        },
        { additionalProperties: false, description: 'How the edge proxy reaches the component over HTTP' },
      ),
    ),
    ports: Type.Optional(
      Type.Array(
        Type.Object(
          {
            port: Type.Integer({ minimum: 1, maximum: 65535, description: 'Port number, inside the container and on the host' }),
            protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp')], { description: 'tcp or udp' }),
          },
          { additionalProperties: false },
        ),
        { description: 'Extra TCP/UDP ports published on the host' },
      ),
    ),
    memory: Type.Optional(
      Type.String({
        pattern: '^[0-9]+(k|m|g|K|M|G)?$',
        patternErrorMessage: 'write a number of bytes with an optional unit k, m or g, e.g. 256m or 1g',
        description: 'Memory limit, e.g. 256m',
      }),
    ),
    user: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9_.-]+(:[a-z0-9_.-]+)?$',
        patternErrorMessage: 'write a user name or id, optionally with :group, e.g. 1000:1000 or www-data',
        description: 'User (and group) the process runs as',
      }),
    ),
  },
  { additionalProperties: false },
);

const AddonEnv = Type.Optional(
  NamedMap(EnvName, ENV_NAME_HINT, Type.String({ minLength: 1 }), {
    description: 'Extra env vars to inject into every component: name -> field of the addon (url, host, port, database, username, password, prefix, path)',
  }),
);
const AddonRequest = (description: string) =>
  Type.Object(
    { version: Type.Optional(Type.String({ description: 'Version range the app supports (semver range, e.g. ">=13")' })), env: AddonEnv },
    { additionalProperties: false, description },
  );

export const AddonKinds = ['postgres', 'mysql', 'redis', 'volume', 's3', 'smtp', 'oidc'] as const;
export type AddonKind = (typeof AddonKinds)[number];

export const Addons = Type.Object(
  {
    postgres: Type.Optional(AddonRequest('A PostgreSQL database and user of its own')),
    mysql: Type.Optional(AddonRequest('A MariaDB/MySQL database and user of its own')),
    redis: Type.Optional(AddonRequest('A Redis ACL user limited to its own key prefix')),
    volume: Type.Optional(AddonRequest('A data directory of its own, mounted at /data in every component (backed up)')),
    s3: Type.Optional(AddonRequest('An S3 bucket (declared for later; not provided yet)')),
    smtp: Type.Optional(AddonRequest('An SMTP account (declared for later; not provided yet)')),
    oidc: Type.Optional(AddonRequest('An OpenID Connect client (declared for later; not provided yet)')),
  },
  { additionalProperties: false, description: 'Services the platform provides to the app, by kind' },
);

export const KeypairTypes = ['ed25519', 'rsa-2048', 'rsa-4096'] as const;
export type KeypairType = (typeof KeypairTypes)[number];
/** What templates name of a key pair: {{ secrets.<name>.private }}, .public, .openssh */
export const KeypairParts = ['private', 'public', 'openssh'] as const;

export const Secret = Type.Object(
  {
    generate: Type.Union(
      [
        Type.Object(
          { random: Type.Integer({ minimum: 8, maximum: 512, description: 'Random bytes, given to the app as base64url text: {{ secrets.<name> }}' }) },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            keypair: Type.Union([Type.Literal('ed25519'), Type.Literal('rsa-2048'), Type.Literal('rsa-4096')], {
              description: 'A key pair of this type: {{ secrets.<name>.private }} (PKCS#8 PEM), .public (SPKI PEM), .openssh (OpenSSH public key line)',
            }),
          },
          { additionalProperties: false },
        ),
      ],
      {
        description: 'How the secret is made: { random: <bytes> } or { keypair: ed25519 | rsa-2048 | rsa-4096 }',
        // Non-standard, like patternErrorMessage: shown by editors, and by parse.ts when neither form fits
        errorMessage: 'write { random: <bytes> } (8 to 512) or { keypair: ed25519 | rsa-2048 | rsa-4096 }',
      },
    ),
    reveal: Type.Optional(
      Type.Boolean({ description: "The app's own sign-in credential (a random secret): shown to the admin on request (freehold credentials). Other secrets are never shown." }),
    ),
  },
  { additionalProperties: false, description: 'A secret generated once at install time, kept in the secrets backend across updates, rotatable' },
);

const Hook = Type.Object(
  {
    component: Type.String({ description: 'Component whose image (with its env and volume) runs the hook' }),
    command: Command,
  },
  { additionalProperties: false },
);

export const Manifest = Type.Object(
  {
    manifestVersion: Type.Literal(1, { description: 'Version of this manifest format: always 1' }),
    id: Type.String({
      pattern: '^[a-z][a-z0-9-]{0,39}$',
      patternErrorMessage: 'an app id is lowercase letters, digits and dashes, starting with a letter (at most 40 characters)',
      description: 'App id: lowercase letters, digits and dashes',
    }),
    title: Type.String({ minLength: 1, maxLength: 80, description: 'Name shown to people' }),
    description: Type.String({ minLength: 1, description: 'What the app does, in a sentence or two' }),
    icon: Type.Optional(Type.String({ description: 'Path (relative to the manifest) or URL of an icon' })),
    screenshots: Type.Optional(Type.Array(Type.String(), { description: 'Paths (relative to the manifest) or URLs of screenshots' })),
    license: Type.String({ minLength: 1, description: 'SPDX licence expression of the app' }),
    website: Type.Optional(Type.String({ pattern: '^https?://', patternErrorMessage: 'must be an http:// or https:// URL', description: 'Home page of the app' })),
    tags: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z0-9-]+$', patternErrorMessage: 'a tag is lowercase letters, digits and dashes' }), {
        default: [],
        description: 'Catalog categories, e.g. news, files, chat',
      }),
    ),
    version: Type.String({ pattern: VERSION, patternErrorMessage: VERSION_HINT, description: 'Upstream app version; migrations run only when this changes' }),
    packageVersion: Type.Integer({ minimum: 1, description: 'Packaging revision; bump when only the packaging changes' }),
    components: NamedMap(
      '^[a-z][a-z0-9-]{0,29}$',
      'a component name is lowercase letters, digits and dashes, starting with a letter (at most 30 characters)',
      Component,
      { minProperties: 1, description: 'Containers the app is made of; exactly one serves HTTP at /' },
    ),
    addons: Type.Optional(Addons),
    secrets: Type.Optional(
      NamedMap('^[a-z][a-z0-9_]*$', 'a secret name is lowercase letters, digits and underscores, starting with a letter', Secret, {
        description: 'Secrets generated at install time, reachable as {{ secrets.<name> }} (a key pair: {{ secrets.<name>.private }}, .public, .openssh)',
      }),
    ),
    config: Type.Optional(
      Type.Object(
        {
          schema: Type.Record(Type.String(), Type.Unknown(), {
            description: 'JSON Schema (draft-07) of the user configuration; must describe an object',
          }),
          ui: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'UI hints for the form (react-jsonschema-form uiSchema)' })),
        },
        { additionalProperties: false, description: 'Options the owner can set, rendered as a settings form' },
      ),
    ),
    state: Type.Optional(
      Type.Object(
        {
          paths: Type.Optional(
            Type.Array(Type.String({ pattern: '^/data(/|$)', patternErrorMessage: 'must be /data or a path under /data/' }), {
              description: 'Data paths under /data that hold state (default: all of /data)',
            }),
          ),
          exclude: Type.Optional(
            Type.Array(Type.String({ pattern: '^/data/', patternErrorMessage: 'must be a path under /data/' }), {
              description: 'Paths under /data left out of backups (caches)',
            }),
          ),
        },
        { additionalProperties: false, description: 'What is backed up, besides what addons back up themselves' },
      ),
    ),
    hooks: Type.Optional(
      Type.Object(
        {
          postInstall: Type.Optional(Hook),
          preBackup: Type.Optional(Hook),
          postBackup: Type.Optional(Hook),
          migrate: Type.Optional(Hook),
        },
        { additionalProperties: false, description: 'Commands run at points of the app life cycle' },
      ),
    ),
    upgrade: Type.Optional(
      Type.Object(
        {
          from: Type.Optional(Type.String({ description: 'semver range of versions that can upgrade to this one' })),
          renames: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  from: Type.String({ minLength: 1, description: 'Old option path (dot separated)' }),
                  to: Type.String({ minLength: 1, description: 'New option path (dot separated)' }),
                  since: Type.Optional(Type.String({ pattern: VERSION, patternErrorMessage: VERSION_HINT, description: 'Version in which the option was renamed' })),
                },
                { additionalProperties: false },
              ),
              { description: 'Config options renamed since earlier versions; values are carried over on update' },
            ),
          ),
        },
        { additionalProperties: false, description: 'Rules for updating an installation to this version' },
      ),
    ),
  },
  {
    additionalProperties: false,
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://freehold.dev/schema/manifest-v1.json',
    title: 'Freehold app manifest v1',
  },
);

export type Manifest = Static<typeof Manifest>;
export type Component = Static<typeof Component>;
export type HealthCheck = Static<typeof HealthCheck>;
export type Secret = Static<typeof Secret>;
