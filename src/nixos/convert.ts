/**
 * `freehold nixos-schema`: NixOS options.json under a prefix as a manifest's config schema, with
 * the renames of the modules' sources as the manifest's upgrade.renames. Local; reads files only.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { optionsToSchema, parseOptionsJson, NixOptionsError, type JSONSchema } from './options-schema.js';
import { parseRenames, renamesToManifest, type NixRename } from './renames.js';

export interface NixosSchemaResult {
  /** For the manifest's config.schema */
  schema: JSONSchema;
  /** For the manifest's upgrade.renames */
  renames: { from: string; to: string }[];
  /** Options the modules removed, with their messages: nothing carries their values over */
  removed: { option: string; message: string | null }[];
  /** Everything that made the result looser than the NixOS options, one line each */
  warnings: string[];
}

const read = (file: string, what: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new NixOptionsError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
};

/** Parses "services.nextcloud" into its names. */
export function parsePrefix(prefix: string): string[] {
  const parts = prefix.split('.');
  if (prefix.trim() === '' || parts.some((p) => p === '')) {
    throw new NixOptionsError(`--prefix "${prefix}" is not an option path: write names separated by dots, e.g. services.nextcloud`);
  }
  return parts;
}

export async function nixosSchema(optionsFile: string, prefixText: string, moduleFiles: string[] = []): Promise<NixosSchemaResult> {
  const prefix = parsePrefix(prefixText);
  const options = parseOptionsJson(read(optionsFile, 'options file'), optionsFile);
  const warnings: string[] = [];
  const schema = optionsToSchema(options, prefix, warnings);
  try {
    // As a manifest would use it (src/manifest/parse.ts): a schema that does not compile is a bug here.
    new Ajv({ strict: false, useDefaults: true }).compile(schema);
  } catch (err) {
    throw new Error(`the schema made from ${optionsFile} does not compile (a bug in the converter): ${(err as Error).message}`);
  }

  const all: NixRename[] = [];
  for (const file of moduleFiles) {
    const scan = await parseRenames(read(file, 'module'), file);
    all.push(...scan.renames);
    warnings.push(...scan.warnings);
  }
  const m = renamesToManifest(all, prefix, schema);
  warnings.push(...m.skipped.map((s) => `rename ${s.from}${s.to ? ` -> ${s.to}` : ''} not carried over: ${s.reason}`));
  return { schema, renames: m.renames, removed: m.removed, warnings };
}
