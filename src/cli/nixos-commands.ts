/** `freehold nixos-schema`: a manifest's config schema from NixOS options. Local: no API. */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import YAML from 'yaml';

export function addNixosCommands(program: Command) {
  program
    .command('nixos-schema <options.json>')
    .description("turn the NixOS options under a prefix (nixosOptionsDoc's options.json) into a config schema, with renames read from module sources")
    .requiredOption('--prefix <path>', 'option path to take, e.g. services.nextcloud')
    .option('--module <file.nix...>', 'NixOS module source(s) to read renamed and removed options from')
    .option('--out <file>', 'write the result to this file instead of printing it')
    .option('--yaml', 'YAML instead of JSON')
    .action(async (optionsFile: string, o: { prefix: string; module?: string[]; out?: string; yaml?: boolean }) => {
      // Loaded here: tree-sitter's WebAssembly is only needed by this command.
      const { nixosSchema } = await import('../nixos/convert.js');
      const result = await nixosSchema(optionsFile, o.prefix, o.module ?? []);
      const text = o.yaml ? YAML.stringify(result) : `${JSON.stringify(result, null, 2)}\n`;
      if (!o.out) return void process.stdout.write(text);
      writeFileSync(o.out, text);
      const count = Object.keys((result.schema.properties as object | undefined) ?? {}).length;
      console.error(
        `${o.out}: ${count} options and groups under ${o.prefix}, ${result.renames.length} renames, ${result.removed.length} removed, ${result.warnings.length} warnings`,
      );
      for (const w of result.warnings) console.error(`warning: ${w}`);
    });
}
