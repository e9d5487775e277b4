/**
 * IPv4 and IPv6 addresses and prefixes as BigInt, for the IP pools. Parsing is strict (no
 * zone ids, no leading zeros in IPv4 octets) and formatting canonical (RFC 5952 for IPv6), so an
 * address has one spelling in the store, in NetBox answers and in the API.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export interface Address {
  family: Family;
  value: bigint;
}

export interface Prefix {
  family: Family;
  /** The network address */
  network: bigint;
  length: number;
  /** First and last address of the prefix */
  first: bigint;
  last: bigint;
  /** Canonical text, e.g. 10.20.0.0/24 or fd00:20::/64 */
  cidr: string;
}

export const BITS: Record<Family, number> = { 4: 32, 6: 128 };

/** The address, or undefined when the text is not an IPv4 or IPv6 address */
export function parseAddress(text: string): Address | undefined {
  if (typeof text !== 'string') return undefined;
  if (isIPv4(text)) {
    const parts = text.split('.');
    if (parts.some((p) => p.length > 1 && p.startsWith('0'))) return undefined;
    return { family: 4, value: parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n) };
  }
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let s = text.toLowerCase();
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const a = parseAddress(v4[1]);
    if (!a) return undefined;
    s = `${s.slice(0, -v4[1].length)}${(a.value >> 16n).toString(16)}:${(a.value & 0xffffn).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const g = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: the longest run (first if tied) of two or more zero groups becomes "::"
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** Canonical spelling of an address, or undefined when it is not one */
export const canonicalAddress = (text: string): string | undefined => {
  const a = parseAddress(text);
  return a && formatAddress(a.family, a.value);
};

/** The prefix, or a message saying what is wrong with the text */
export function parsePrefix(text: string): Prefix | string {
  if (typeof text !== 'string') return 'must be a prefix such as 10.20.0.0/24 or fd00:20::/64';
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  const a = m && parseAddress(m[1]);
  if (!m || !a) return `"${text}" is not a prefix such as 10.20.0.0/24 or fd00:20::/64`;
  const length = Number(m[2]);
  const bits = BITS[a.family];
  if (length > bits) return `"${text}": an IPv${a.family} prefix length is at most ${bits}`;
  const hostBits = BigInt(bits - length);
  const network = (a.value >> hostBits) << hostBits;
  const cidr = `${formatAddress(a.family, network)}/${length}`;
  if (network !== a.value) return `"${text}" has host bits set; did you mean ${cidr}?`;
  return { family: a.family, network, length, first: network, last: network + (1n << hostBits) - 1n, cidr };
}

export const contains = (p: Prefix, a: Address) => a.family === p.family && a.value >= p.first && a.value <= p.last;
export const overlaps = (a: Prefix, b: Prefix) => a.family === b.family && a.first <= b.last && b.first <= a.last;

/** Fixed-width hexadecimal: sorts like the number within one family */
export const ordKey = (family: Family, value: bigint) => value.toString(16).padStart(BITS[family] / 4, '0');
export const fromOrdKey = (key: string) => BigInt(`0x${key}`);

/**
 * Addresses of a prefix that are never handed out, as NetBox does it: the network and broadcast
 * addresses of an IPv4 prefix shorter than /31; the Subnet-Router anycast
 * address (the first) of an IPv6 prefix shorter than /127 (RFC 4291). /31, /32, /127, /128 and
 * pools marked as such are fully usable.
 */
export function unusable(p: Prefix, fullyUsable = false): bigint[] {
  if (fullyUsable) return [];
  if (p.family === 4) return p.length >= 31 ? [] : [p.first, p.last];
  return p.length >= 127 ? [] : [p.first];
}

/** How many addresses of the prefix can be handed out, given the addresses excluded in it */
export const capacity = (p: Prefix, excluded: Iterable<bigint>) => {
  const inside = new Set([...excluded].filter((x) => x >= p.first && x <= p.last));
  return p.last - p.first + 1n - BigInt(inside.size);
};
