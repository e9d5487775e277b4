/** User configuration of an installation: validated against the app's config schema. */
import { Ajv } from 'ajv';
import semver from 'semver';
import { semverOf } from '../manifest/versions.js';
import type { Manifest } from '../manifest/schema.js';
import type { Json } from '../engine/resource.js';
import { UserError } from './errors.js';
import type { ConfigChange } from '../api/views.js';

export type { ConfigChange };

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: false });
const cache = new WeakMap<object, ReturnType<typeof ajv.compile>>();

/** Turns ["a.b=1", "c=x"] into a nested object, values typed by the schema where it says */
export function parseSets(sets: string[], schema: any): Record<string, Json> {
  const out: Record<string, any> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UserError(`--set ${s}: expected key=value, e.g. --set title="My site"`);
    const path = s.slice(0, eq).split('.');
    const raw = s.slice(eq + 1);
    let node: any = schema;
    for (const p of path) node = node?.properties?.[p];
    let value: Json = raw;
    const type = Array.isArray(node?.type) ? node.type[0] : node?.type;
    if (type === 'integer' || type === 'number') value = raw.trim() !== '' && !isNaN(Number(raw)) ? Number(raw) : raw;
    else if (type === 'boolean') value = raw === 'true' ? true : raw === 'false' ? false : raw;
    else if (type === 'array' || type === 'object') {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new UserError(`--set ${path.join('.')}: expected JSON for a ${type}`);
      }
    }
    let cur = out;
    for (const p of path.slice(0, -1)) cur = cur[p] ??= {};
    cur[path[path.length - 1]] = value;
  }
  return out;
}

export function mergeConfig(base: Record<string, Json>, patch: Record<string, Json>): Record<string, Json> {
  const out: Record<string, any> = structuredClone(base);
  for (const [k, v] of Object.entries(patch)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? mergeConfig(out[k], v as Record<string, Json>) : v;
  }
  return out;
}

