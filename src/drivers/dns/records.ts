/**
 * DNS records as every DNS driver sees them: RRsets (a name, a type, one TTL, the values) named
 * relative to their zone ('' is the apex), values in one canonical text form per type, so that
 * what one provider lists compares equal to what another lists and to what Freehold wants.
 *
 * Canonical values:
 * - A: dotted quad; AAAA: compressed lower-case IPv6 (`2001:db8::1`)
 * - CNAME: absolute lower-case name with its final dot (`host.example.net.`)
 * - TXT: the text itself, unquoted; a record made of several character-strings is their
 *   concatenation (long texts are split into 255-byte strings again when written)
 * - MX: `10 mail.example.org.`; SRV: `10 5 443 host.example.org.`; CAA: `0 issue "letsencrypt.org"`
 */
import { isIPv4, isIPv6 } from 'node:net';

export const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'SRV', 'CAA'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export interface RecordSet {
  /** Relative to the zone, lower case; '' for the apex, e.g. 'www' or '_acme-challenge.cal' */
  name: string;
  type: RecordType;
  ttl: number;
  /** Canonical values (see above), sorted */
  values: string[];
}

/**
 * One change of a batch. `create` and `update` both set the RRset to exactly these values
 * (replacing what is there, so re-applying a batch changes nothing); `delete` removes the
 * RRset (nothing happens when it is absent; its ttl and values are not looked at).
 */
export interface RecordChange {
  action: 'create' | 'update' | 'delete';
  record: RecordSet;
}

export type DnsErrorCode = 'auth' | 'zone' | 'invalid' | 'unreachable' | 'rate-limited' | 'server' | 'missing-tool';

/** A failure of a DNS provider, saying which provider, which zone, and how to fix it */
export class DnsError extends Error {
  constructor(
    readonly provider: string,
    readonly zone: string,
    readonly code: DnsErrorCode,
    message: string,
  ) {
    super(`${provider} (zone ${zone}): ${message}`);
    this.name = 'DnsError';
  }
}

export const isRecordType = (t: unknown): t is RecordType => typeof t === 'string' && (RECORD_TYPES as readonly string[]).includes(t);

/** A zone name without its final dot, lower case */
export const zoneName = (zone: string) => zone.trim().toLowerCase().replace(/\.$/, '');

/** The absolute name (with final dot) of a record in a zone */
export const fqdn = (name: string, zone: string) => `${name ? `${name}.` : ''}${zoneName(zone)}.`;

/** The name relative to the zone of an absolute name, or undefined when it is out of the zone */
export function relativeName(absolute: string, zone: string): string | undefined {
  const n = absolute.toLowerCase().replace(/\.$/, '');
  const z = zoneName(zone);
  if (n === z) return '';
  return n.endsWith(`.${z}`) ? n.slice(0, -(z.length + 1)) : undefined;
}

const LABEL = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$/;

/** Whether a relative record name is valid: labels of letters, digits, - and _, '*' only first */
export function validName(name: string): boolean {
  if (name === '') return true;
  if (name.length > 200) return false;
  const labels = name.split('.');
  return labels.every((l, i) => LABEL.test(l) || (l === '*' && i === 0));
}

/** Whether a zone/domain name is valid (at least two labels) */
export const validZone = (zone: string) => {
  const z = zoneName(zone);
  return z.length <= 200 && z.includes('.') && z.split('.').every((l) => LABEL.test(l) && !l.startsWith('_'));
};

const hostname = (v: string) => {
  const h = v.trim().toLowerCase();
  const bare = h.replace(/\.$/, '');
  if (!bare || bare.length > 253 || !bare.split('.').every((l) => LABEL.test(l))) return undefined;
  return `${bare}.`;
};

/** Compressed lower-case form of an IPv6 address */
export const canonicalIPv6 = (v: string) => new URL(`http://[${v}]`).hostname.slice(1, -1);

