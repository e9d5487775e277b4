/**
 * NixOS option descriptions are Markdown with nixpkgs' own extensions (roles like {option}`x`,
 * option links [](#opt-x), admonitions ::: {.note}) or, in old modules, DocBook tags. A form shows
 * plain text with at most ordinary Markdown, so those extensions become ordinary text or code.
 */

/** Roles nixpkgs' manual renders as code: {option}`services.x`, {file}`/etc/x`, {manpage}`x(5)`, ... */
const ROLE = /\{(option|command|env|file|var|manpage)\}`([^`]*)`/g;
/** An empty link to an option's anchor, which the manual fills with the option's name. */
const OPTION_LINK = /\[\]\(#opt-([^)\s]+)\)/g;
/** Admonition fences: "::: {.note}" opens, ":::" closes. */
const ADMONITION = /^[ \t]*:::[ \t]*\{\.(\w+)\}[ \t]*$/gm;
const FENCE_END = /^[ \t]*:::[ \t]*$/gm;
/** Heading and paragraph anchors: "{#some-id}". */
const ANCHOR = /[ \t]*\{#[\w.-]+\}/g;
/** DocBook, from modules older than the Markdown switch (NixOS 23.05). */
const DOCBOOK_CODE = /<(option|literal|filename|command|varname|envar|code)>([^<]*)<\/\1>/g;
const DOCBOOK_LINK = /<link\s+xlink:href="([^"]*)"\s*\/>/g;
const DOCBOOK_LINK_TEXT = /<link\s+xlink:href="([^"]*)"\s*>([^<]*)<\/link>/g;

export function plainDescription(text: string): string {
  return text
    .replace(ROLE, (_m, _role, code: string) => `\`${code}\``)
    .replace(OPTION_LINK, (_m, name: string) => `\`${name}\``)
    .replace(ADMONITION, (_m, kind: string) => `${kind.charAt(0).toUpperCase()}${kind.slice(1)}:`)
    .replace(FENCE_END, '')
    .replace(ANCHOR, '')
    .replace(DOCBOOK_CODE, (_m, _tag, code: string) => `\`${code}\``)
    .replace(DOCBOOK_LINK, (_m, url: string) => url)
    .replace(DOCBOOK_LINK_TEXT, (_m, url: string, label: string) => `${label} (${url})`)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
