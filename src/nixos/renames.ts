/**
 * Renamed and removed options, read from a NixOS module's source: the `imports` of a module list
 * `(mkRenamedOptionModule [ "services" "x" "old" ] [ "services" "x" "new" ])` and the like. Renamed
 * options are invisible in options.json, so the module source is where they are found.
 *
 * The source is parsed with tree-sitter (nix-parser.ts) and the `imports` list evaluated
 * (nix-eval.ts), so that paths built with the file's own helpers resolve too. A call that cannot
 * be resolved is reported with its place, never silently skipped.
 */
import { parseNix, where, type Node } from './nix-parser.js';
import { Evaluator, Scope, Thunk, Unresolved, builtin, type Value } from './nix-eval.js';
import { configPaths } from '../manifest/parse.js';
import type { JSONSchema } from './type-schema.js';

export interface NixRename {
  /** renamed: the value moves as it is (mkRenamedOptionModule, ...With, mkAliasOptionModule);
   *  removed: the option is gone (mkRemovedOptionModule);
   *  changed: it moves through a Nix function that converts the value (mkChangedOptionModule). */
  kind: 'renamed' | 'removed' | 'changed';
  from: string[];
  to: string[] | null;
  /** removed: the message for users; changed: the source of the converting function; else null */
  message: string | null;
  /** The lib function used, e.g. "mkRenamedOptionModule" */
  helper: string;
  /** mkRenamedOptionModuleWith's sinceRelease, e.g. 2511 for NixOS 25.11 */
  sinceRelease?: number;
  /** Where the call is in the source, "line:column" */
  at: string;
}

export interface RenameScan {
  renames: NixRename[];
  /** Calls found but not resolved, syntax errors..., each with its place */
  warnings: string[];
}

const HELPERS = [
  'mkRenamedOptionModule',
  'mkRenamedOptionModuleWith',
  'mkRemovedOptionModule',
  'mkAliasOptionModule',
  'mkAliasOptionModuleMD',
  'mkChangedOptionModule',
  'mkMergedOptionModule',
];

/** What a helper call evaluates to. */
type HelperResult = { rename: NixRename } | { merged: string };

function stringList(t: Thunk, call: Node, what: string): string[] {
  const v = t.force();
  if (v.k !== 'list') throw new Unresolved(t.node ?? call, `${what} must be a list of names, not ${v.k}`);
  return v.items.map((item) => {
    const s = item.force();
    if (s.k !== 'string') throw new Unresolved(item.node ?? call, `${what} must hold strings, not ${s.k}`);
    return s.v;
  });
}

/**
 * The functions module sources call, as the evaluator's globals. `ev` is a getter because the
 * evaluator and its globals refer to each other (map applies functions, messages are re-read).
 */
function globals(ev: () => Evaluator): Map<string, Value> {
  const record = (r: HelperResult): Value => ({ k: 'opaque', data: r });
  const renamed = (helper: string) =>
    builtin(helper, 2, ([from, to], call) =>
      record({ rename: { kind: 'renamed', from: stringList(from, call, 'from'), to: stringList(to, call, 'to'), message: null, helper, at: where(call) } }),
    );
  return new Map<string, Value>([
    ['mkRenamedOptionModule', renamed('mkRenamedOptionModule')],
    ['mkAliasOptionModule', renamed('mkAliasOptionModule')],
    ['mkAliasOptionModuleMD', renamed('mkAliasOptionModuleMD')],
    [
      'mkRenamedOptionModuleWith',
      builtin('mkRenamedOptionModuleWith', 1, ([arg], call) => {
        const a = arg.force();
        if (a.k !== 'attrs') throw new Unresolved(call, `mkRenamedOptionModuleWith takes { from; to; sinceRelease; }, not ${a.k}`);
        const field = (name: string) => {
          const t = a.attrs.get(name);
          if (!t) throw new Unresolved(call, `mkRenamedOptionModuleWith without ${name}`);
          return t;
        };
        const since = a.attrs.get('sinceRelease')?.force();
        return record({
          rename: {
            kind: 'renamed',
            from: stringList(field('from'), call, 'from'),
            to: stringList(field('to'), call, 'to'),
            message: null,
            helper: 'mkRenamedOptionModuleWith',
            ...(since?.k === 'int' && { sinceRelease: since.v }),
            at: where(call),
          },
        });
      }),
    ],
    [
      'mkRemovedOptionModule',
      builtin('mkRemovedOptionModule', 2, ([path, message], call) =>
        record({
          rename: {
            kind: 'removed',
            from: stringList(path, call, 'the option'),
            to: null,
            // A message may interpolate what cannot be known here: that part keeps its source text.
            message: ev().lenientString(message),
            helper: 'mkRemovedOptionModule',
            at: where(call),
          },
        }),
      ),
    ],
    [
      'mkChangedOptionModule',
      builtin('mkChangedOptionModule', 3, ([from, to, convert], call) =>
        record({
          rename: {
            kind: 'changed',
            from: stringList(from, call, 'from'),
            to: stringList(to, call, 'to'),
            message: sourceOf(convert),
            helper: 'mkChangedOptionModule',
            at: where(call),
          },
        }),
      ),
    ],
    [
      'mkMergedOptionModule',
      builtin('mkMergedOptionModule', 3, ([froms, to], call) => {
        const f = froms.force();
        const names = f.k === 'list' ? f.items.map((i) => stringList(i, call, 'from').join('.')) : [];
        return record({ merged: `mkMergedOptionModule at ${where(call)} merges ${names.join(', ')} into ${stringList(to, call, 'to').join('.')} with a Nix function: not a rename, not listed` });
      }),
    ],
    [
      'map',
      builtin('map', 2, ([f, list], call) => {
        const l = list.force();
        if (l.k !== 'list') throw new Unresolved(call, `map over ${l.k}`);
        const fn = f.force();
        return { k: 'list', items: l.items.map((item) => new Thunk(call, () => ev().apply(fn, item, call))) };
      }),
    ],
    ['true', { k: 'bool', v: true }],
    ['false', { k: 'bool', v: false }],
    ['null', { k: 'null' }],
  ]);
}

