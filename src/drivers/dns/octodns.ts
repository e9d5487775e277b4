/**
 * octoDNS interop: a zone's records as an octoDNS YamlProvider zone file and back, so a zone can
 * be kept in git and synced with octoDNS or Freehold alike. The format (octoDNS docs, "YamlProvider"
 * and "Records"): top-level keys are record names relative to the zone ('' for the apex), in
 * sorted order; each holds one record or a list of them; a record is `{type, ttl, value}` or
 * `{type, ttl, values}`; TXT values escape ';' as '\;'; MX values are {preference, exchange},
 * SRV {priority, weight, port, target}, CAA {flags, tag, value}. A record without ttl gets
 * octoDNS's default, 3600. Types Freehold does not manage (NS, PTR, ALIAS...) are skipped on
 * import, and said so.
 */
import { parse, stringify } from 'yaml';
import { canonicalRecord, isRecordType, sortRecords, type Problems, type RecordSet, type RecordType } from './records.js';

export const OCTODNS_DEFAULT_TTL = 3600;

/** octoDNS's order of keys: natural sort, '' first */
const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

function octoValue(type: RecordType, v: string): unknown {
  switch (type) {
    case 'TXT':
      return v.replace(/;/g, '\\;');
    case 'MX': {
      const [preference, exchange] = v.split(' ');
      return { exchange, preference: Number(preference) };
    }
    case 'SRV': {
      const [priority, weight, port, target] = v.split(' ');
      return { port: Number(port), priority: Number(priority), target, weight: Number(weight) };
    }
    case 'CAA': {
      const m = /^(\d+) (\S+) "(.*)"$/.exec(v)!;
      return { flags: Number(m[1]), tag: m[2], value: m[3] };
    }
    default:
      return v;
  }
}

function fromOctoValue(type: RecordType, v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  const o = v as Record<string, unknown>;
  switch (type) {
    case 'TXT':
      return typeof v === 'string' ? v.replace(/\\;/g, ';') : typeof v === 'number' ? String(v) : undefined;
    case 'MX':
      return typeof v === 'object' ? `${o.preference ?? o.priority} ${o.exchange ?? o.value}` : undefined;
    case 'SRV':
      return typeof v === 'object' ? `${o.priority} ${o.weight} ${o.port} ${o.target}` : undefined;
    case 'CAA':
      return typeof v === 'object' ? `${o.flags ?? 0} ${o.tag} "${o.value}"` : undefined;
    default:
      return typeof v === 'string' ? v : undefined;
  }
}

/** The zone file of these records */
export function toOctodnsYaml(records: RecordSet[]): string {
  const byName = new Map<string, RecordSet[]>();
  for (const r of sortRecords(records)) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const doc: Record<string, unknown> = {};
  for (const name of [...byName.keys()].sort(natural)) {
    const items = byName.get(name)!.map((r) => {
      const values = r.values.map((v) => octoValue(r.type, v));
      return values.length === 1 ? { ttl: r.ttl, type: r.type, value: values[0] } : { ttl: r.ttl, type: r.type, values };
    });
    doc[name] = items.length === 1 ? items[0] : items;
  }
  return `---\n${Object.keys(doc).length ? stringify(doc, { lineWidth: 0, singleQuote: true }) : '{}\n'}`;
}

export interface OctodnsImport {
  records: RecordSet[];
  /** Records of types Freehold does not manage, left out */
  skipped: { name: string; type: string }[];
}

/** Reads a zone file; problems (with paths like `www.1.values.0`) are added to `p` */
export function fromOctodnsYaml(text: string, p: Problems): OctodnsImport {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    p.push({ path: '(file)', message: `is not YAML: ${(err as Error).message.split('\n')[0]}` });
    return { records: [], skipped: [] };
  }
  if (doc === null || doc === undefined) return { records: [], skipped: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    p.push({ path: '(file)', message: 'must be a mapping of record names to records' });
    return { records: [], skipped: [] };
  }
  const records: RecordSet[] = [];
  const skipped: { name: string; type: string }[] = [];
  for (const [key, entry] of Object.entries(doc as Record<string, unknown>)) {
    const name = String(key).toLowerCase();
    const list = Array.isArray(entry) ? entry : [entry];
    list.forEach((item, i) => {
      const path = Array.isArray(entry) ? `${key || "''"}.${i}` : `${key || "''"}`;
      if (!item || typeof item !== 'object') return void p.push({ path, message: 'must be a record {type, ttl, value|values}' });
      const r = item as Record<string, unknown>;
      const type = typeof r.type === 'string' ? r.type.toUpperCase() : '';
      if (!type) return void p.push({ path: `${path}.type`, message: 'is required' });
      if (!isRecordType(type)) return void skipped.push({ name, type });
      const raw = r.values !== undefined ? r.values : r.value !== undefined ? [r.value] : undefined;
      if (!Array.isArray(raw) || !raw.length) return void p.push({ path: `${path}.values`, message: 'a record needs value or values' });
      const values = raw.map((v) => fromOctoValue(type, v));
      const bad = values.findIndex((v) => v === undefined);
      if (bad >= 0) return void p.push({ path: `${path}.values.${bad}`, message: `is not a ${type} value` });
      const ttl = r.ttl === undefined ? OCTODNS_DEFAULT_TTL : r.ttl;
      records.push(canonicalRecord({ name, type, ttl: ttl as number, values: values as string[] }, p, path));
    });
  }
  return { records: sortRecords(records), skipped };
}
