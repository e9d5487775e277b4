/**
 * Parse and validate a manifest. Every problem is reported with the field path where it is and a
 * plain explanation; parsing never stops at the first problem (only a YAML syntax error, which
 * leaves nothing reliable to check, stops it early).
 *
 * Two layers: the shape (Ajv against the TypeBox schema, its errors translated into plain words)
 * and the meaning (references between sections, routing, the config schema...). The meaning is
 * checked even when the shape is wrong, defensively, so one run reports everything it can.
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import YAML, { isMap, isScalar, isSeq, LineCounter, type Document } from 'yaml';
import { Ajv, type ErrorObject } from 'ajv';
import semver from 'semver';
import { Manifest, AddonKinds, KeypairParts } from './schema.js';
import { templateReferences } from './template.js';
import { closest } from '../lib/closest.js';

export interface ManifestProblem {
  /** Dotted path of the field, e.g. components.web.http.port ('' for the whole document) */
  path: string;
  message: string;
  /** Line in the manifest text, when it was parsed from text and the field could be located */
  line?: number;
}

export class ManifestError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ManifestProblem[],
  ) {
    super(
      `${source}: invalid manifest:\n` +
        problems.map((p) => `  - ${p.path || '(top level)'}${p.line ? ` (line ${p.line})` : ''}: ${p.message}`).join('\n'),
    );
    this.name = 'ManifestError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validateShape = ajv.compile(Manifest);

const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);
const entries = (v: unknown): [string, any][] => (isObj(v) ? Object.entries(v) : []);
const join = (...parts: string[]) => parts.filter((p) => p !== '').join('.');
/** Lower-cases a description's first letter, unless it starts an acronym (SPDX, URL). */
const lower = (s: string) => (/^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s);
const quoteList = (xs: readonly unknown[]) => xs.map((x) => JSON.stringify(x)).join(', ');
const didYouMean = (word: string, candidates: readonly string[]) => {
  const hint = closest(word, candidates);
  return hint ? ` (did you mean "${hint}"?)` : '';
};

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer (a whole number)',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object (a mapping of names to values)',
  null: 'null',
};

const toPath = (pointer: string) =>
  pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');

/** What YAML makes of an unquoted "{{ x.y }}": a flow mapping whose one key is "{ x.y }". */
const looksLikeUnquotedTemplate = (v: unknown) =>
  isObj(v) && Object.keys(v).length === 1 && /^\{.*\}$/.test(Object.keys(v)[0]) && Object.values(v)[0] === null;

