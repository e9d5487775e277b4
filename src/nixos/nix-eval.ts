/**
 * A small, lazy evaluator over tree-sitter's Nix syntax tree: enough Nix to read what a module's
 * `imports` say when they are written with the file's own helpers (`let top = x: [ "services" "a"
 * x ]; in ... (top "old")`): strings, numbers, lists, attribute sets, let/rec/with/inherit,
 * functions and their application, `++`, `+`, `//`, `if`, and `map`.
 *
 * It evaluates nothing it cannot know: the module's arguments (config, pkgs, options) and library
 * functions other than those given as globals are unknown, and anything that depends on them
 * throws Unresolved, naming the place; the caller reports it.
 */
import { kids, namedKids, type Node } from './nix-parser.js';
import { joinIndented, unescapeChar, type StringPart } from './nix-strings.js';

export class Unresolved extends Error {
  constructor(
    readonly node: Node,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'Unresolved';
  }
}

export type Value =
  | { k: 'string'; v: string }
  | { k: 'int'; v: number }
  | { k: 'float'; v: number }
  | { k: 'bool'; v: boolean }
  | { k: 'null' }
  | { k: 'path'; v: string }
  | { k: 'list'; items: Thunk[] }
  | { k: 'attrs'; attrs: Map<string, Thunk> }
  /** `call` is the application being evaluated, for locations. `helper` names a global function. */
  | { k: 'lambda'; apply: (arg: Thunk, call: Node) => Value; helper?: string }
  /** `lib`, `builtins` and their sub-sets: their members are the globals. */
  | { k: 'library'; name: string }
  /** What a global function made (e.g. a rename record). */
  | { k: 'opaque'; data: unknown };

/** A value computed when first needed, once (Nix is lazy: most of a module is never needed here). */
export class Thunk {
  private state: 'new' | 'busy' | 'done' | 'failed' = 'new';
  private value: Value | undefined;
  private error: unknown;

  constructor(
    readonly node: Node | null,
    private readonly compute: () => Value,
    /** Where `node` is evaluated, to read it again another way (see lenientString). */
    readonly scope?: Scope,
  ) {}

  static of(value: Value): Thunk {
    return new Thunk(null, () => value);
  }

  force(): Value {
    if (this.state === 'done') return this.value as Value;
    if (this.state === 'failed') throw this.error;
    if (this.state === 'busy') {
      if (this.node) throw new Unresolved(this.node, 'infinite recursion');
      throw new Error('infinite recursion');
    }
    this.state = 'busy';
    try {
      this.value = this.compute();
      this.state = 'done';
      return this.value;
    } catch (err) {
      this.state = 'failed';
      this.error = err;
      throw err;
    }
  }
}

/** Lexical scope: let/rec/function bindings, and the `with` expressions around them. */
export class Scope {
  constructor(
    readonly parent: Scope | null,
    readonly vars: Map<string, Thunk> = new Map(),
    readonly withValue?: Thunk,
  ) {}
}

const LIBRARIES = new Set(['lib', 'builtins']);
const SUB_LIBRARIES = new Set(['modules', 'lists', 'strings', 'attrsets', 'options', 'trivial']);
const skipComments = (ns: Node[]) => ns.filter((n) => n.type !== 'comment');

export class Evaluator {
  /**
   * @param globals functions and constants known by name, bare (with `with lib;`) or as lib.x
   * @param seen called with each node that evaluated to a global function (where it is used)
   */
  constructor(
    private readonly globals: Map<string, Value>,
    private readonly seen: (node: Node, value: Value) => void = () => {},
  ) {}

  thunk(node: Node, scope: Scope): Thunk {
    return new Thunk(node, () => this.eval(node, scope), scope);
  }

  /** The scope a `let` gives its body (its bindings stay lazy). */
  letScope(node: Node, outer: Scope): Scope {
    return this.bindings(node, outer, true);
  }

