/**
 * NixOS options (the options.json `nixosOptionsDoc` writes) as the JSON Schema of a manifest's
 * config: the options under a prefix (e.g. services.nextcloud) nested by their `loc`, each with
 * its type (type-description.ts, type-schema.ts), description, default and example.
 *
 * What cannot be said in JSON Schema is kept as an `x-nix-*` hint and, where it loosens a check,
 * reported in `warnings`: nothing makes the conversion fail but a malformed options.json.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { parseTypeDescription, TypeSyntaxError } from './type-description.js';
import { typeToSchema, type JSONSchema, type SchemaContext } from './type-schema.js';
import { readNixLiteral } from './nix-literal.js';
import { plainDescription } from './doc-markup.js';

export type { JSONSchema };

/** One entry of options.json, keyed there by the option's name. */
export interface NixOption {
  /** The description of the option's type, e.g. "null or 16 bit unsigned integer; between 0 and 65535 (both inclusive)" */
  type: string;
  /** The option's path, e.g. ["services", "nextcloud", "settings", "profile.enabled"] */
  loc: string[];
  description?: string | { _type: string; text: string } | null;
  /** Plain JSON, or {"_type": "literalExpression" | "literalMD", "text": "..."} */
  default?: unknown;
  example?: unknown;
  readOnly?: boolean;
  declarations?: unknown[];
  relatedPackages?: unknown;
}

export class NixOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NixOptionsError';
  }
}

/** Manifests' option names (src/manifest/parse.ts): a name on the path from the root must be one. */
const OPTION_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Segments `getSubOptions` puts for the members of attrsOf (<name>) and listOf (*) submodules. */
const isPlaceholder = (seg: string) => seg === '*' || (seg.startsWith('<') && seg.endsWith('>'));

const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);
const kind = (v: unknown) =>
  v === undefined ? 'nothing' : v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Parses options.json text; the error says which file and what is wrong. */
export function parseOptionsJson(text: string, source = 'options.json'): Record<string, NixOption> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new NixOptionsError(`${source} is not JSON: ${(err as Error).message}`);
  }
  try {
    return checkOptions(doc);
  } catch (err) {
    if (err instanceof NixOptionsError) throw new NixOptionsError(`${source}: ${err.message}`);
    throw err;
  }
}

/** Checks the shape options.json entries must have; the error names the option at fault. */
export function checkOptions(doc: unknown): Record<string, NixOption> {
  if (!isObj(doc)) throw new NixOptionsError(`expected an object of options keyed by name (what nixosOptionsDoc writes as options.json), not ${kind(doc)}`);
  for (const [name, o] of Object.entries(doc)) {
    const bad = (what: string) => new NixOptionsError(`option "${name}": ${what}`);
    if (!isObj(o)) throw bad(`must be an object with "type", "loc", "description"..., not ${kind(o)}`);
    if (typeof o.type !== 'string') throw bad(`"type" must be the description of the option's type (a string), not ${kind(o.type)}`);
    if (!Array.isArray(o.loc) || o.loc.length === 0 || !o.loc.every((s: unknown) => typeof s === 'string' && s !== '')) {
      throw bad(`"loc" must be the option's path as a list of names, e.g. ["services", "x", "enable"], not ${kind(o.loc)}`);
    }
    if (o.readOnly !== undefined && typeof o.readOnly !== 'boolean') throw bad(`"readOnly" must be true or false, not ${kind(o.readOnly)}`);
    if (o.description != null && typeof o.description !== 'string' && !(isObj(o.description) && typeof o.description.text === 'string')) {
      throw bad(`"description" must be a string, not ${kind(o.description)}`);
    }
  }
  return doc as Record<string, NixOption>;
}

interface OptionNode {
  key?: string;
  option?: NixOption;
  children: Map<string, OptionNode>;
}

/**
 * The JSON Schema of the options under `prefix` (an object, one property per option or group of
 * options). Problems that loosen the schema are pushed onto `warnings`, one line each, starting
 * with the option's name.
 */
