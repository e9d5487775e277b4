/** `freehold updates | update | rollback | update-policy`: newer app versions, taken safely. */
import type { Command } from 'commander';
import type { Client } from './client.js';

export interface CliKit {
  client: () => Client;
  print: (v: unknown) => void;
  table: (rows: Record<string, unknown>[], cols: string[]) => void;
  json: () => boolean;
  runTask: (method: string, path: string, body: unknown, title: string) => Promise<{ r: any; done: any }>;
}

const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));

/** What an update would change, old and new side by side */
function printPreview(p: any, kit: CliKit, schemaToo = false) {
  console.log(`${p.installation}: ${p.app} ${p.from.version} (package ${p.from.packageVersion}) -> ${p.to.version} (package ${p.to.packageVersion}), a ${p.step} update${p.migrates ? '; its migration will run' : ''}`);
  const changed = p.config.filter((c: any) => c.kind !== 'kept' || show(c.old) !== show(c.new));
  if (!changed.length) console.log('configuration: unchanged');
  else {
    console.log('configuration:');
    kit.table(
      changed.map((c: any) => ({ option: c.kind === 'renamed' ? `${c.from} -> ${c.path}` : c.path, change: c.needsValue ? `${c.kind}, NEEDS A VALUE: ${c.problem}` : c.kind, old: show(c.old), new: show(c.new) })),
      ['option', 'change', 'old', 'new'],
    );
  }
  if (schemaToo && p.schema?.length) {
    console.log('\nschema changes:');
    kit.table(
      p.schema.map((c: any) => ({ option: c.from ? `${c.from} -> ${c.path}` : c.path, change: c.kind + (c.required ? ' (required)' : ''), old: c.oldType ?? show(c.oldDefault), new: c.newType ?? show(c.newDefault) })),
      ['option', 'change', 'old', 'new'],
    );
  }
  for (const s of p.suggestions ?? []) console.log(`suggested rename${s.competing ? ' (competing)' : ''}: ${s.from} -> ${s.to} (${Math.round(s.score * 100)}%: ${s.reason}); confirm with --rename ${s.from}=${s.to}`);
  if (p.ready === false) console.log('\nThe update needs a value for the options marked above: give them with --set <option>=<value>.');
}

/** --set a=1 and --rename old=new, for the update's decisions */
function decisionsOf(o: { set?: string[]; rename?: string[] }) {
  const pair = (flag: string) => (s: string) => {
    const i = s.indexOf('=');
    if (i <= 0) throw new Error(`--${flag} ${s}: expected <option>=<value>`);
    return [s.slice(0, i), s.slice(i + 1)] as const;
  };
  const config: Record<string, unknown> = {};
  for (const [k, v] of (o.set ?? []).map(pair('set'))) {
    let value: unknown = v;
    try {
      value = JSON.parse(v);
    } catch {
      /* a plain string */
    }
    const path = k.split('.');
    let cur = config as Record<string, any>;
    for (const p of path.slice(0, -1)) cur = cur[p] ??= {};
    cur[path[path.length - 1]] = value;
  }
  const renames = (o.rename ?? []).map(pair('rename')).map(([from, to]) => ({ from, to }));
  return { ...(renames.length && { renames }), ...(Object.keys(config).length && { config }) };
}

export function addUpdateCommands(program: Command, kit: CliKit) {
  const path = (name: string, rest: string) => `/api/installations/${encodeURIComponent(name)}/${rest}`;

  program
    .command('updates <name>')
    .description('newer versions of an installation\'s app, and what updating would change')
    .action(async (name) => {
      const r = await kit.client().request('GET', path(name, 'updates'));
      if (kit.json()) return kit.print(r);
      if (!r.offers.length) return console.log(`${r.installation} runs ${r.app} ${r.version}, the newest in the catalog`);
      kit.table(r.offers.map((o: any) => ({ version: o.version, package: o.packageVersion, step: o.step, reachable: o.reachable ? 'yes' : `no: ${o.reason}` })), ['version', 'package', 'step', 'reachable']);
      if (r.preview) {
        console.log('');
        printPreview(r.preview, kit);
      }
    });

  program
    .command('update <name>')
    .description('update an installation (a snapshot first; on any failure it rolls back by itself)')
    .option('--to <version>', 'version to update to (default: the newest reachable one)')
    .option('--package <n>', 'its packaging revision (default: the newest)')
    .option('--dry-run', 'show what would change, change nothing')
    .option('--show-config-changes', 'show the configuration changes in detail (schema, suggested renames), change nothing')
    .option('--set <option=value...>', 'a value for the new version (JSON or a string)', [])
    .option('--rename <old=new...>', 'confirm a suggested rename of an option', [])
    .action(async (name, o) => {
      const target = { ...(o.to && { to: o.to }), ...(o.package && { packageVersion: Number(o.package) }), ...decisionsOf(o) };
      if (o.dryRun || o.showConfigChanges) {
        const r = await kit.client().request('POST', path(name, 'update-preview'), target);
        if (kit.json()) return kit.print(r.preview);
        return printPreview(r.preview, kit, o.showConfigChanges);
      }
      const { done } = await kit.runTask('POST', path(name, 'update'), target, `Updating ${name}${o.to ? ` to ${o.to}` : ''}`);
      if (done.status === 'rolled_back') console.error(`\nThe update failed and was rolled back: ${done.error}\n${done.message}`);
    });

  program
    .command('rollback <name>')
    .description('go back to the version, config and data from before the last update (changes made since are lost)')
    .action(async (name) => {
      await kit.runTask('POST', path(name, 'rollback'), undefined, `Rolling ${name} back`);
    });

  program
    .command('update-policy <name>')
    .description('show or change which updates are applied by themselves, and when')
    .option('--mode <mode>', 'off, patch (x.y.Z and package revisions) or minor (x.Y.z too)')
    .option('--window <HH:MM-HH:MM>', 'local time window in which they may start')
    .option('--any-time', 'no window')
    .action(async (name, o) => {
      const patch: Record<string, unknown> = {};
      if (o.mode) patch.mode = o.mode;
      if (o.window) {
        const m = /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(o.window);
        if (!m) throw new Error(`--window ${o.window}: expected HH:MM-HH:MM, e.g. 03:00-05:00`);
        patch.window = { start: m[1], end: m[2] };
      }
      if (o.anyTime) patch.window = null;
      const c = kit.client();
      const r = Object.keys(patch).length ? await c.request('PUT', path(name, 'update-policy'), patch) : await c.request('GET', path(name, 'update-policy'));
      if (kit.json()) return kit.print(r);
      const p = r.policy;
      console.log(`${name}: ${p.mode === 'off' ? 'updates only by hand' : `${p.mode} updates by themselves`}${p.mode !== 'off' ? (p.window ? `, between ${p.window.start} and ${p.window.end}` : ', at any time') : ''}`);
    });
}
