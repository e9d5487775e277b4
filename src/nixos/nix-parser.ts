/**
 * A Nix parser: tree-sitter's grammar for Nix (nix-community/tree-sitter-nix), compiled to
 * WebAssembly and shipped in an npm package, run by web-tree-sitter. No native build, no download
 * at run time.
 */
import { createRequire } from 'node:module';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';

export type { Node, Tree };

let parser: Promise<Parser> | undefined;

function load(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    const wasm = createRequire(import.meta.url).resolve('@cursorless/tree-sitter-wasms/out/tree-sitter-nix.wasm');
    const p = new Parser();
    p.setLanguage(await Language.load(wasm));
    return p;
  })();
  return parser;
}

/** The syntax tree of Nix source text. The caller deletes it (tree.delete()) when done. */
export async function parseNix(source: string): Promise<Tree> {
  const tree = (await load()).parse(source);
  if (!tree) throw new Error('the Nix parser gave no tree');
  return tree;
}

/** Children that are nodes (web-tree-sitter lists null for missing ones). */
export const kids = (n: Node): Node[] => n.children.filter((c): c is Node => c !== null);
export const namedKids = (n: Node): Node[] => n.namedChildren.filter((c): c is Node => c !== null);

/** "line:column", 1-based, for messages. */
export const where = (n: Node) => `${n.startPosition.row + 1}:${n.startPosition.column + 1}`;