export function optionsToSchema(options: Record<string, NixOption>, prefix: string[], warnings: string[] = []): JSONSchema {
  checkOptions(options);
  const root: OptionNode = { children: new Map() };
  for (const [key, opt] of Object.entries(options)) {
    if (opt.loc.length < prefix.length || prefix.some((seg, i) => opt.loc[i] !== seg)) continue;
    let node = root;
    for (const seg of opt.loc.slice(prefix.length)) {
      let next = node.children.get(seg);
      if (!next) node.children.set(seg, (next = { children: new Map() }));
      node = next;
    }
    node.key = key;
    node.option = opt;
  }
  if (!root.option && root.children.size === 0) {
    const names = Object.keys(options);
    throw new NixOptionsError(
      `no option under "${prefix.join('.')}" (${names.length ? `the options are e.g. ${names.slice(0, 3).join(', ')}` : 'the file has no options'})`,
    );
  }
  const { schema } = new Converter(warnings, prefix.length).node(root, prefix, true);
  if (root.option) return schema;
  // The root is the form itself: it needs no default of its own.
  delete schema.default;
  return { ...schema, 'x-nix-prefix': prefix.join('.') };
}

class Converter {
  private readonly ajv = new Ajv({ strict: false });
  private readonly ctx: SchemaContext;
  private where = '';

  constructor(
    private readonly warnings: string[],
    /** Length of the prefix's path: a node that deep is the service itself. */
    private readonly rootDepth: number,
  ) {
    this.ctx = { submodules: new WeakSet(), unsupported: new WeakSet(), warn: (m) => this.warn(m) };
  }

  private warn(message: string) {
    this.warnings.push(`${this.where}: ${message}`);
  }

  /** An option, or a group of options that only share a path; and whether the owner must set it. */
  node(n: OptionNode, loc: string[], onChain: boolean): { schema: JSONSchema; required: boolean } {
    const title = loc[loc.length - 1];
    if (!n.option) {
      this.where = loc.join('.');
      // A group: NixOS refuses names it does not declare, and so does this.
      const schema: JSONSchema = { type: 'object', title, additionalProperties: false };
      const required = this.members(schema, n.children, loc, onChain);
      // Ajv fills in the members' defaults only where the group exists, hence its default {}.
      if (!required) schema.default = {};
      return { schema, required };
    }

    const opt = n.option;
    this.where = n.key ?? loc.join('.');
    const schema = this.typeSchema(opt.type);
    const named = new Map<string, OptionNode>();
    for (const [seg, child] of n.children) {
      if (!isPlaceholder(seg)) named.set(seg, child);
      else this.subModuleMembers(schema, seg, child, [...loc, seg], opt.type);
    }
    if (named.size) {
      const obj = this.objectBranch(schema);
      this.where = n.key ?? loc.join('.');
      if (!obj) this.warn(`has sub-options (${[...named.keys()].join(', ')}) but its type "${opt.type}" holds no attribute set: they are left out`);
      else this.members(obj, named, loc, onChain && obj === schema);
    }
    this.where = n.key ?? loc.join('.');
    // Nothing but the owner gives a value to an option without a default (unless it is read-only).
    return { schema: this.annotate(schema, opt, title), required: !('default' in opt) && !opt.readOnly };
  }

  /** Adds the options in `children` to an object schema; true when one of them must be set. */
  private members(obj: JSONSchema, children: Map<string, OptionNode>, loc: string[], onChain: boolean): boolean {
    const properties: Record<string, JSONSchema> = isObj(obj.properties) ? obj.properties : {};
    const required: string[] = [];
    for (const [seg, child] of children) {
      const r = this.node(child, [...loc, seg], onChain);
      if (onChain && !OPTION_NAME.test(seg)) {
        // A manifest's option names are written in templates as {{ config.a.b }}: "profile.enabled"
        // cannot be one. Its schema still applies, under a pattern matching exactly that name.
        this.where = child.key ?? [...loc, seg].join('.');
        this.warn(`"${seg}" is not a usable option name in a manifest (letters, digits, _ and -): described under patternProperties, with no default filled in`);
        obj.patternProperties = { ...(isObj(obj.patternProperties) ? obj.patternProperties : {}), [`^${escapeRegExp(seg)}$`]: r.schema };
      } else properties[seg] = r.schema;
      if (r.required) required.push(seg);
    }
    if (Object.keys(properties).length) obj.properties = properties;
    // A submodule without a freeform type accepts only the options it declares.
    if (this.ctx.submodules.has(obj)) obj.additionalProperties = false;
    if (!required.length) return false;

    // NixOS is lazy: an option without a default is needed only where something reads it, and
    // under an `enable` switch (services.x.objectstore.s3.enable) nothing does while it is off.
    // The service's own `enable` is left out: installing the app is what turns it on.
    const enable = children.get('enable')?.option;
    if (loc.length > this.rootDepth && enable?.type === 'boolean' && !required.includes('enable')) {
      const on = nixValue(enable.default);
      // "enable is true" when it defaults to false, "enable is not false" when it defaults to true.
      obj.if = { properties: { enable: { const: on.plain && on.value === true ? false : true } }, required: ['enable'] };
      obj[on.plain && on.value === true ? 'else' : 'then'] = { required };
      return false;
    }
    obj.required = [...(Array.isArray(obj.required) ? obj.required : []), ...required];
    return true;
  }