/** One Ajv error in plain words; null when another error says it better. */
function explain(e: ErrorObject, prefix: string): ManifestProblem | null {
  const path = join(prefix, toPath(e.instancePath));
  const value = e.data;
  const p = e.params as Record<string, any>;
  const parent = (e.parentSchema ?? {}) as Record<string, any>;
  switch (e.keyword) {
    case 'required': {
      const desc = parent.properties?.[p.missingProperty]?.description as string | undefined;
      return { path: join(path, p.missingProperty), message: `is required but missing${desc ? ` (${lower(desc)})` : ''}` };
    }
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      const known = Object.keys(parent.properties ?? {});
      if (path === 'addons') {
        return {
          path: join(path, name),
          message: `"${name}" is not an addon kind${didYouMean(name, known)}; the kinds are ${known.join(', ')}`,
        };
      }
      const hint = didYouMean(name, known);
      return {
        path: join(path, name),
        message: `is not a known field${hint || (known.length ? ` (known fields here: ${known.join(', ')})` : '')}`,
      };
    }
    case 'type': {
      const expected = ([] as string[]).concat(p.type);
      const words = expected.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
      let hint = '';
      if (expected.includes('string') && (typeof value === 'number' || typeof value === 'boolean')) {
        hint = ' (in YAML, put the value in quotes so it stays text)';
      } else if (expected.includes('string') && looksLikeUnquotedTemplate(value)) {
        return { path, message: 'must be a string: a value that starts with "{{" must be put in quotes in YAML, e.g. "{{ installation.url }}"' };
      }
      return { path, message: `must be ${words}, not ${typeName(value)}${hint}` };
    }
    case 'pattern': {
      const hint = (parent.patternErrorMessage as string | undefined) ?? `expected to match ${p.pattern}`;
      if (e.propertyName !== undefined) {
        return { path: join(path, e.propertyName), message: `"${e.propertyName}" is not a valid name: ${hint}` };
      }
      return { path, message: `${JSON.stringify(value)} is not valid: ${hint}` };
    }
    case 'propertyNames':
      return null; // the nested pattern error names the offending key
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const words = { minimum: 'at least', maximum: 'at most', exclusiveMinimum: 'more than', exclusiveMaximum: 'less than' }[e.keyword];
      return { path, message: `must be ${words} ${p.limit}, not ${JSON.stringify(value)}` };
    }
    case 'minLength':
      return { path, message: p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters long` };
    case 'maxLength':
      return { path, message: `must be at most ${p.limit} characters long (it has ${String(value).length})` };
    case 'minItems':
      return { path, message: p.limit === 1 ? 'must not be an empty list' : `must have at least ${p.limit} items` };
    case 'maxItems':
      return { path, message: `must have at most ${p.limit} items` };
    case 'minProperties':
      return { path, message: p.limit === 1 ? 'must have at least one entry' : `must have at least ${p.limit} entries` };
    case 'const':
      return { path, message: `must be ${JSON.stringify(p.allowedValue)}, not ${JSON.stringify(value)}` };
    case 'enum':
      return oneOfValues(path, p.allowedValues, value);
    case 'anyOf':
    case 'oneOf':
      return null; // handled with its branches in explainAll
    default:
      return { path, message: e.message ?? 'is invalid' };
  }
}

function oneOfValues(path: string, allowed: unknown[], value: unknown): ManifestProblem {
  const hint = typeof value === 'string' ? didYouMean(value, allowed.filter((a): a is string => typeof a === 'string')) : '';
  return { path, message: `must be one of ${quoteList(allowed)}, not ${JSON.stringify(value)}${hint}` };
}

/**
 * Ajv errors in plain words. A failed anyOf whose branches are fixed values ("tcp" | "udp", or
 * JSON Schema's `type`) becomes one "must be one of" instead of one error per branch.
 */
function explainAll(errors: ErrorObject[], prefix = ''): ManifestProblem[] {
  const replaced = new Map<ErrorObject, ManifestProblem | null>();
  errors.forEach((e) => explainObjectUnion(e, errors, replaced, prefix));
  errors.forEach((e, i) => {
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') return;
    if (replaced.has(e)) return;
    // Ajv emits a branch's errors just before the anyOf error, at or under its instance path.
    const branch: ErrorObject[] = [];
    for (let j = i - 1; j >= 0; j--) {
      const b = errors[j];
      if (replaced.has(b) || !(b.instancePath === e.instancePath || b.instancePath.startsWith(e.instancePath + '/'))) break;
      branch.unshift(b);
    }
    const choices = branch.filter((b) => (b.keyword === 'const' || b.keyword === 'enum') && b.instancePath === e.instancePath);
    if (choices.length === 0) return;
    const allowed = choices.flatMap((b) => (b.keyword === 'const' ? [b.params.allowedValue] : b.params.allowedValues));
    branch.forEach((b) => replaced.set(b, null));
    replaced.set(branch[0], oneOfValues(join(prefix, toPath(e.instancePath)), allowed, e.data));
  });
  const out: ManifestProblem[] = [];
  for (const e of errors) {
    const p = replaced.has(e) ? replaced.get(e)! : explain(e, prefix);
    if (p) out.push(p);
  }
  return out;
}

/**
 * A failed anyOf of objects told apart by the field each requires (a secret's
 * `generate: { random } | { keypair }`): when the value has the field of exactly one form, only
 * that form's errors are shown; otherwise one problem says which forms there are (the union's
 * `errorMessage`, a non-standard keyword editors show too).
 */
function explainObjectUnion(e: ErrorObject, errors: ErrorObject[], replaced: Map<ErrorObject, ManifestProblem | null>, prefix: string) {
  if (e.keyword !== 'anyOf' || !Array.isArray(e.schema)) return;
  const forms = e.schema as Record<string, any>[];
  if (!forms.every((f) => f.type === 'object' && Array.isArray(f.required) && f.required.length > 0 && isObj(f.properties))) return;
  const value = e.data;
  const errorsOf = (i: number) => errors.filter((b) => b.schemaPath.startsWith(`${e.schemaPath}/${i}/`));
  const fitting = forms.flatMap((f, i) => (isObj(value) && f.required.every((k: string) => k in value) ? [i] : []));
  replaced.set(e, null);
  if (fitting.length === 1) {
    forms.forEach((_f, i) => i !== fitting[0] && errorsOf(i).forEach((b) => replaced.set(b, null)));
    return;
  }
  forms.forEach((_f, i) => errorsOf(i).forEach((b) => replaced.set(b, null)));
  const path = join(prefix, toPath(e.instancePath));
  const hint = ((e.parentSchema as Record<string, any> | undefined)?.errorMessage as string | undefined) ?? `use one of its ${forms.length} forms`;
  const known = [...new Set(forms.flatMap((f) => Object.keys(f.properties)))];
  const keys = isObj(value) ? Object.keys(value) : [];
  const unknown = keys.find((k) => !known.includes(k));
  let problem: ManifestProblem;
  if (!isObj(value)) problem = { path, message: `must be an object: ${hint}; not ${typeName(value)}` };
  else if (unknown !== undefined) problem = { path: join(path, unknown), message: `is not a known field${didYouMean(unknown, known)}: ${hint}` };
  else if (keys.length === 0) problem = { path, message: `is empty: ${hint}` };
  else problem = { path, message: `${quoteList(keys)} cannot be used together: ${hint}` };
  replaced.set(errors.find((b) => b.schemaPath.startsWith(`${e.schemaPath}/`)) ?? e, problem);
}

function dedupe(problems: ManifestProblem[]): ManifestProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---- config.schema: a JSON Schema written by the packager ----

const metaAjv = new Ajv({ allErrors: true, strict: false, verbose: true });
const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

const SCHEMA_KEYWORDS = [
  '$schema', '$id', '$ref', '$comment', '$defs', 'definitions', 'title', 'description', 'default', 'examples', 'readOnly',
  'writeOnly', 'deprecated', 'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum',
  'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'format', 'contentMediaType', 'contentEncoding', 'items',
  'additionalItems', 'maxItems', 'minItems', 'uniqueItems', 'contains', 'maxProperties', 'minProperties', 'required',
  'properties', 'patternProperties', 'additionalProperties', 'dependencies', 'propertyNames', 'if', 'then', 'else',
  'allOf', 'anyOf', 'oneOf', 'not',
];
const OPTION_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Unknown keywords (typos like "defualt" are otherwise silently ignored) and unusable option names. */
function walkConfigSchema(s: unknown, path: string, options: boolean, problems: ManifestProblem[]) {
  if (!isObj(s)) return;
  for (const k of Object.keys(s)) {
    if (!SCHEMA_KEYWORDS.includes(k) && !k.startsWith('x-')) {
      problems.push({
        path: join(path, k),
        message: `is not a JSON Schema keyword${didYouMean(k, SCHEMA_KEYWORDS)}; form hints belong in config.ui`,
      });
    }
  }
  for (const [name, sub] of entries(s.properties)) {
    if (options && !OPTION_NAME.test(name)) {
      problems.push({
        path: join(path, 'properties', name),
        message: `"${name}" cannot be an option name: use letters, digits, _ and -, starting with a letter (templates write it as {{ config.<name> }})`,
      });
    }
    walkConfigSchema(sub, join(path, 'properties', name), options, problems);
  }
  for (const k of ['additionalProperties', 'additionalItems', 'contains', 'propertyNames', 'not', 'if', 'then', 'else']) {
    walkConfigSchema(s[k], join(path, k), false, problems);
  }
  if (Array.isArray(s.items)) s.items.forEach((sub, i) => walkConfigSchema(sub, join(path, 'items', String(i)), false, problems));
  else walkConfigSchema(s.items, join(path, 'items'), false, problems);
  for (const k of ['allOf', 'anyOf', 'oneOf']) {
    if (Array.isArray(s[k])) s[k].forEach((sub: unknown, i: number) => walkConfigSchema(sub, join(path, k, String(i)), false, problems));
  }
  for (const k of ['definitions', '$defs', 'patternProperties']) {
    for (const [name, sub] of entries(s[k])) walkConfigSchema(sub, join(path, k, name), false, problems);
  }
}

/** Checks a JSON Schema written by a packager: it must be valid, compile and describe an object. */
function checkConfigSchema(schema: Record<string, unknown>, problems: ManifestProblem[]) {
  if (schema.type !== 'object') {
    problems.push({
      path: 'config.schema.type',
      message: `must be "object": the configuration is a set of named options${schema.type === undefined ? '' : `, not ${JSON.stringify(schema.type)}`}`,
    });
  }
  if (schema.$schema !== undefined && schema.$schema !== DRAFT_07 && schema.$schema !== DRAFT_07.replace(/#$/, '')) {
    problems.push({ path: 'config.schema.$schema', message: `must be "${DRAFT_07}" or left out: config schemas are JSON Schema draft-07` });
  } else if (!metaAjv.validateSchema(schema)) {
    problems.push(...explainAll(metaAjv.errors ?? [], 'config.schema'));
  } else {
    try {
      new Ajv({ strict: false, useDefaults: true }).compile(schema);
    } catch (err) {
      problems.push({ path: 'config.schema', message: `is not a usable JSON Schema: ${(err as Error).message}` });
    }
  }
  walkConfigSchema(schema, 'config.schema', true, problems);
}

/** Dotted paths of the options a config schema declares (objects are descended into). */
export function configPaths(schema: any, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries<any>(isObj(schema?.properties) ? schema.properties : {})) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.push(p);
    if (v && v.type === 'object' && v.properties) out.push(...configPaths(v, p));
  }
  return out;
}

/**
 * The first option on a config path that may end up with no value (no default, not required),
 * which would make a template that uses it fail at install time; undefined when always set.
 * Ajv fills a group's member defaults only once the group exists, hence "default: {}" on groups.
 */
function unsetOption(schema: unknown, field: string): string | undefined {
  const parts = field.split('.');
  let node: unknown = schema;
  for (let i = 0; i < parts.length; i++) {
    const parent = node as Record<string, any>;
    const child = isObj(parent.properties) ? parent.properties[parts[i]] : undefined;
    if (!isObj(child)) return undefined; // not declared: reported on its own
    const required = Array.isArray(parent.required) && parent.required.includes(parts[i]);
    if (child.default === undefined && !required) return parts.slice(0, i + 1).join('.');
    if (child.default !== undefined && i < parts.length - 1) {
      // A group's default may itself hold the rest of the path.
      let d: unknown = child.default;
      for (const p of parts.slice(i + 1)) d = isObj(d) ? d[p] : undefined;
      if (d !== undefined && d !== null) return undefined;
    }
    node = child;
  }
  return undefined;
}

const INSTALLATION_FIELDS = ['name', 'domain', 'url', 'host', 'address'];
export const ADDON_FIELDS = ['url', 'host', 'port', 'database', 'username', 'password', 'prefix', 'path'];
/** The fields each provided addon kind gives (what its driver returns); kinds not provided yet allow all. */
const KIND_FIELDS: Record<string, string[]> = {
  postgres: ['url', 'host', 'port', 'database', 'username', 'password'],
  mysql: ['url', 'host', 'port', 'database', 'username', 'password'],
  redis: ['url', 'host', 'port', 'username', 'password', 'prefix'],
  volume: ['path'],
};
const fieldsOf = (kind: string) => KIND_FIELDS[kind] ?? ADDON_FIELDS;
const SCOPES = ['installation', 'addons', 'secrets', 'config'];

/** Checks what the schema cannot: references between sections, routing, files next to the manifest. */
function checkSemantics(m: Record<string, any>, dir: string | undefined, problems: ManifestProblem[]) {
  const problem = (path: string, message: string) => problems.push({ path, message });
  const components = isObj(m.components) ? m.components : undefined;
  const componentNames = Object.keys(components ?? {});

  // Routing: exactly one component at "/", one component per path prefix.
  if (components && componentNames.length > 0) {
    const all = Object.values(components);
    const pathKnown = (p: unknown) => p === undefined || (typeof p === 'string' && p.startsWith('/'));
    const shapeKnown = all.every((c) => isObj(c) && (c.http === undefined || (isObj(c.http) && pathKnown(c.http.path))));
    if (shapeKnown) {
      const byPath = new Map<string, string[]>();
      for (const [name, c] of Object.entries(components)) {
        if (c.http) byPath.set(c.http.path ?? '/', [...(byPath.get(c.http.path ?? '/') ?? []), name]);
      }
      if (!byPath.has('/')) {
        problem('components', 'no component serves HTTP at "/": give the component people reach in their browser an "http" section with its port');
      }
      for (const [path, names] of byPath) {
        if (names.length > 1) {
          problem('components', `several components serve HTTP at "${path}" (${names.join(', ')}): each path goes to one component, so give all but one another http.path`);
        }
      }
    }
  }

  for (const [name, hook] of entries(m.hooks)) {
    if (components && isObj(hook) && typeof hook.component === 'string' && !componentNames.includes(hook.component)) {
      const hint = closest(hook.component, componentNames);
      problem(
        `hooks.${name}.component`,
        `names component "${hook.component}", which is not defined${hint ? ` (did you mean "${hint}"?)` : ` (components: ${componentNames.join(', ')})`}`,
      );
    }
  }

  // What templates may refer to; null where the section is malformed (its own error says so).
  const keysOf = (v: unknown) => (v === undefined ? [] : isObj(v) ? Object.keys(v) : null);
  const addons = keysOf(m.addons);
  const secrets = keysOf(m.secrets);
  /** What a declared secret is; undefined when its generate is malformed (its own error says so) */
  const secretKind = (name: string): 'random' | 'keypair' | undefined => {
    const g = isObj(m.secrets) && isObj(m.secrets[name]) ? m.secrets[name].generate : undefined;
    if (!isObj(g) || ('random' in g && 'keypair' in g)) return undefined;
    return 'random' in g ? 'random' : 'keypair' in g ? 'keypair' : undefined;
  };
  const configSchema = m.config === undefined ? undefined : isObj(m.config) && isObj(m.config.schema) ? m.config.schema : null;
  const options = configSchema === null ? null : configPaths(configSchema);
  const noConfig = m.config === undefined ? ' (there is no config section)' : '';

  const checkTemplate = (path: string, text: string) => {
    for (const ref of templateReferences(text)) {
      if ('error' in ref) {
        problem(path, ref.error);
        continue;
      }
      const [scope, key, ...rest] = ref.parts;
      const field = [key, ...rest].join('.');
      const say = (msg: string) => problem(path, `{{ ${ref.text} }}: ${msg}`);
      if (!SCOPES.includes(scope)) {
        say(`unknown scope "${scope}"${didYouMean(scope, SCOPES)}; the scopes are ${SCOPES.join(', ')}`);
      } else if (key === undefined) {
        say(`name a field, e.g. {{ ${scope}.${{ installation: 'url', addons: 'postgres.url', secrets: '<name>', config: '<option>' }[scope]} }}`);
      } else if (scope === 'installation') {
        if (!INSTALLATION_FIELDS.includes(field)) say(`installation has no field "${field}"${didYouMean(field, INSTALLATION_FIELDS)}; its fields are ${INSTALLATION_FIELDS.join(', ')}`);
      } else if (scope === 'addons') {
        if (addons === null) continue;
        // Every installation has the volume (mounted at /data), declared or not.
        if (!addons.includes(key) && key !== 'volume') {
          if ((AddonKinds as readonly string[]).includes(key)) say(`addon "${key}" is not declared under "addons" (add "${key}: {}" there)`);
          else say(`"${key}" is not an addon kind${didYouMean(key, AddonKinds)}; the kinds are ${AddonKinds.join(', ')}`);
        } else if (rest.length !== 1 || !fieldsOf(key).includes(rest[0])) {
          const name = rest.join('.');
          say(`addon "${key}" has no field "${name}"${didYouMean(name, fieldsOf(key))}; its fields are ${fieldsOf(key).join(', ')}`);
        }
      } else if (scope === 'secrets') {
        if (secrets === null) continue;
        const part = rest.join('.');
        const kind = secretKind(key);
        if (!secrets.includes(key)) say(`secret "${key}" is not declared under "secrets"${didYouMean(key, secrets)}`);
        else if (kind === 'random' && part) say(`secret "${key}" is a random string and has no part "${part}": write {{ secrets.${key} }}`);
        else if (kind === 'keypair' && !part) say(`secret "${key}" is a key pair: name a part, {{ secrets.${key}.private }}, {{ secrets.${key}.public }} or {{ secrets.${key}.openssh }}`);
        else if (kind === 'keypair' && !(KeypairParts as readonly string[]).includes(part)) {
          say(`key pair "${key}" has no part "${part}"${didYouMean(part, KeypairParts)}; its parts are ${KeypairParts.join(', ')}`);
        }
      } else if (scope === 'config') {
        if (options !== null && !options.includes(field)) say(`option "${field}" is not in config.schema${didYouMean(field, options)}${noConfig}`);
        else if (configSchema) {
          const unset = unsetOption(configSchema, field);
          const group = unset !== undefined && unset !== field;
          if (unset !== undefined) {
            say(`option "${unset}" has no default and is not required, so it may have no value when the app is installed: give it a default${group ? ' (default: {} for a group)' : ''} or list it under "required"`);
          }
        }
      }
    }
  };

  for (const [cname, c] of entries(components)) {
    if (!isObj(c)) continue;
    for (const [k, v] of entries(c.env)) if (typeof v === 'string') checkTemplate(`components.${cname}.env.${k}`, v);
    for (const [k, v] of entries(c.files)) if (typeof v === 'string') checkTemplate(`components.${cname}.files.${k}`, v);
    if (typeof c.build === 'string' && c.build !== '' && dir) {
      const ctx = resolve(dir, c.build);
      if (!existsSync(ctx) || !statSync(ctx).isDirectory()) {
        problem(`components.${cname}.build`, `build context "${c.build}" is not a folder next to the manifest (looked for ${ctx})`);
      }
    }
    if (Array.isArray(c.ports)) {
      const ports = c.ports.filter((p: unknown) => isObj(p) && Number.isInteger(p.port) && typeof p.protocol === 'string').map((p: any) => `${p.port}/${p.protocol}`);
      const dup = ports.find((p: string, i: number) => ports.indexOf(p) !== i);
      if (dup) problem(`components.${cname}.ports`, `port ${dup} is listed twice`);
    }
  }

  for (const [name, s] of entries(m.secrets)) {
    if (isObj(s) && s.reveal === true && secretKind(name) === 'keypair') {
      problem(`secrets.${name}.reveal`, 'only a random secret (a sign-in password) can be revealed; a key pair is never shown (give the app its public part with {{ secrets.' + name + '.public }} or .openssh)');
    }
  }

  for (const [kind, req] of entries(m.addons)) {
    if (!isObj(req)) continue;
    if (typeof req.version === 'string' && !semver.validRange(req.version)) {
      problem(`addons.${kind}.version`, `"${req.version}" is not a version range (write e.g. ">=13", "^8.0" or "7")`);
    }
    for (const [env, field] of entries(req.env)) {
      if (typeof field === 'string' && field !== '' && !fieldsOf(kind).includes(field)) {
        problem(`addons.${kind}.env.${env}`, `"${field}" is not a field of the ${kind} addon${didYouMean(field, fieldsOf(kind))}; use one of ${fieldsOf(kind).join(', ')}`);
      }
    }
  }

  if (configSchema) checkConfigSchema(configSchema, problems);

  if (isObj(m.upgrade)) {
    if (typeof m.upgrade.from === 'string' && !semver.validRange(m.upgrade.from)) {
      problem('upgrade.from', `"${m.upgrade.from}" is not a version range (write e.g. ">=2.0.0" or "^2.1")`);
    }
    (Array.isArray(m.upgrade.renames) ? m.upgrade.renames : []).forEach((r: unknown, i: number) => {
      if (!isObj(r) || typeof r.from !== 'string' || typeof r.to !== 'string') return;
      if (r.from === r.to) problem(`upgrade.renames.${i}`, `renames option "${r.from}" to itself`);
      else if (options !== null && !options.includes(r.to)) problem(`upgrade.renames.${i}.to`, `option "${r.to}" is not in config.schema${didYouMean(r.to, options)}${noConfig}`);
    });
  }
}

function collectProblems(doc: unknown, dir: string | undefined): ManifestProblem[] {
  if (!isObj(doc)) return [{ path: '', message: `a manifest must be a mapping of fields (id: ..., components: ...), not ${typeName(doc)}` }];
  const problems: ManifestProblem[] = [];
  if (!validateShape(doc)) problems.push(...explainAll(validateShape.errors ?? []));
  checkSemantics(doc, dir, problems);
  return dedupe(problems);
}

/** Validates an already-parsed document. */
export function validateManifest(doc: unknown, source = 'manifest', dir?: string): Manifest {
  const problems = collectProblems(doc, dir);
  if (problems.length) throw new ManifestError(source, problems);
  return doc as Manifest;
}

// ---- YAML text: syntax, duplicate keys, line numbers ----

function keyName(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

function duplicateKeys(node: unknown, parts: string[], lines: LineCounter, out: ManifestProblem[]) {
  if (isMap(node)) {
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      const key = keyName(pair.key);
      if (key !== undefined) {
        const line = isScalar(pair.key) && pair.key.range ? lines.linePos(pair.key.range[0]).line : 0;
        if (seen.has(key)) {
          out.push({ path: [...parts, key].join('.'), message: `"${key}" appears twice (lines ${seen.get(key)} and ${line}): keep only one`, line });
        } else seen.set(key, line);
      }
      duplicateKeys(pair.value, key === undefined ? parts : [...parts, key], lines, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => duplicateKeys(item, [...parts, String(i)], lines, out));
  }
}

/** The line of the deepest node on `path` (dotted; keys may themselves contain dots). */
function lineOf(doc: Document, path: string, lines: LineCounter): number | undefined {
  let node: unknown = doc.contents;
  let rest = path;
  let line: number | undefined;
  while (rest !== '') {
    if (isMap(node)) {
      let best: { key: string; pair: (typeof node.items)[number] } | undefined;
      for (const pair of node.items) {
        const key = keyName(pair.key);
        if (key !== undefined && (rest === key || rest.startsWith(key + '.')) && (!best || key.length > best.key.length)) best = { key, pair };
      }
      if (!best) break;
      const range = isScalar(best.pair.key) ? best.pair.key.range : undefined;
      if (range) line = lines.linePos(range[0]).line;
      node = best.pair.value;
      rest = rest.slice(best.key.length + 1);
    } else if (isSeq(node)) {
      const [index] = rest.split('.', 1);
      const item = node.items[Number(index)] as { range?: [number, number, number] } | undefined;
      if (!/^[0-9]+$/.test(index) || !item) break;
      if (item.range) line = lines.linePos(item.range[0]).line;
      node = item;
      rest = rest.slice(index.length + 1);
    } else break;
  }
  return line;
}

/** Parses manifest text (YAML or JSON). */
export function parseManifest(text: string, source = 'manifest', dir?: string): Manifest {
  const lines = new LineCounter();
  const parsed = YAML.parseDocument(text, { prettyErrors: false, uniqueKeys: false, lineCounter: lines, logLevel: 'error' });
  if (parsed.errors.length) {
    throw new ManifestError(
      source,
      parsed.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { path: '', message: `YAML syntax error at line ${line}, column ${col}: ${e.message.split('\n')[0]}`, line };
      }),
    );
  }
  let doc: unknown;
  try {
    doc = parsed.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ManifestError(source, [{ path: '', message: `YAML cannot be read: ${(err as Error).message}` }]);
  }
  const problems: ManifestProblem[] = [];
  duplicateKeys(parsed.contents, [], lines, problems);
  problems.push(...collectProblems(doc, dir));
  if (problems.length) {
    throw new ManifestError(
      source,
      dedupe(problems)
        .map((p) => {
          const line = p.line ?? (p.path === '' ? undefined : lineOf(parsed, p.path, lines));
          return line === undefined ? p : { ...p, line };
        })
        // In the order of the file, so the list reads along with it (stable: ties keep their order).
        .sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
    );
  }
  return doc as Manifest;
}

export function loadManifestFile(file: string): Manifest {
  return parseManifest(readFileSync(file, 'utf8'), file, dirname(file));
}