/** The source text of an argument, without the parentheses around it. */
function sourceOf(t: Thunk): string | null {
  let n = t.node;
  while (n?.type === 'parenthesized_expression') n = n.childForFieldName('expression');
  return n?.text ?? null;
}

/** Does the source of `n` call one of the helpers? (to tell a module import from a skipped rename) */
function mentionsHelper(n: Node): boolean {
  return n.descendantsOfType('identifier').some((id) => id !== null && HELPERS.includes(id.text));
}

/**
 * The renames and removals declared by a NixOS module's top-level `imports`. Rename calls in other
 * places (a submodule's imports, whose paths are relative to the submodule) are reported, not
 * listed.
 */
export async function parseRenames(source: string, file = 'module.nix'): Promise<RenameScan> {
  const tree = await parseNix(source);
  try {
    const root = tree.rootNode;
    const warnings: string[] = [];
    const renames: NixRename[] = [];
    const warn = (n: Node, message: string) => warnings.push(`${file}:${where(n)}: ${message}`);
    if (root.hasError) {
      const bad = root.descendantsOfType('ERROR')[0] ?? root;
      warn(bad, 'syntax error: what follows may be missed');
    }

    // Uses of a helper met while evaluating; any other use is outside what is listed.
    const used = new Set<number>();
    const ev: Evaluator = new Evaluator(
      globals(() => ev),
      (node, v) => {
        if (v.k === 'lambda' && v.helper && HELPERS.includes(v.helper)) used.add(node.id);
      },
    );

    const found = findImports(root, ev);
    if (found) {
      for (const element of importElements(found.node, found.scope, ev, warn)) {
        let v: Value;
        try {
          v = element.force();
        } catch (err) {
          if (!(err instanceof Unresolved)) throw err;
          const n = element.node ?? found.node;
          if (mentionsHelper(n)) warn(n, `not resolved, not listed: ${err.reason} (at ${where(err.node)}: ${err.node.text.split('\n')[0]})`);
          continue;
        }
        if (v.k !== 'opaque') continue; // a module file, an inline module: not a rename
        const r = v.data as HelperResult;
        if ('rename' in r) renames.push(r.rename);
        else warnings.push(`${file}: ${r.merged}`);
      }
    }

    for (const id of root.descendantsOfType('identifier')) {
      if (!id || !HELPERS.includes(id.text)) continue;
      const use = id.parent?.type === 'variable_expression' ? id.parent : id.parent?.parent?.type === 'select_expression' ? id.parent.parent : null;
      if (use && !used.has(use.id) && !inUsedSelection(use, used)) {
        warn(use, `${id.text} outside the module's top-level imports (a submodule's imports, or a helper never called): not listed`);
      }
    }
    return { renames, warnings };
  } finally {
    tree.delete();
  }
}

/** `lib.mkX` is seen as the select node; `lib` alone is its variable child. */
function inUsedSelection(n: Node, used: Set<number>): boolean {
  for (let p: Node | null = n; p && p.type === 'select_expression'; p = p.parent) if (used.has(p.id)) return true;
  return false;
}

