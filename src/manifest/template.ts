/**
 * Templates in manifests are plain substitutions: {{ scope.path }}. No logic, so every reference
 * can be checked when the manifest is parsed (hand-written on purpose: template libraries allow
 * logic and HTML-escape by default, both wrong here).
 */
const REF = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;

export type TemplateRef = { text: string; parts: string[] } | { text: string; error: string };

/**
 * The references a template makes, in order. A malformed reference (not a dotted path, empty, or
 * a "{{" never closed) comes back as { error } with a plain explanation.
 */
export function templateReferences(text: string): TemplateRef[] {
  const refs: TemplateRef[] = [];
  for (const m of text.matchAll(REF)) {
    const inner = m[1];
    if (inner === '') refs.push({ text: inner, error: '"{{ }}" is empty: write a reference like {{ config.option }}' });
    else if (!PATH.test(inner)) {
      refs.push({
        text: inner,
        error: `"{{ ${inner} }}" is not a reference like {{ config.option }}: templates only substitute values (dotted names, no spaces, operators or filters)`,
      });
    } else refs.push({ text: inner, parts: inner.split('.') });
  }
  const rest = text.replace(REF, '');
  const open = rest.indexOf('{{');
  if (open >= 0) {
    const snippet = rest.slice(open, open + 30).split('\n')[0];
    refs.push({ text: snippet, error: `"${snippet}" opens a reference with "{{" that is not closed by "}}"` });
  }
  return refs;
}

export type TemplateScope = Record<string, unknown>;

function lookup(scope: TemplateScope, parts: string[]): unknown {
  let cur: any = scope;
  for (const p of parts) {
    if (cur == null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, p)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/**
 * Renders a template; a reference with no value is an error naming it. Strings are inserted as
 * they are, numbers and booleans as text, objects and lists as JSON, except a secret's: a key
 * pair (`secrets.<name>` holding private, public, openssh) is only ever inserted part by part.
 */
export function renderTemplate(text: string, scope: TemplateScope, where = 'template'): string {
  return text.replace(REF, (_all, inner: string) => {
    const parts = inner.split('.');
    const v = lookup(scope, parts);
    if (v === undefined || v === null) throw new Error(`${where}: {{ ${inner} }} has no value`);
    if (parts[0] === 'secrets' && typeof v === 'object') {
      throw new Error(`${where}: {{ ${inner} }} is a key pair: name one of its parts (${Object.keys(v).map((k) => `{{ ${inner}.${k} }}`).join(', ')})`);
    }
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}
