/**
 * The `type` strings of options.json are the `description` of nixpkgs lib's option types
 * (lib/types.nix, pkgs/pkgs-lib/formats.nix), composed by a small grammar:
 *
 *   type  := item ( (" or " | ", or ") item )*         either / oneOf / nullOr ("null or ...")
 *   item  := "list of " item | "non-empty (" type ")" | "attribute set of " item
 *          | "lazy attribute set of " item | "function that evaluates to a(n) " item
 *          | "one of " values | "value " value " (singular enum)"
 *          | "section of an INI file (attrs of " type ")" | "string matching the pattern " rest
 *          | noun | "(" type ")"                       then optional suffixes:
 *            ", not containing newlines or colons" (passwdEntry), " convertible to it" (coercedTo)
 *
 * lib parenthesises a nested "or" ("list of (string or signed integer)"), which is what makes the
 * grammar unambiguous. This module parses a type string into a small tree (NixType); the tree
 * becomes JSON Schema in type-schema.ts.
 */

export type EnumValue = string | number | boolean;

export type NixType =
  | { t: 'bool' }
  | { t: 'int'; min?: number; max?: number; port?: boolean }
  | { t: 'float' }
  | { t: 'number'; min?: number; max?: number; exclusiveMin?: number }
  | { t: 'str'; pattern?: string; lines?: boolean; regex?: string }
  | { t: 'path'; store?: boolean }
  | { t: 'package' }
  | { t: 'enum'; values: EnumValue[]; dropped: string[] }
  | { t: 'null' }
  | { t: 'list'; of: NixType; nonEmpty?: boolean }
  | { t: 'attrs'; of?: NixType }
  | { t: 'submodule' }
  | { t: 'either'; of: NixType[] }
  /** Any JSON value is a valid value (anything, JSON value, ...); `notNull` for TOML. */
  | { t: 'any'; label: string; notNull?: boolean }
  /** The atoms of pkgs.formats' INI and key-value formats. */
  | { t: 'atom' }
  /** Not a value JSON can give (a function, a module), or a phrase this parser does not know. */
  | { t: 'unsupported'; label: string; reason: string };

export class TypeSyntaxError extends Error {
  constructor(
    readonly source: string,
    readonly pos: number,
    what: string,
  ) {
    super(`${what} at character ${pos + 1} of type "${source}"`);
    this.name = 'TypeSyntaxError';
  }
}

type Maker = (args: Array<number | string>) => NixType;

/**
 * Fixed phrases, with placeholders: {int} an integer, {num} a JSON number, {json} a JSON string.
 * The longest phrase that matches wins ("path in the Nix store" over "path").
 */
const NOUNS: Array<[string, Maker]> = [
  ['boolean', () => ({ t: 'bool' })],
  ['boolean (merged using or)', () => ({ t: 'bool' })],
  ['signed integer', () => ({ t: 'int' })],
  ['unsigned integer, meaning >=0', () => ({ t: 'int', min: 0 })],
  ['positive integer, meaning >0', () => ({ t: 'int', min: 1 })],
  ['integer between {int} and {int} (both inclusive)', ([lo, hi]) => ({ t: 'int', min: lo as number, max: hi as number })],
  // types.port is ints.u16, and both have this description: every u16 is taken for a port.
  [
    '{int} bit unsigned integer; between {int} and {int} (both inclusive)',
    ([bits, lo, hi]) => ({ t: 'int', min: lo as number, max: hi as number, ...(bits === 16 && { port: true }) }),
  ],
  ['{int} bit signed integer; between {int} and {int} (both inclusive)', ([, lo, hi]) => ({ t: 'int', min: lo as number, max: hi as number })],
  ['floating point number', () => ({ t: 'float' })],
  ['integer or floating point number between {num} and {num} (both inclusive)', ([lo, hi]) => ({ t: 'number', min: lo as number, max: hi as number })],
  ['nonnegative integer or floating point number, meaning >=0', () => ({ t: 'number', min: 0 })],
  ['positive integer or floating point number, meaning >0', () => ({ t: 'number', exclusiveMin: 0 })],
  ['string', () => ({ t: 'str' })],
  ['non-empty string', () => ({ t: 'str', pattern: '[^ \\t\\n]' })],
  ['(optionally newline-terminated) single-line string', () => ({ t: 'str', pattern: '^[^\\n\\r]*\\n?$' })],
  ['strings concatenated with {json}', ([sep]) => ({ t: 'str', ...(sep === '\n' && { lines: true }) })],
  ['Concatenated string', () => ({ t: 'str' })],
  ['path', () => ({ t: 'path' })],
  ['absolute path', () => ({ t: 'path' })],
  ['path in the Nix store', () => ({ t: 'path', store: true })],
  ['package', () => ({ t: 'package' })],
  ['shell package', () => ({ t: 'package' })],
  ['attribute set', () => ({ t: 'attrs' })],
  ['submodule', () => ({ t: 'submodule' })],
  ['null', () => ({ t: 'null' })],
  ['anything', () => ({ t: 'any', label: 'anything' })],
  ['raw value', () => ({ t: 'any', label: 'raw value' })],
  ['unspecified value', () => ({ t: 'any', label: 'unspecified value' })],
  ['JSON value', () => ({ t: 'any', label: 'JSON value' })],
  ['YAML value', () => ({ t: 'any', label: 'YAML value' })],
  ['YAML 1.1 value', () => ({ t: 'any', label: 'YAML 1.1 value' })],
  ['YAML 1.2 value', () => ({ t: 'any', label: 'YAML 1.2 value' })],
  ['CDN value', () => ({ t: 'any', label: 'CDN value' })],
  ['TOML value', () => ({ t: 'any', label: 'TOML value', notNull: true })],
  ['INI atom (null, bool, int, float or string)', () => ({ t: 'atom' })],
  ['atom (null, bool, int, float or string)', () => ({ t: 'atom' })],
  ['impossible (empty enum)', () => ({ t: 'enum', values: [], dropped: [] })],
  ['module', () => ({ t: 'unsupported', label: 'module', reason: 'a NixOS module is Nix code, not a JSON value' })],
  ['optionType', () => ({ t: 'unsupported', label: 'optionType', reason: 'an option type is Nix code, not a JSON value' })],
  ['attribute-tagged union', () => ({ t: 'unsupported', label: 'attribute-tagged union', reason: 'its tags are not listed in the type string' })],
  ['Nixpkgs package set', () => ({ t: 'unsupported', label: 'Nixpkgs package set', reason: 'a package set is Nix code, not a JSON value' })],
];

