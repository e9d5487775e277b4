/** What every benchmark shares: result rows, timing, statistics. */
import { performance } from 'node:perf_hooks';

export interface Row {
  /** What is measured */
  figure: string;
  /** The target as written, e.g. "<= 1000 ms"; empty for figures shown for information */
  target: string;
  /** The measured figure, as shown */
  result: string;
  /** PASS / FAIL against the target; undefined for information-only rows */
  pass?: boolean;
  /** Why the figure could not be measured */
  error?: string;
}

export type Bench = (log: (line: string) => void) => Promise<Row[]>;

export const now = () => performance.now();

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = now();
  const value = await fn();
  return { ms: now() - t0, value };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const ms = (x: number) => `${Math.round(x)} ms`;
export const list = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');

/** A row checked against an upper bound */
export const atMost = (figure: string, value: number, limit: number, show: (x: number) => string, detail = ''): Row => ({
  figure,
  target: `<= ${show(limit)}`,
  result: `${show(value)}${detail ? ` (${detail})` : ''}`,
  pass: value <= limit,
});

export const info = (figure: string, result: string): Row => ({ figure, target: '', result });

export const failed = (figure: string, target: string, err: unknown): Row => ({
  figure,
  target,
  result: 'not measured',
  pass: false,
  error: (err as Error)?.stack ?? String(err),
});

export const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));