  eval(node: Node, scope: Scope): Value {
    const field = (name: string) => {
      const c = node.childForFieldName(name);
      if (!c) throw new Unresolved(node, `incomplete ${node.type} (a syntax error?)`);
      return c;
    };
    switch (node.type) {
      case 'source_code':
      case 'parenthesized_expression':
        return this.eval(field('expression'), scope);
      case 'integer_expression':
        return { k: 'int', v: Number(node.text) };
      case 'float_expression':
        return { k: 'float', v: Number(node.text) };
      case 'string_expression':
        return { k: 'string', v: this.stringParts(node, scope, false).map((p) => p.text).join('') };
      case 'indented_string_expression':
        return { k: 'string', v: joinIndented(this.stringParts(node, scope, false)) };
      case 'path_expression':
        return { k: 'path', v: node.text };
      case 'variable_expression': {
        const v = this.lookup(field('name').text, node, scope).force();
        this.seen(node, v);
        return v;
      }
      case 'select_expression':
        return this.select(node, scope);
      case 'list_expression':
        return { k: 'list', items: skipComments(namedKids(node)).map((e) => this.thunk(e, scope)) };
      case 'attrset_expression':
        return { k: 'attrs', attrs: this.bindings(node, scope, false).vars };
      case 'rec_attrset_expression':
        return { k: 'attrs', attrs: this.bindings(node, scope, true).vars };
      case 'let_expression':
        return this.eval(field('body'), this.bindings(node, scope, true));
      case 'with_expression':
        return this.eval(field('body'), new Scope(scope, new Map(), this.thunk(field('environment'), scope)));
      case 'assert_expression':
        return this.eval(field('body'), scope);
      case 'function_expression':
        return this.lambda(node, scope);
      case 'apply_expression': {
        const f = this.eval(field('function'), scope);
        return this.apply(f, this.thunk(field('argument'), scope), node);
      }
      case 'binary_expression':
        return this.binary(node, scope);
      case 'unary_expression': {
        const op = kids(node)[0]?.text;
        const v = this.eval(field('argument'), scope);
        if (op === '-' && (v.k === 'int' || v.k === 'float')) return { k: v.k, v: -v.v };
        if (op === '!' && v.k === 'bool') return { k: 'bool', v: !v.v };
        throw new Unresolved(node, `cannot apply ${op} to ${v.k}`);
      }
      case 'if_expression': {
        const c = this.eval(field('condition'), scope);
        if (c.k !== 'bool') throw new Unresolved(node, `an if condition must be true or false, not ${c.k}`);
        return this.eval(field(c.v ? 'consequence' : 'alternative'), scope);
      }
      default:
        throw new Unresolved(node, `${node.type.replace(/_/g, ' ')} is not evaluated here`);
    }
  }

  /** The parts of a "..." or ''...'' string; `lenient` keeps an unknown ${...} as its source text. */
  stringParts(node: Node, scope: Scope, lenient: boolean): StringPart[] {
    const indented = node.type === 'indented_string_expression';
    const parts: StringPart[] = [];
    let afterDollarEscape = false;
    for (const c of kids(node)) {
      if (c.type === 'string_fragment') {
        // `\$` and `''$` are a dollar_escape node followed by a fragment starting with the "$".
        const text = afterDollarEscape ? c.text.slice(1) : c.text;
        if (text) parts.push({ text, raw: true });
      } else if (c.type === 'dollar_escape') {
        parts.push({ text: '$', raw: false });
      } else if (c.type === 'escape_sequence') {
        const t = c.text;
        parts.push({ text: indented ? (t === "'''" ? "''" : unescapeChar(t.slice(3))) : unescapeChar(t.slice(1)), raw: false });
      } else if (c.type === 'interpolation') {
        try {
          const expr = c.childForFieldName('expression');
          if (!expr) throw new Unresolved(c, 'empty interpolation');
          const v = this.eval(expr, scope);
          if (v.k !== 'string' && v.k !== 'path') throw new Unresolved(c, `cannot put ${v.k} into a string`);
          parts.push({ text: v.v, raw: false });
        } catch (err) {
          if (!lenient || !(err instanceof Unresolved)) throw err;
          parts.push({ text: c.text, raw: false });
        }
      }
      afterDollarEscape = c.type === 'dollar_escape';
    }
    return parts;
  }