  /** The members of each element of an attrsOf (<name>) or listOf (*) submodule. */
  private subModuleMembers(schema: JSONSchema, seg: string, child: OptionNode, loc: string[], type: string) {
    let holder: unknown;
    if (seg === '*') {
      const list = branch(schema, (s) => s.type === 'array');
      holder = list?.items;
    } else {
      const obj = this.objectBranch(schema);
      holder = obj?.additionalProperties;
    }
    const element = isObj(holder) ? this.objectBranch(holder) : undefined;
    if (!element) {
      this.warn(`has sub-options under ${seg} but its type "${type}" holds no submodule there: they are left out`);
      return;
    }
    if (child.option) this.warn(`${loc.join('.')} is itself an option: only its sub-options are used`);
    this.members(element, child.children, loc, false);
  }

  /**
   * The part of a schema that is an attribute set, to put sub-options in: the schema itself, its
   * object branch (null or submodule), or a freeform value (JSON value) which, holding declared
   * options, is an attribute set.
   */
  private objectBranch(s: JSONSchema): JSONSchema | undefined {
    if (this.ctx.unsupported.has(s)) return undefined;
    if (s.type === 'object') return s;
    if (Array.isArray(s.anyOf)) {
      for (const b of s.anyOf) {
        const o = isObj(b) ? this.objectBranch(b) : undefined;
        if (o) return o;
      }
      return undefined;
    }
    const freeform = s.type === undefined && s.enum === undefined && s.not === undefined;
    if (freeform || (Array.isArray(s.type) && s.type.includes('object'))) {
      s.type = 'object';
      return s;
    }
    return undefined;
  }

  private typeSchema(type: string): JSONSchema {
    try {
      return typeToSchema(parseTypeDescription(type), this.ctx);
    } catch (err) {
      if (!(err instanceof TypeSyntaxError)) throw err;
      this.warn(`its type "${type}" cannot be read (${err.message}): any value is accepted`);
      const s: JSONSchema = { 'x-nix-type': type };
      this.ctx.unsupported.add(s);
      return s;
    }
  }

  /** Title, description, default, examples and readOnly around the type's schema. */
  private annotate(schema: JSONSchema, opt: NixOption, title: string): JSONSchema {
    const out: JSONSchema = { title };
    const description = typeof opt.description === 'string' ? opt.description : opt.description?.text;
    if (description) out.description = plainDescription(description);
    Object.assign(out, schema);

    let validate: ValidateFunction | undefined;
    const fits = (v: unknown) => {
      try {
        validate ??= this.ajv.compile(schema);
      } catch {
        return false;
      }
      return validate(v);
    };
    if ('default' in opt) {
      const d = nixValue(opt.default);
      if (d.plain && fits(d.value)) out.default = d.value;
      else {
        out['x-nix-default'] = d.text;
        if (d.plain) this.warn(`its default ${d.text} does not match its type "${opt.type}": left out`);
      }
    }
    if ('example' in opt) {
      const e = nixValue(opt.example);
      if (e.plain && fits(e.value)) out.examples = [e.value];
      else out['x-nix-example'] = e.text;
    }
    if (opt.readOnly) out.readOnly = true;
    return out;
  }
}

/** The first schema (itself or an anyOf branch) that `test` accepts. */
function branch(s: JSONSchema, test: (s: JSONSchema) => boolean): JSONSchema | undefined {
  if (test(s)) return s;
  return Array.isArray(s.anyOf) ? s.anyOf.find((b): b is JSONSchema => isObj(b) && test(b)) : undefined;
}

/**
 * A default or example: plain JSON as it is; a literalExpression whose text is a plain value
 * (nix-literal.ts) as that value, with its text; otherwise (an expression, literalMD prose) the
 * text alone.
 */
function nixValue(v: unknown): { plain: true; value: unknown; text: string } | { plain: false; text: string } {
  if (isObj(v) && typeof v._type === 'string' && typeof v.text === 'string') {
    if (v._type === 'literalExpression' || v._type === 'literalExample') {
      const r = readNixLiteral(v.text);
      return r ? { plain: true, value: r.value, text: v.text } : { plain: false, text: v.text };
    }
    return { plain: false, text: v.text };
  }
  return { plain: true, value: v, text: JSON.stringify(v) };
}