/** The module's `imports = ...` binding, past its arguments, `with`, `let` and `assert`. */
function findImports(root: Node, ev: Evaluator): { node: Node; scope: Scope } | undefined {
  let n: Node | null = root.childForFieldName('expression');
  let scope = new Scope(null);
  while (n) {
    switch (n.type) {
      case 'function_expression':
        n = n.childForFieldName('body'); // the module's arguments stay unknown
        break;
      case 'with_expression': {
        const env = n.childForFieldName('environment');
        if (env) scope = new Scope(scope, new Map(), ev.thunk(env, scope));
        n = n.childForFieldName('body');
        break;
      }
      case 'let_expression':
        scope = ev.letScope(n, scope);
        n = n.childForFieldName('body');
        break;
      case 'assert_expression':
        n = n.childForFieldName('body');
        break;
      case 'parenthesized_expression':
        n = n.childForFieldName('expression');
        break;
      case 'attrset_expression':
      case 'rec_attrset_expression': {
        const set = n.children.find((c) => c?.type === 'binding_set');
        for (const b of set?.namedChildren ?? []) {
          if (b?.type !== 'binding') continue;
          const path = b.childForFieldName('attrpath');
          const attrs = path?.childrenForFieldName('attr') ?? [];
          const expr = b.childForFieldName('expression');
          if (attrs.length === 1 && attrs[0]?.text === 'imports' && expr) return { node: expr, scope };
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }
  return undefined;
}

/**
 * The elements of an imports list, as thunks: through `++` and `let ... in [ ... ]`, so that one
 * unresolvable part (`lib.optional cond ./x.nix`) does not hide the others.
 */
function importElements(node: Node, scope: Scope, ev: Evaluator, warn: (n: Node, m: string) => void): Thunk[] {
  switch (node.type) {
    case 'parenthesized_expression': {
      const e = node.childForFieldName('expression');
      return e ? importElements(e, scope, ev, warn) : [];
    }
    case 'list_expression':
      return node.namedChildren.filter((e): e is Node => e !== null && e.type !== 'comment').map((e) => ev.thunk(e, scope));
    case 'let_expression': {
      const body = node.childForFieldName('body');
      return body ? importElements(body, ev.letScope(node, scope), ev, warn) : [];
    }
    case 'binary_expression': {
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      if (node.childForFieldName('operator')?.text === '++' && left && right) {
        return [...importElements(left, scope, ev, warn), ...importElements(right, scope, ev, warn)];
      }
      break;
    }
  }
  try {
    const v = ev.eval(node, scope);
    if (v.k === 'list') return v.items;
  } catch (err) {
    if (!(err instanceof Unresolved)) throw err;
    if (mentionsHelper(node)) warn(node, `not resolved, not listed: ${err.reason}`);
  }
  return [];
}

// ---- to the manifest's upgrade.renames ----

export interface ManifestRenames {
  /** upgrade.renames entries: option paths relative to the prefix, dot-joined */
  renames: { from: string; to: string }[];
  /** Options removed without a replacement, for the caller to report */
  removed: { option: string; message: string | null }[];
  /** What a manifest cannot carry, and why */
  skipped: { from: string; to: string | null; reason: string }[];
}

/**
 * The manifest's view of a module's renames: paths under `prefix` made relative and dot-joined.
 * With `schema`, a rename whose new option is not in it is skipped (a manifest would refuse it).
 */
export function renamesToManifest(renames: NixRename[], prefix: string[], schema?: JSONSchema): ManifestRenames {
  const out: ManifestRenames = { renames: [], removed: [], skipped: [] };
  const under = (path: string[]) => path.length > prefix.length && prefix.every((seg, i) => path[i] === seg);
  const show = (path: string[]) => path.map((s) => (s.includes('.') ? JSON.stringify(s) : s)).join('.');
  // A manifest path is dot-joined, so a name holding a dot ("profile.enabled") cannot be written.
  const dotted = (path: string[]) => path.slice(prefix.length).find((s) => s.includes('.'));
  const rel = (path: string[]) => path.slice(prefix.length).join('.');
  const known = schema ? new Set(configPaths(schema)) : undefined;

  for (const r of renames) {
    const skip = (reason: string) => out.skipped.push({ from: show(r.from), to: r.to && show(r.to), reason });
    if (!under(r.from)) {
      skip(`not an option under ${prefix.join('.')}`);
      continue;
    }
    if (r.kind === 'removed') {
      out.removed.push({ option: rel(r.from), message: r.message });
      continue;
    }
    const to = r.to ?? [];
    if (r.kind === 'changed') skip(`its value is converted by a Nix function (${r.message ?? '?'}): carry it over by hand`);
    else if (!under(to)) skip(`moved out of ${prefix.join('.')}`);
    else if (dotted(r.from) || dotted(to)) skip(`"${dotted(r.from) ?? dotted(to)}" holds a dot, which a manifest's dotted option path cannot express`);
    else if (known && !known.has(rel(to))) skip(`${rel(to)} is not an option of the schema`);
    else out.renames.push({ from: rel(r.from), to: rel(to) });
  }
  return out;
}