  /** A string's value, keeping the source text of what cannot be known (for messages). */
  lenientString(thunk: Thunk): string {
    try {
      const v = thunk.force();
      if (v.k === 'string') return v.v;
    } catch (err) {
      if (!(err instanceof Unresolved)) throw err;
    }
    const { node, scope } = thunk;
    if (node?.type === 'string_expression' && scope) return this.stringParts(node, scope, true).map((p) => p.text).join('');
    if (node?.type === 'indented_string_expression' && scope) return joinIndented(this.stringParts(node, scope, true));
    return node?.text ?? '';
  }

  private lookup(name: string, at: Node, scope: Scope): Thunk {
    for (let s: Scope | null = scope; s; s = s.parent) {
      const t = s.vars.get(name);
      if (t) return t;
    }
    // Names from `with` come after every lexical binding (as in Nix), innermost first.
    for (let s: Scope | null = scope; s; s = s.parent) {
      if (!s.withValue) continue;
      let w: Value;
      try {
        w = s.withValue.force();
      } catch (err) {
        if (err instanceof Unresolved) continue; // `with pkgs;`: nothing known comes from it
        throw err;
      }
      if (w.k === 'attrs' && w.attrs.has(name)) return w.attrs.get(name) as Thunk;
      if (w.k === 'library' && this.globals.has(name)) return Thunk.of(this.globals.get(name) as Value);
    }
    const g = this.globals.get(name);
    if (g) return Thunk.of(g);
    if (LIBRARIES.has(name)) return Thunk.of({ k: 'library', name });
    throw new Unresolved(at, `"${name}" is not known here (a module argument, or defined elsewhere)`);
  }

  private attrName(n: Node, scope: Scope): string {
    if (n.type === 'identifier') return n.text;
    if (n.type === 'string_expression') return this.stringParts(n, scope, false).map((p) => p.text).join('');
    if (n.type === 'interpolation') {
      const e = n.childForFieldName('expression');
      const v = e ? this.eval(e, scope) : undefined;
      if (v?.k === 'string') return v.v;
    }
    throw new Unresolved(n, `cannot tell the attribute name ${n.text}`);
  }

  private member(v: Value, name: string, at: Node): Thunk | undefined {
    if (v.k === 'attrs') return v.attrs.get(name);
    if (v.k === 'library') {
      const g = this.globals.get(name);
      if (g) return Thunk.of(g);
      if (SUB_LIBRARIES.has(name)) return Thunk.of({ k: 'library', name: `${v.name}.${name}` });
      throw new Unresolved(at, `${v.name}.${name} is not evaluated here`);
    }
    throw new Unresolved(at, `cannot select .${name} from ${v.k}`);
  }

  private select(node: Node, scope: Scope): Value {
    const expr = node.childForFieldName('expression');
    const path = node.childForFieldName('attrpath');
    if (!expr || !path) throw new Unresolved(node, 'incomplete selection');
    let v = this.eval(expr, scope);
    for (const attr of skipComments(path.childrenForFieldName('attr').filter((a): a is Node => a !== null))) {
      const t = this.member(v, this.attrName(attr, scope), node);
      if (!t) {
        const fallback = node.childForFieldName('default');
        if (fallback) return this.eval(fallback, scope);
        throw new Unresolved(node, `no attribute ${attr.text} in ${expr.text}`);
      }
      v = t.force();
    }
    this.seen(node, v);
    return v;
  }