/** The canonical form of one value of a type, or a reason why it is not valid */
export function canonicalValue(type: RecordType, raw: string): { value: string } | { problem: string } {
  const v = String(raw).trim();
  switch (type) {
    case 'A':
      return isIPv4(v) ? { value: v } : { problem: `'${v}' is not an IPv4 address` };
    case 'AAAA':
      return isIPv6(v) ? { value: canonicalIPv6(v) } : { problem: `'${v}' is not an IPv6 address` };
    case 'CNAME': {
      const h = hostname(v);
      return h ? { value: h } : { problem: `'${v}' is not a host name` };
    }
    case 'TXT':
      if (!raw.length) return { problem: 'a TXT value cannot be empty' };
      if (Buffer.byteLength(raw) > 4000) return { problem: 'a TXT value is limited to 4000 bytes here' };
      return { value: raw };
    case 'MX': {
      const m = /^(\d{1,5})\s+(\S+)$/.exec(v);
      const h = m && hostname(m[2]);
      return m && h && Number(m[1]) <= 65535 ? { value: `${Number(m[1])} ${h}` } : { problem: `'${v}' is not "<preference> <mail server>"` };
    }
    case 'SRV': {
      const m = /^(\d{1,5})\s+(\d{1,5})\s+(\d{1,5})\s+(\S+)$/.exec(v);
      const h = m && (m[4] === '.' ? '.' : hostname(m[4]));
      return m && h && [m[1], m[2], m[3]].every((x) => Number(x) <= 65535) ? { value: `${Number(m[1])} ${Number(m[2])} ${Number(m[3])} ${h}` } : { problem: `'${v}' is not "<priority> <weight> <port> <target>"` };
    }
    case 'CAA': {
      const m = /^(\d{1,3})\s+([A-Za-z0-9]+)\s+(?:"((?:[^"\\]|\\.)*)"|(\S+))$/.exec(v);
      return m && Number(m[1]) <= 255 ? { value: `${Number(m[1])} ${m[2].toLowerCase()} "${m[3] ?? m[4]}"` } : { problem: `'${v}' is not '<flags> <tag> "<value>"'` };
    }
  }
}

export type Problems = { path: string; message: string }[];

/**
 * Checks a record set and returns it in canonical form (values sorted, duplicates gone);
 * problems are added with paths under `path`.
 */
export function canonicalRecord(r: Partial<RecordSet> & Record<string, unknown>, p: Problems, path = '', forDelete = false): RecordSet {
  const at = (f: string) => (path ? `${path}.${f}` : f);
  const name = typeof r.name === 'string' ? r.name.trim().toLowerCase().replace(/^@$/, '') : '';
  if (typeof r.name !== 'string' || !validName(name)) p.push({ path: at('name'), message: "must be a name relative to the zone ('' or '@' for the apex; letters, digits, -, _; '*' only as the first label)" });
  const type = typeof r.type === 'string' ? r.type.toUpperCase() : '';
  if (!isRecordType(type)) p.push({ path: at('type'), message: `must be one of ${RECORD_TYPES.join(', ')}` });
  if (forDelete) return { name, type: type as RecordType, ttl: typeof r.ttl === 'number' ? r.ttl : 0, values: [] };
  const ttl = r.ttl;
  if (!(typeof ttl === 'number' && Number.isInteger(ttl) && ttl >= 1 && ttl <= 2147483647)) p.push({ path: at('ttl'), message: 'must be a whole number of seconds (1 or more)' });
  const values: string[] = [];
  if (!Array.isArray(r.values) || r.values.length === 0) p.push({ path: at('values'), message: 'must be a list of one or more values' });
  else if (isRecordType(type)) {
    r.values.forEach((raw, i) => {
      if (typeof raw !== 'string') return void p.push({ path: at(`values.${i}`), message: 'must be a string' });
      const c = canonicalValue(type, raw);
      if ('problem' in c) p.push({ path: at(`values.${i}`), message: `${c.problem} (${type} record ${name || '@'})` });
      else if (!values.includes(c.value)) values.push(c.value);
    });
    if (type === 'CNAME' && values.length > 1) p.push({ path: at('values'), message: 'a CNAME has exactly one value' });
  }
  if (type === 'CNAME' && name === '') p.push({ path: at('name'), message: 'a CNAME cannot be at the apex of a zone (it would hide its SOA and NS records)' });
  return { name, type: type as RecordType, ttl: ttl as number, values: values.sort() };
}

/** Checks a batch: every record valid, no RRset changed twice, no CNAME beside other data in the batch */
export function checkChanges(changes: RecordChange[], provider: string, zone: string): RecordChange[] {
  const p: Problems = [];
  const seen = new Set<string>();
  const out = changes.map((c, i) => {
    if (!['create', 'update', 'delete'].includes(c?.action)) p.push({ path: `${i}.action`, message: 'must be create, update or delete' });
    const record = canonicalRecord((c?.record ?? {}) as any, p, `${i}`, c?.action === 'delete');
    const key = `${record.name} ${record.type}`;
    if (seen.has(key)) p.push({ path: `${i}`, message: `${record.type} ${record.name || '@'} is changed twice in one batch` });
    seen.add(key);
    return { action: c.action, record };
  });
  const kept = out.filter((c) => c.action !== 'delete');
  for (const c of kept.filter((c) => c.record.type === 'CNAME')) {
    if (kept.some((o) => o !== c && o.record.name === c.record.name)) p.push({ path: `${out.indexOf(c)}`, message: `a CNAME at ${c.record.name} cannot stand beside other records of that name` });
  }
  if (p.length) throw new DnsError(provider, zoneName(zone), 'invalid', `invalid records, nothing was changed: ${p.map((x) => `${x.path}: ${x.message}`).join('; ')}`);
  return out;
}