/** Parses a type string; throws TypeSyntaxError when it is malformed (e.g. an unclosed parenthesis). */
export function parseTypeDescription(source: string): NixType {
  const p = new TypeParser(source);
  const t = p.alternatives();
  p.end();
  return t;
}

class TypeParser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  end() {
    if (this.pos < this.s.length) throw new TypeSyntaxError(this.s, this.pos, `unexpected "${this.s.slice(this.pos)}"`);
  }

  private eat(word: string): boolean {
    if (!this.s.startsWith(word, this.pos)) return false;
    this.pos += word.length;
    return true;
  }

  private expect(word: string) {
    if (!this.eat(word)) throw new TypeSyntaxError(this.s, this.pos, `expected "${word}"`);
  }

  /** item ( or item )*: the members of an `either`, `nullOr` or `oneOf`. */
  alternatives(): NixType {
    const alts: NixType[] = [this.item()];
    while (this.eat(', or ') || this.eat(' or ')) {
      // pkgs.formats: "<atom> or a non-empty list of them", "... or a list of them for duplicate keys".
      const of = (): NixType => (alts.length === 1 ? alts[0] : { t: 'either', of: [...alts] });
      if (this.eat('a non-empty list of them')) alts.push({ t: 'list', of: of(), nonEmpty: true });
      else if (this.eat('a list of them for duplicate keys')) alts.push({ t: 'list', of: of() });
      else alts.push(this.item());
    }
    return alts.length === 1 ? alts[0] : { t: 'either', of: alts };
  }

  private item(): NixType {
    let t = this.prefixed();
    // Suffixes that qualify what came before.
    for (;;) {
      if (this.eat(', not containing newlines or colons')) t = { t: 'str', pattern: '^[^\\n:]*$' };
      else if (this.eat(' convertible to it')) continue; // coercedTo: both sides are accepted as they are
      else return t;
    }
  }

  private prefixed(): NixType {
    if (this.eat('list of ')) return { t: 'list', of: this.item() };
    if (this.eat('non-empty list of ')) return { t: 'list', of: this.item(), nonEmpty: true };
    if (this.eat('non-empty (')) {
      const inner = this.group();
      return inner.t === 'list' ? { ...inner, nonEmpty: true } : inner;
    }
    if (this.eat('lazy attribute set of ') || this.eat('attribute set of ')) return { t: 'attrs', of: this.item() };
    if (this.eat('function that evaluates to a(n) ')) {
      const start = this.pos - 'function that evaluates to a(n) '.length;
      this.item();
      return { t: 'unsupported', label: this.s.slice(start, this.pos), reason: 'a function cannot be given as a JSON value' };
    }
    if (this.eat('section of an INI file (attrs of ')) return { t: 'attrs', of: this.group() };
    if (this.eat('one of ')) return this.enumValues();
    if (this.eat('value ')) {
      const e = this.enumValues(1);
      this.expect(' (singular enum)');
      return e;
    }
    if (this.eat('string matching the pattern ')) return { t: 'str', regex: this.restOfGroup() };
    const noun = this.noun();
    if (noun) return noun;
    if (this.eat('(')) return this.group();
    // A phrase this parser does not know (e.g. a module's own type description): it runs to the end
    // of the enclosing parentheses, and is kept as a hint.
    const label = this.restOfGroup();
    if (!label) throw new TypeSyntaxError(this.s, this.pos, 'expected a type');
    return { t: 'unsupported', label, reason: 'this type description is not one of nixpkgs lib' };
  }

  /** The inside of "( ... )", the opening parenthesis already read. */
  private group(): NixType {
    this.depth++;
    const t = this.alternatives();
    this.expect(')');
    this.depth--;
    return t;
  }

  /** The longest fixed phrase at this point that ends on a word boundary. */
  private noun(): NixType | undefined {
    let best: { end: number; make: () => NixType } | undefined;
    for (const [template, make] of NOUNS) {
      const m = matchTemplate(template, this.s, this.pos);
      if (!m || (best && m.end <= best.end)) continue;
      const next = this.s[m.end];
      if (next !== undefined && next !== ' ' && next !== ')' && next !== ',' && next !== ';') continue;
      best = { end: m.end, make: () => make(m.args) };
    }
    if (!best) return undefined;
    this.pos = best.end;
    return best.make();
  }

  /**
   * `one of "a", "b", 3, true`: lib writes strings in quotes without escaping, integers and
   * booleans bare, and other values as <type> (which JSON Schema cannot list: dropped, reported).
   */
  private enumValues(max = Infinity): NixType {
    const values: EnumValue[] = [];
    const dropped: string[] = [];
    do {
      const c = this.s[this.pos];
      if (c === '"') {
        const end = this.s.indexOf('"', this.pos + 1);
        if (end < 0) throw new TypeSyntaxError(this.s, this.pos, 'unterminated string in enum');
        values.push(this.s.slice(this.pos + 1, end));
        this.pos = end + 1;
      } else if (c === '<') {
        const end = this.s.indexOf('>', this.pos);
        if (end < 0) throw new TypeSyntaxError(this.s, this.pos, 'unterminated <value> in enum');
        dropped.push(this.s.slice(this.pos, end + 1));
        this.pos = end + 1;
      } else if (this.eat('true')) values.push(true);
      else if (this.eat('false')) values.push(false);
      else {
        const m = matchTemplate('{int}', this.s, this.pos);
        if (!m) throw new TypeSyntaxError(this.s, this.pos, 'expected an enum value');
        values.push(m.args[0] as number);
        this.pos = m.end;
      }
    } while (values.length + dropped.length < max && this.nextEnumValue());
    return { t: 'enum', values, dropped };
  }

  /** Reads the ", " before another enum value (and not the ", or" of an either). */
  private nextEnumValue(): boolean {
    if (!this.s.startsWith(', ', this.pos) || this.s.startsWith(', or ', this.pos)) return false;
    this.pos += 2;
    return true;
  }

  /** Text up to the end of the enclosing parentheses (or of the string), balanced. */
  private restOfGroup(): string {
    const start = this.pos;
    let depth = 0;
    while (this.pos < this.s.length) {
      const c = this.s[this.pos];
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0 && this.depth > 0) break;
        depth--;
      }
      this.pos++;
    }
    return this.s.slice(start, this.pos);
  }
}

