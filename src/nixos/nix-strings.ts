/**
 * Nix string semantics shared by the literal reader (defaults in options.json) and the module
 * evaluator (messages in module sources): escapes, and the indentation rules of ''...'' strings.
 */

/**
 * One piece of a string as written. `raw` pieces are source text and take part in the indentation
 * rules of indented strings; escapes and interpolated values do not (Nix counts them as content).
 */
export interface StringPart {
  text: string;
  raw: boolean;
}

/** The character a backslash escape stands for in a "..." string (or after '' in an indented one). */
export function unescapeChar(c: string): string {
  return c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c;
}

/**
 * The value of an indented string from its parts, as Nix computes it: the smallest indentation of
 * the lines that have content is removed from every line, a first line of only spaces (right after
 * the opening '') is dropped, and so are the spaces after the last newline.
 */
export function joinIndented(parts: StringPart[]): string {
  const ps = parts.map((p) => ({ ...p }));
  // Nix's lexer swallows "''" followed by spaces and a newline, so that line never counts.
  if (ps[0]?.raw) {
    let i = 0;
    while (ps[0].text[i] === ' ') i++;
    if (ps[0].text[i] === '\n') ps[0].text = ps[0].text.slice(i + 1);
  }

  let minIndent = Infinity;
  let atStart = true;
  let indent = 0;
  for (const p of ps) {
    if (!p.raw) {
      if (atStart) minIndent = Math.min(minIndent, indent);
      atStart = false;
      continue;
    }
    for (const c of p.text) {
      if (atStart) {
        if (c === ' ') indent++;
        else if (c === '\n') indent = 0; // a line of spaces only does not count
        else {
          minIndent = Math.min(minIndent, indent);
          atStart = false;
        }
      } else if (c === '\n') {
        atStart = true;
        indent = 0;
      }
    }
  }
  if (minIndent === Infinity) minIndent = 0;

  let out = '';
  atStart = true;
  let dropped = 0;
  ps.forEach((p, n) => {
    if (!p.raw) {
      out += p.text;
      atStart = false;
      dropped = 0;
      return;
    }
    let text = '';
    for (const c of p.text) {
      if (atStart) {
        if (c === ' ') {
          if (dropped++ >= minIndent) text += c;
        } else if (c === '\n') {
          dropped = 0;
          text += c;
        } else {
          atStart = false;
          dropped = 0;
          text += c;
        }
      } else {
        text += c;
        if (c === '\n') atStart = true;
      }
    }
    // Spaces after the last newline of the string (before the closing '') are dropped.
    if (n === ps.length - 1) {
      const nl = text.lastIndexOf('\n');
      if (nl >= 0 && /^ *$/.test(text.slice(nl + 1))) text = text.slice(0, nl + 1);
    }
    out += text;
  });
  return out;
}
