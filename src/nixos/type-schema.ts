/**
 * JSON Schema (draft-07, as manifests' config.schema) for a parsed NixOS option type. What JSON
 * Schema cannot say is kept as an `x-nix-type` hint: on its own (`{}` accepts anything) for what
 * cannot be expressed, which is also reported, or next to the schema for the form (path, port,
 * package, lines).
 */
import type { NixType } from './type-description.js';

export type JSONSchema = { [keyword: string]: unknown };

export interface SchemaContext {
  /** Objects made from a plain `submodule`: closed (additionalProperties: false) once their options are attached. */
  submodules: WeakSet<JSONSchema>;
  /** Schemas standing for values JSON cannot give (functions, modules): nothing is attached to them. */
  unsupported: WeakSet<JSONSchema>;
  warn(message: string): void;
}

export function typeToSchema(t: NixType, ctx: SchemaContext): JSONSchema {
  switch (t.t) {
    case 'bool':
      return { type: 'boolean' };
    case 'int':
      return {
        type: 'integer',
        ...(t.min !== undefined && { minimum: t.min }),
        ...(t.max !== undefined && { maximum: t.max }),
        ...(t.port && { 'x-nix-type': 'port' }),
      };
    case 'float':
      // JSON has no separate floats: 1 and 1.0 are the same number there.
      return { type: 'number' };
    case 'number':
      return {
        type: 'number',
        ...(t.min !== undefined && { minimum: t.min }),
        ...(t.max !== undefined && { maximum: t.max }),
        ...(t.exclusiveMin !== undefined && { exclusiveMinimum: t.exclusiveMin }),
      };
    case 'str':
      return stringSchema(t, ctx);
    case 'path':
      // types.path accepts any string that starts with "/" (lib checks nothing else).
      return t.store ? { type: 'string', pattern: '^/nix/store/[^.]', 'x-nix-type': 'store path' } : { type: 'string', pattern: '^/', 'x-nix-type': 'path' };
    case 'package':
      // A package is a derivation; from JSON, the name of one (e.g. "nextcloud31") is what can be given.
      return { type: 'string', 'x-nix-type': 'package' };
    case 'enum':
      return enumSchema(t.values, t.dropped, ctx);
    case 'null':
      return { type: 'null' };
    case 'list':
      return { type: 'array', items: typeToSchema(t.of, ctx), ...(t.nonEmpty && { minItems: 1 }) };
    case 'attrs':
      return t.of ? { type: 'object', additionalProperties: typeToSchema(t.of, ctx) } : { type: 'object' };
    case 'submodule': {
      const s: JSONSchema = { type: 'object' };
      ctx.submodules.add(s);
      return s;
    }
    case 'either':
      return eitherSchema(t.of, ctx);
    case 'any':
      return t.notNull ? { type: ['boolean', 'number', 'string', 'object', 'array'], 'x-nix-type': t.label } : { 'x-nix-type': t.label };
    case 'atom':
      return { type: ['null', 'boolean', 'number', 'string'] };
    case 'unsupported': {
      ctx.warn(`"${t.label}" cannot be expressed in JSON Schema (${t.reason}): any value is accepted`);
      const s: JSONSchema = { 'x-nix-type': t.label };
      ctx.unsupported.add(s);
      return s;
    }
  }
}

function stringSchema(t: Extract<NixType, { t: 'str' }>, ctx: SchemaContext): JSONSchema {
  const s: JSONSchema = { type: 'string' };
  if (t.pattern) s.pattern = t.pattern;
  if (t.lines) s['x-nix-type'] = 'lines'; // types.lines: multi-line text, a text area in a form
  if (t.regex !== undefined) {
    const pattern = posixToJs(t.regex);
    if (pattern !== undefined) s.pattern = pattern;
    else {
      ctx.warn(`the pattern ${t.regex} of a strMatching type is not a usable regular expression here; the value is not checked against it`);
      s['x-nix-pattern'] = t.regex;
    }
  }
  return s;
}

function enumSchema(values: Array<string | number | boolean>, dropped: string[], ctx: SchemaContext): JSONSchema {
  if (dropped.length) ctx.warn(`enum values ${dropped.join(', ')} are not JSON values and are left out`);
  if (!values.length) {
    if (dropped.length) {
      const s: JSONSchema = { 'x-nix-type': `one of ${dropped.join(', ')}` };
      ctx.unsupported.add(s);
      return s;
    }
    return { not: {}, 'x-nix-type': 'impossible (empty enum)' }; // no value is allowed, as in Nix
  }
  const kinds = new Set(values.map((v) => (typeof v === 'number' ? 'integer' : typeof v)));
  return { ...(kinds.size === 1 && { type: [...kinds][0] }), enum: values };
}

/** `either` (and nullOr, oneOf): anyOf, null last; `int or float` is a number. */
function eitherSchema(members: NixType[], ctx: SchemaContext): JSONSchema {
  const flat: NixType[] = [];
  const flatten = (ts: NixType[]) => ts.forEach((m) => (m.t === 'either' ? flatten(m.of) : flat.push(m)));
  flatten(members);

  const nullable = flat.some((m) => m.t === 'null');
  let rest = flat.filter((m) => m.t !== 'null');
  const plainInt = rest.find((m) => m.t === 'int' && m.min === undefined && m.max === undefined);
  if (plainInt && rest.some((m) => m.t === 'float')) {
    rest = rest.filter((m) => m !== plainInt && m.t !== 'float');
    rest.unshift({ t: 'number' });
  }

  const schemas: JSONSchema[] = [];
  for (const m of rest) {
    const s = typeToSchema(m, ctx);
    if (!schemas.some((x) => JSON.stringify(x) === JSON.stringify(s))) schemas.push(s);
  }
  if (nullable) schemas.push({ type: 'null' });
  return schemas.length === 1 ? schemas[0] : { anyOf: schemas };
}

/** POSIX bracket classes (Nix's builtins.match is POSIX extended) in their JavaScript form. */
const POSIX_CLASSES: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: 'A-Za-z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  xdigit: '0-9A-Fa-f',
  punct: '!-\\/:-@\\[-`{-~',
};

/**
 * A JSON Schema pattern for a strMatching regex: builtins.match matches the whole string, and
 * Ajv compiles patterns with the `u` flag. Undefined when it does not compile that way.
 */
export function posixToJs(regex: string): string | undefined {
  let out = '';
  for (let i = 0; i < regex.length; ) {
    const m = regex.startsWith('[:', i) ? regex.indexOf(':]', i + 2) : -1;
    const name = m > 0 ? regex.slice(i + 2, m) : '';
    if (m > 0 && POSIX_CLASSES[name] !== undefined) {
      out += POSIX_CLASSES[name];
      i = m + 2;
    } else out += regex[i++];
  }
  const pattern = `^(?:${out})$`;
  try {
    new RegExp(pattern, 'u');
    return pattern;
  } catch {
    return undefined;
  }
}
