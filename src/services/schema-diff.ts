/**
 * What a new app version changes in its configuration schema: options added, removed, renamed,
 * whose type or default changed. Renames come from the manifest's list; where it has none, an
 * option that went and one that came are offered as a *suggested* rename when their names,
 * descriptions and types are alike enough. A suggestion is never applied unless the user
 * confirms it.
 */
import type { Json } from '../engine/resource.js';
import type { RenameSuggestion, SchemaChange, SchemaChangeKind } from '../api/views.js';

export type { RenameSuggestion, SchemaChange, SchemaChangeKind };

export interface OptionInfo {
  path: string;
  type?: string;
  title?: string;
  description?: string;
  default?: Json;
  required: boolean;
}

/** Below this, two options are not offered as a rename at all */
export const SUGGESTION_THRESHOLD = 0.5;
/** Candidates for the same option within this of the best are flagged as competing */
const COMPETING_MARGIN = 0.1;

const typeOf = (s: any): string | undefined => {
  if (!s || typeof s !== 'object') return undefined;
  const t = Array.isArray(s.type) ? s.type.join('|') : s.type;
  if (t) return s.enum ? `${t} enum` : t;
  if (s.enum) return 'enum';
  if (s.anyOf || s.oneOf) return (s.anyOf ?? s.oneOf).map(typeOf).join('|');
  return undefined;
};

/** The options of a config schema, by dotted path; objects with properties are walked into */
export function optionsOf(schema: any, prefix: string[] = [], required: string[] = schema?.required ?? []): Map<string, OptionInfo> {
  const out = new Map<string, OptionInfo>();
  for (const [name, sub] of Object.entries<any>(schema?.properties ?? {})) {
    const path = [...prefix, name];
    if (sub?.type === 'object' && sub.properties) {
      for (const [k, v] of optionsOf(sub, path, sub.required ?? [])) out.set(k, v);
      continue;
    }
    out.set(path.join('.'), {
      path: path.join('.'),
      type: typeOf(sub),
      title: sub?.title,
      description: sub?.description,
      ...(sub?.default !== undefined && { default: sub.default }),
      required: required.includes(name),
    });
  }
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The changes from one config schema to the next, given the renames the manifest declares (or the user confirmed) */
export function diffSchemas(oldSchema: unknown, newSchema: unknown, renames: { from: string; to: string }[] = []): SchemaChange[] {
  const before = optionsOf(oldSchema);
  const after = optionsOf(newSchema);
  const renamedTo = new Map(renames.filter((r) => before.has(r.from) && after.has(r.to)).map((r) => [r.to, r.from]));
  const renamedFrom = new Set(renamedTo.values());
  const changes: SchemaChange[] = [];
  for (const [path, n] of after) {
    const oldPath = renamedTo.get(path) ?? (before.has(path) ? path : undefined);
    const o = oldPath === undefined ? undefined : before.get(oldPath);
    if (!o) {
      changes.push({ path, kind: 'added', newType: n.type, ...(n.default !== undefined && { newDefault: n.default }), ...(n.required && n.default === undefined && { required: true }) });
      continue;
    }
    if (oldPath !== path) changes.push({ path, kind: 'renamed', from: oldPath });
    if (o.type !== n.type) changes.push({ path, kind: 'type-changed', oldType: o.type, newType: n.type });
    if (!same(o.default, n.default)) changes.push({ path, kind: 'default-changed', oldDefault: o.default, newDefault: n.default });
  }
  for (const path of before.keys()) if (!after.has(path) && !renamedFrom.has(path)) changes.push({ path, kind: 'removed', oldType: before.get(path)!.type });
  return changes;
}

/** Words of an option name or text: camelCase, snake_case, kebab-case and dots split; lower case */
export function words(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 1);
}

const jaccard = (a: string[], b: string[]) => {
  const A = new Set(a);
  const B = new Set(b);
  if (!A.size && !B.size) return 0;
  let common = 0;
  for (const x of A) if (B.has(x)) common++;
  return common / (A.size + B.size - common);
};

/** 1 - normalised Levenshtein distance */
function likeness(a: string, b: string): number {
  if (!a.length && !b.length) return 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return 1 - prev[b.length] / Math.max(a.length, b.length);
}

/** How alike a removed and an added option are, and why */
export function similarity(removed: OptionInfo, added: OptionInfo): { score: number; reason: string } {
  const lastOf = (p: string) => p.split('.').pop()!;
  const name = Math.max(jaccard(words(removed.path), words(added.path)), likeness(lastOf(removed.path).toLowerCase(), lastOf(added.path).toLowerCase()));
  const text = jaccard(words(`${removed.title ?? ''} ${removed.description ?? ''}`), words(`${added.title ?? ''} ${added.description ?? ''}`));
  const hasText = Boolean((removed.title || removed.description) && (added.title || added.description));
  const type = removed.type === added.type ? 1 : 0;
  // Without descriptions on both sides, the name carries more of the weight.
  const score = hasText ? 0.45 * name + 0.35 * text + 0.2 * type : 0.75 * name + 0.25 * type;
  const reasons = [`names ${Math.round(name * 100)}% alike`, ...(hasText ? [`descriptions ${Math.round(text * 100)}% alike`] : []), type ? `same type (${added.type ?? 'any'})` : `type ${removed.type ?? 'any'} -> ${added.type ?? 'any'}`];
  return { score: Math.round(score * 100) / 100, reason: reasons.join(', ') };
}

/**
 * Candidate renames between the options a new version dropped and those it added (renames the
 * manifest declares are already out of both lists). Every pair above the threshold is listed,
 * best first; pairs close to the best for the same option are marked competing.
 */
export function suggestRenames(oldSchema: unknown, newSchema: unknown, declared: { from: string; to: string }[] = []): RenameSuggestion[] {
  const changes = diffSchemas(oldSchema, newSchema, declared);
  const before = optionsOf(oldSchema);
  const after = optionsOf(newSchema);
  const removed = changes.filter((c) => c.kind === 'removed').map((c) => before.get(c.path)!);
  const added = changes.filter((c) => c.kind === 'added').map((c) => after.get(c.path)!);
  const out: RenameSuggestion[] = [];
  for (const r of removed) {
    for (const a of added) {
      const { score, reason } = similarity(r, a);
      if (score >= SUGGESTION_THRESHOLD) out.push({ from: r.path, to: a.path, score, reason });
    }
  }
  out.sort((x, y) => y.score - x.score);
  for (const s of out) {
    const rivals = out.filter((o) => o !== s && (o.from === s.from || o.to === s.to));
    if (rivals.some((o) => Math.abs(o.score - s.score) <= COMPETING_MARGIN)) s.competing = true;
  }
  return out;
}
