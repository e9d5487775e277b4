/**
 * Reads the plain values among the Nix expressions `nixosOptionsDoc` writes as defaults and
 * examples (`{"_type": "literalExpression", "text": "..."}`): numbers, strings, booleans, null,
 * lists and attribute sets of those. Anything else (a reference like `pkgs.php`, an `if`, a string
 * with `${...}`) is not a plain value, and the caller keeps its text instead.
 *
 * Deliberately tiny and synchronous: the texts are pretty-printed values (lib.generators.toPretty),
 * so a literal subset is all that is needed; module sources go through tree-sitter (nix-parser.ts).
 */
import { joinIndented, unescapeChar, type StringPart } from './nix-strings.js';

export type PlainValue = null | boolean | number | string | PlainValue[] | { [key: string]: PlainValue };

/** Thrown inside the reader for anything that is not a plain value; never escapes readNixLiteral. */
class NotPlain extends Error {}

const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_'-]/;

/** The value of `text` when it is a plain Nix value, otherwise undefined. */
export function readNixLiteral(text: string): { value: PlainValue } | undefined {
  const r = new Reader(text);
  try {
    const value = r.value();
    r.space();
    if (!r.done()) return undefined;
    return { value };
  } catch (err) {
    if (err instanceof NotPlain) return undefined;
    throw err;
  }
}

class Reader {
  private pos = 0;
  constructor(private readonly s: string) {}

  done() {
    return this.pos >= this.s.length;
  }

  /** Skips white space and comments. */
  space() {
    for (;;) {
      const c = this.s[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (c === '#') {
        while (this.pos < this.s.length && this.s[this.pos] !== '\n') this.pos++;
      } else if (this.s.startsWith('/*', this.pos)) {
        const end = this.s.indexOf('*/', this.pos + 2);
        if (end < 0) throw new NotPlain();
        this.pos = end + 2;
      } else return;
    }
  }

  private peek(str: string) {
    return this.s.startsWith(str, this.pos);
  }

  value(): PlainValue {
    this.space();
    const c = this.s[this.pos];
    if (c === '"') return this.string();
    if (this.peek("''")) return this.indentedString();
    if (c === '[') return this.list();
    if (c === '{') return this.attrs();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    if (c === '/') return this.absolutePath();
    if (c !== undefined && IDENT_START.test(c)) {
      const word = this.identifier();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
    }
    throw new NotPlain();
  }

  private identifier(): string {
    const start = this.pos;
    while (this.pos < this.s.length && IDENT_CHAR.test(this.s[this.pos])) this.pos++;
    const word = this.s.slice(start, this.pos);
    // `a.b` (a selection) or `f x` are not values; only a keyword followed by a delimiter is.
    if (this.s[this.pos] === '.') throw new NotPlain();
    return word;
  }

  private number(): number {
    const start = this.pos;
    if (this.s[this.pos] === '-') this.pos++;
    const digits = () => {
      const from = this.pos;
      while (this.s[this.pos] >= '0' && this.s[this.pos] <= '9') this.pos++;
      return this.pos > from;
    };
    if (!digits()) throw new NotPlain();
    if (this.s[this.pos] === '.' && this.s[this.pos + 1] >= '0' && this.s[this.pos + 1] <= '9') {
      this.pos++;
      digits();
    }
    if (this.s[this.pos] === 'e' || this.s[this.pos] === 'E') {
      this.pos++;
      if (this.s[this.pos] === '+' || this.s[this.pos] === '-') this.pos++;
      if (!digits()) throw new NotPlain();
    }
    const n = Number(this.s.slice(start, this.pos));
    if (!Number.isFinite(n)) throw new NotPlain();
    return n;
  }

  /** An absolute path literal such as /var/lib/x reads as its string, as it does in JSON output. */
  private absolutePath(): string {
    const start = this.pos;
    while (this.pos < this.s.length && /[A-Za-z0-9._\-+/]/.test(this.s[this.pos])) this.pos++;
    const path = this.s.slice(start, this.pos);
    if (path.length < 2 || this.peek('${')) throw new NotPlain();
    return path;
  }

  private string(): string {
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined) throw new NotPlain();
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === '\\') {
        const next = this.s[this.pos + 1];
        if (next === undefined) throw new NotPlain();
        out += unescapeChar(next);
        this.pos += 2;
      } else if (this.peek('${')) {
        throw new NotPlain(); // an interpolation: a computed string
      } else if (this.peek('$${')) {
        out += '$${';
        this.pos += 3;
      } else {
        out += c;
        this.pos++;
      }
    }
  }

  private indentedString(): string {
    this.pos += 2; // opening ''
    const parts: StringPart[] = [];
    let raw = '';
    const flush = () => {
      if (raw) parts.push({ text: raw, raw: true });
      raw = '';
    };
    for (;;) {
      if (this.pos >= this.s.length) throw new NotPlain();
      if (this.peek("'''")) {
        flush();
        parts.push({ text: "''", raw: false });
        this.pos += 3;
      } else if (this.peek("''$")) {
        flush();
        parts.push({ text: '$', raw: false });
        this.pos += 3;
      } else if (this.peek("''\\")) {
        flush();
        const c = this.s[this.pos + 3];
        if (c === undefined) throw new NotPlain();
        parts.push({ text: unescapeChar(c), raw: false });
        this.pos += 4;
      } else if (this.peek("''")) {
        this.pos += 2;
        flush();
        return joinIndented(parts);
      } else if (this.peek('${')) {
        throw new NotPlain();
      } else {
        raw += this.s[this.pos++];
      }
    }
  }

  private list(): PlainValue[] {
    this.pos++;
    const items: PlainValue[] = [];
    for (;;) {
      this.space();
      if (this.s[this.pos] === ']') {
        this.pos++;
        return items;
      }
      items.push(this.value());
    }
  }

  private attrName(): string {
    this.space();
    const c = this.s[this.pos];
    if (c === '"') return this.string();
    if (c !== undefined && IDENT_START.test(c)) {
      const start = this.pos;
      while (this.pos < this.s.length && IDENT_CHAR.test(this.s[this.pos])) this.pos++;
      return this.s.slice(start, this.pos);
    }
    throw new NotPlain(); // inherit, ${...} names, ...
  }

  private attrs(): { [key: string]: PlainValue } {
    this.pos++;
    const out: { [key: string]: PlainValue } = {};
    for (;;) {
      this.space();
      if (this.s[this.pos] === '}') {
        this.pos++;
        return out;
      }
      // `a.b.c = v;` sets a nested attribute.
      const path = [this.attrName()];
      this.space();
      while (this.s[this.pos] === '.') {
        this.pos++;
        path.push(this.attrName());
        this.space();
      }
      if (this.s[this.pos] !== '=') throw new NotPlain();
      this.pos++;
      const v = this.value();
      this.space();
      if (this.s[this.pos] !== ';') throw new NotPlain();
      this.pos++;
      let target = out;
      for (const key of path.slice(0, -1)) {
        const existing = target[key];
        if (existing === undefined) target = target[key] = {};
        else if (existing !== null && typeof existing === 'object' && !Array.isArray(existing)) target = existing;
        else throw new NotPlain();
      }
      const last = path[path.length - 1];
      if (last in target) throw new NotPlain(); // defined twice: Nix would refuse it
      // `_type` marks values the module system treats specially (literalExpression, mkIf, ...).
      if (path[0] === '_type') throw new NotPlain();
      target[last] = v;
    }
  }
}