/** Validates (and fills defaults into) config values; errors name each option */
export function validateConfig(manifest: Manifest, values: Record<string, Json>): Record<string, Json> {
  const schema = manifest.config?.schema ?? { type: 'object', properties: {}, additionalProperties: false };
  let validate = cache.get(schema);
  if (!validate) cache.set(schema, (validate = ajv.compile(schema)));
  const copy = structuredClone(values);
  if (!validate(copy)) {
    const details = (validate.errors ?? []).map((e) => {
      const base = e.instancePath.split('/').slice(1).join('.');
      const extra = e.keyword === 'additionalProperties' ? (e.params as any).additionalProperty : e.keyword === 'required' ? (e.params as any).missingProperty : '';
      const path = ['config', base, extra].filter(Boolean).join('.');
      const message = e.keyword === 'additionalProperties' ? `is not an option of ${manifest.id}` : e.keyword === 'required' ? 'is required' : e.message ?? 'is invalid';
      return { path, message };
    });
    throw new UserError(`invalid configuration for ${manifest.id}: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
  }
  return copy;
}

const getPath = (obj: Record<string, any>, path: string[]) => path.reduce<any>((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
function setPath(obj: Record<string, any>, path: string[], value: Json) {
  let cur = obj;
  for (const k of path.slice(0, -1)) cur = cur[k] && typeof cur[k] === 'object' ? cur[k] : (cur[k] = {});
  cur[path[path.length - 1]] = value;
}
function deletePath(obj: Record<string, any>, path: string[]) {
  const parent = getPath(obj, path.slice(0, -1));
  if (parent && typeof parent === 'object') delete parent[path[path.length - 1]];
}

/** Leaf option paths of a value tree, walking only where the schema lists properties (free-form maps stay whole) */
function leaves(values: Record<string, Json>, schema: any, prefix: string[] = []): { path: string[]; value: Json }[] {
  const out: { path: string[]; value: Json }[] = [];
  for (const [k, v] of Object.entries(values)) {
    const sub = schema?.properties?.[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && sub?.properties) out.push(...leaves(v as Record<string, Json>, sub, [...prefix, k]));
    else out.push({ path: [...prefix, k], value: v });
  }
  return out;
}
const declared = (schema: any, path: string[]) => path.every((k) => (schema = schema?.properties?.[k]) !== undefined);

/** Checks (and fills defaults into) config values without throwing: the problems, by option */
export function checkConfig(manifest: Manifest, values: Record<string, Json>): { config: Record<string, Json>; problems: { path: string; message: string }[] } {
  try {
    return { config: validateConfig(manifest, values), problems: [] };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    // Defaults are filled in even where other options fail.
    const copy = structuredClone(values);
    const fill = (schema: any, node: Record<string, any>) => {
      for (const [k, sub] of Object.entries<any>(schema?.properties ?? {})) {
        if (node[k] === undefined && sub?.default !== undefined) node[k] = structuredClone(sub.default);
        if (sub?.properties && node[k] && typeof node[k] === 'object') fill(sub, node[k]);
      }
    };
    fill(manifest.config?.schema, copy);
    return { config: copy, problems: err.details ?? [{ path: 'config', message: err.message }] };
  }
}

export interface CarryOptions {
  /** Renames the user confirmed (suggested ones), applied like the manifest's own */
  renames?: { from: string; to: string }[];
  /** Values the user gave for the new version, set after carrying over */
  set?: Record<string, Json>;
}

/**
 * Carries an installation's configuration from one app version to another: values of renamed
 * options (the manifest's renames newer than the version updated from, and those the user
 * confirmed) move to their new names, values of options the new version no longer has are
 * dropped, the user's values are set, new options get their defaults. Returns the new values,
 * each change (old and new side by side), and what still needs a value: never throws for those,
 * so that a preview can ask for them.
 */
export function carryConfig(from: Manifest, to: Manifest, values: Record<string, Json>, opts: CarryOptions = {}): { config: Record<string, Json>; changes: ConfigChange[]; problems: { path: string; message: string }[] } {
  const next: Record<string, any> = structuredClone(values);
  const changes: ConfigChange[] = [];
  const fromVersion = semverOf(from.version);
  const manifestRenames = (to.upgrade?.renames ?? []).filter((r) => !(r.since && semver.lte(semverOf(r.since), fromVersion)));
  for (const r of [...manifestRenames, ...(opts.renames ?? [])]) {
    const oldPath = r.from.split('.');
    const value = getPath(next, oldPath);
    if (value === undefined) continue;
    deletePath(next, oldPath);
    if (getPath(next, r.to.split('.')) === undefined) setPath(next, r.to.split('.'), value);
    changes.push({ path: r.to, kind: 'renamed', from: r.from, old: value, new: value });
  }
  const schema = to.config?.schema;
  for (const leaf of leaves(next, schema)) {
    if (schema && !declared(schema, leaf.path)) {
      deletePath(next, leaf.path);
      changes.push({ path: leaf.path.join('.'), kind: 'removed', old: leaf.value });
    }
  }
  const given = opts.set ?? {};
  const { config, problems } = checkConfig(to, mergeConfig(next, given));
  const before = new Map(leaves(values, from.config?.schema).map((l) => [l.path.join('.'), l.value]));
  const after = new Map(leaves(config, schema).map((l) => [l.path.join('.'), l.value]));
  for (const c of changes) if (c.kind === 'renamed' && after.has(c.path)) c.new = after.get(c.path);
  for (const [path, value] of after) {
    if (changes.some((c) => c.path === path)) continue;
    if (!before.has(path)) changes.push({ path, kind: 'added', new: value });
    else changes.push({ path, kind: JSON.stringify(before.get(path)) === JSON.stringify(value) ? 'kept' : 'changed', old: before.get(path), new: value });
  }
  for (const p of problems) {
    const change = changes.find((c) => c.path === p.path.replace(/^config\./, ''));
    if (change) Object.assign(change, { needsValue: true, problem: p.message });
    else changes.push({ path: p.path.replace(/^config\./, ''), kind: 'added', needsValue: true, problem: p.message, ...(before.has(p.path.replace(/^config\./, '')) && { old: before.get(p.path.replace(/^config\./, '')) }) });
  }
  return { config, changes, problems };
}
