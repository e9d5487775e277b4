import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal values always serialise the same */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

export const hashOf = (v: unknown) => createHash('sha256').update(stableJson(v)).digest('hex').slice(0, 16);