  /**
   * The bindings of a let or attribute set. `recursive` (let, rec { }) evaluates their values in a
   * scope that holds them; otherwise in the enclosing one.
   */
  private bindings(node: Node, outer: Scope, recursive: boolean): Scope {
    const vars = new Map<string, Thunk>();
    const own = new Scope(outer, vars);
    const valueScope = recursive ? own : outer;
    const set = kids(node).find((c) => c.type === 'binding_set');
    // Nested paths (a.b = 1; a.c = 2;) build attribute sets, merged here.
    const nested = new Map<Map<string, Thunk>, Map<string, Map<string, Thunk>>>();
    const target = (map: Map<string, Thunk>, name: string, at: Node): Map<string, Thunk> => {
      let children = nested.get(map);
      if (!children) nested.set(map, (children = new Map()));
      let sub = children.get(name);
      if (!sub) {
        if (map.has(name)) throw new Unresolved(at, `${name} is defined twice`);
        sub = new Map();
        children.set(name, sub);
        map.set(name, Thunk.of({ k: 'attrs', attrs: sub }));
      }
      return sub;
    };
    for (const b of set ? skipComments(namedKids(set)) : []) {
      if (b.type === 'binding') {
        const attrpath = b.childForFieldName('attrpath');
        const expr = b.childForFieldName('expression');
        if (!attrpath || !expr) continue;
        const names = attrpath.childrenForFieldName('attr').filter((a): a is Node => a !== null && a.type !== 'comment');
        let map = vars;
        names.slice(0, -1).forEach((a) => (map = target(map, this.attrName(a, valueScope), a)));
        const last = names[names.length - 1];
        if (last) map.set(this.attrName(last, valueScope), this.thunk(expr, valueScope));
      } else if (b.type === 'inherit' || b.type === 'inherit_from') {
        const from = b.type === 'inherit_from' ? b.childForFieldName('expression') : null;
        const attrs = b.childForFieldName('attrs');
        for (const a of attrs ? attrs.childrenForFieldName('attr').filter((x): x is Node => x !== null) : []) {
          const name = a.text;
          // `inherit x;` takes x from the enclosing scope; `inherit (e) x;` evaluates e where the binding is.
          vars.set(
            name,
            from
              ? new Thunk(a, () => {
                  const t = this.member(this.eval(from, valueScope), name, a);
                  if (!t) throw new Unresolved(a, `no attribute ${name} in ${from.text}`);
                  return t.force();
                })
              : new Thunk(a, () => this.lookup(name, a, outer).force()),
          );
        }
      }
    }
    return own;
  }

  private lambda(node: Node, scope: Scope): Value {
    const body = node.childForFieldName('body');
    const universal = node.childForFieldName('universal');
    const formals = node.childForFieldName('formals');
    if (!body) throw new Unresolved(node, 'incomplete function');
    return {
      k: 'lambda',
      apply: (arg) => {
        const vars = new Map<string, Thunk>();
        const inner = new Scope(scope, vars);
        if (universal) vars.set(universal.text, arg);
        if (formals) {
          for (const f of formals.childrenForFieldName('formal').filter((x): x is Node => x !== null)) {
            const name = f.childForFieldName('name')?.text;
            if (!name) continue;
            const fallback = f.childForFieldName('default');
            vars.set(
              name,
              new Thunk(f, () => {
                const a = arg.force();
                if (a.k !== 'attrs') throw new Unresolved(f, `this function takes an attribute set, not ${a.k}`);
                const t = a.attrs.get(name);
                if (t) return t.force();
                if (fallback) return this.eval(fallback, inner);
                throw new Unresolved(f, `argument ${name} is missing`);
              }),
            );
          }
        }
        return this.eval(body, inner);
      },
    };
  }

  apply(f: Value, arg: Thunk, call: Node): Value {
    if (f.k !== 'lambda') throw new Unresolved(call, `${f.k} is not a function`);
    return f.apply(arg, call);
  }

  private binary(node: Node, scope: Scope): Value {
    const op = node.childForFieldName('operator')?.text ?? kids(node)[1]?.text;
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (!left || !right) throw new Unresolved(node, 'incomplete expression');
    const a = this.eval(left, scope);
    const b = this.eval(right, scope);
    if (op === '++' && a.k === 'list' && b.k === 'list') return { k: 'list', items: [...a.items, ...b.items] };
    if (op === '+' && (a.k === 'string' || a.k === 'path') && b.k === 'string') return { k: a.k, v: a.v + b.v };
    if (op === '+' && a.k === 'int' && b.k === 'int') return { k: 'int', v: a.v + b.v };
    if (op === '//' && a.k === 'attrs' && b.k === 'attrs') return { k: 'attrs', attrs: new Map([...a.attrs, ...b.attrs]) };
    throw new Unresolved(node, `${a.k} ${op} ${b.k} is not evaluated here`);
  }
}

/** Builds a global function of `arity` arguments (curried, as in Nix). */
export function builtin(name: string, arity: number, body: (args: Thunk[], call: Node) => Value): Value {
  const take = (args: Thunk[]): Value => ({
    k: 'lambda',
    helper: name,
    apply: (arg, call) => (args.length + 1 === arity ? body([...args, arg], call) : take([...args, arg])),
  });
  return take([]);
}