/** Matches a phrase with {int}/{num}/{json} placeholders at `pos`; the placeholders' values in order. */
function matchTemplate(template: string, s: string, pos: number): { end: number; args: Array<number | string> } | undefined {
  const args: Array<number | string> = [];
  let i = 0;
  while (i < template.length) {
    if (template.startsWith('{int}', i) || template.startsWith('{num}', i)) {
      const start = pos;
      if (s[pos] === '-') pos++;
      const digitsFrom = pos;
      while (s[pos] >= '0' && s[pos] <= '9') pos++;
      if (pos === digitsFrom) return undefined;
      if (template.startsWith('{num}', i) && s[pos] === '.' && s[pos + 1] >= '0' && s[pos + 1] <= '9') {
        pos++;
        while (s[pos] >= '0' && s[pos] <= '9') pos++;
      }
      args.push(Number(s.slice(start, pos)));
      i += 5;
    } else if (template.startsWith('{json}', i)) {
      // builtins.toJSON of a string: quoted, with backslash escapes.
      if (s[pos] !== '"') return undefined;
      let end = pos + 1;
      while (end < s.length && s[end] !== '"') end += s[end] === '\\' ? 2 : 1;
      if (end >= s.length) return undefined;
      try {
        args.push(JSON.parse(s.slice(pos, end + 1)) as string);
      } catch {
        return undefined;
      }
      pos = end + 1;
      i += 6;
    } else {
      if (s[pos] !== template[i]) return undefined;
      pos++;
      i++;
    }
  }
  return { end: pos, args };
}