/** Sorted copy (by name, then type) */
export const sortRecords = (rs: RecordSet[]) => [...rs].sort((a, b) => (a.name === b.name ? a.type.localeCompare(b.type) : a.name.localeCompare(b.name)));

export const sameRecord = (a: RecordSet | undefined, b: RecordSet | undefined) =>
  !!a && !!b && a.ttl === b.ttl && a.values.length === b.values.length && a.values.every((v, i) => v === b.values[i]);

/** Splits a TXT text into quoted character-strings of at most 255 bytes, escaped for zone files */
export function quoteTxt(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const parts: string[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    let s = '';
    for (const b of bytes.subarray(i, i + 255)) {
      if (b === 0x22 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
      else if (b < 0x20 || b > 0x7e) s += `\\${String(b).padStart(3, '0')}`;
      else s += String.fromCharCode(b);
    }
    parts.push(`"${s}"`);
    if (!bytes.length) break;
  }
  return parts.join(' ');
}

/** The text of TXT rdata in zone-file form: quoted or bare character-strings, concatenated */
export function unquoteTxt(rdata: string): string {
  const out: number[] = [];
  let i = 0;
  const s = rdata.trim();
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i >= s.length) break;
    const quoted = s[i] === '"';
    if (quoted) i++;
    while (i < s.length && (quoted ? s[i] !== '"' : s[i] !== ' ' && s[i] !== '\t')) {
      if (s[i] === '\\' && /^\d{3}$/.test(s.slice(i + 1, i + 4))) {
        out.push(Number(s.slice(i + 1, i + 4)));
        i += 4;
      } else if (s[i] === '\\' && i + 1 < s.length) {
        out.push(...Buffer.from(s[i + 1], 'utf8'));
        i += 2;
      } else {
        const cp = s.codePointAt(i)!;
        const ch = String.fromCodePoint(cp);
        out.push(...Buffer.from(ch, 'utf8'));
        i += ch.length;
      }
    }
    if (quoted) i++;
  }
  return Buffer.from(out).toString('utf8');
}

/** A value in the form zone files, RFC 2136 and PowerDNS-style APIs take (TXT quoted) */
export const toPresentation = (type: RecordType, value: string) => (type === 'TXT' ? quoteTxt(value) : value);

/** A value read from a zone-file-form source, in canonical form (undefined: not understood) */
export function fromPresentation(type: RecordType, rdata: string): string | undefined {
  if (type === 'TXT') return unquoteTxt(rdata);
  const c = canonicalValue(type, rdata.replace(/\s+/g, ' '));
  return 'value' in c ? c.value : undefined;
}

/** Groups single records (name, type, ttl, value) into record sets; the lowest TTL of a set wins */
export function groupRecords(items: { name: string; type: RecordType; ttl: number; value: string }[]): RecordSet[] {
  const sets = new Map<string, RecordSet>();
  for (const it of items) {
    const key = `${it.name}\u0000${it.type}`;
    const s = sets.get(key);
    if (!s) sets.set(key, { name: it.name, type: it.type, ttl: it.ttl, values: [it.value] });
    else {
      s.ttl = Math.min(s.ttl, it.ttl);
      if (!s.values.includes(it.value)) s.values.push(it.value);
    }
  }
  return sortRecords([...sets.values()].map((s) => ({ ...s, values: s.values.sort() })));
}

/** The changes that turn `current` into `desired` for the record sets `desired` names (and, with prune, deletes the rest) */
export function diffRecords(current: RecordSet[], desired: RecordSet[], opts: { prune?: boolean } = {}): RecordChange[] {
  const key = (r: RecordSet) => `${r.name}\u0000${r.type}`;
  const have = new Map(current.map((r) => [key(r), r]));
  const want = new Map(desired.map((r) => [key(r), r]));
  const changes: RecordChange[] = [];
  for (const r of sortRecords(desired)) {
    const h = have.get(key(r));
    if (!h) changes.push({ action: 'create', record: r });
    else if (!sameRecord(h, r)) changes.push({ action: 'update', record: r });
  }
  if (opts.prune) for (const r of sortRecords(current)) if (!want.has(key(r))) changes.push({ action: 'delete', record: r });
  return changes;
}
