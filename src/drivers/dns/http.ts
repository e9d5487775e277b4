/**
 * HTTP for the DNS providers that have an API: JSON in and out, a timeout, waiting out 429 Too
 * Many Requests as the answer's Retry-After says (within a bound), and errors that name the
 * provider and zone. Credentials go in headers only and never into a message.
 */
import { DnsError } from './records.js';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, else the text */
  body: any;
}

export interface HttpOptions {
  provider: string;
  zone: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
  /** Longest total wait for rate limits before giving up (default 60 s) */
  maxRateWaitMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The URL without its query (it may carry cursors; never credentials, but keep messages short) */
const show = (url: string) => url.replace(/\?.*$/, '');

export async function httpJson(o: HttpOptions): Promise<HttpAnswer> {
  let waited = 0;
  const maxWait = o.maxRateWaitMs ?? 60_000;
  for (;;) {
    let res: Response;
    try {
      res = await fetch(o.url, {
        method: o.method,
        headers: { accept: 'application/json', 'user-agent': 'freehold-dns', ...(o.body !== undefined && { 'content-type': 'application/json' }), ...o.headers },
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
        redirect: 'error',
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${(o.timeoutMs ?? 30_000) / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new DnsError(o.provider, o.zone, 'unreachable', `cannot reach ${show(o.url)} (${why}): check the API URL and that this machine can reach it`);
    }
    const text = await res.text();
    let body: any = text;
    if (res.headers.get('content-type')?.includes('json') && text) {
      try {
        body = JSON.parse(text);
      } catch {
        /* keep the text */
      }
    }
    if (res.status === 429) {
      const after = Number(res.headers.get('retry-after'));
      const ms = Number.isFinite(after) && after >= 0 ? after * 1000 : 1000 * 2 ** Math.min(5, Math.round(waited / 1000));
      if (waited + ms > maxWait) {
        throw new DnsError(o.provider, o.zone, 'rate-limited', `the API limits the rate of requests (429) and asks to wait ${Number.isFinite(after) ? `${after} s` : 'longer'}: try again later (nothing more was sent)`);
      }
      await sleep(ms);
      waited += ms;
      continue;
    }
    return { status: res.status, headers: res.headers, body };
  }
}

/** A short text of an error body (JSON or text), for messages */
export const bodyText = (body: unknown, max = 400) => {
  const s = typeof body === 'string' ? body : JSON.stringify(body);
  return s.length > max ? `${s.slice(0, max)}…` : s;
};

/** Checks an http(s) URL field of a provider's configuration */
export function checkUrl(v: unknown, field: string, p: { path: string; message: string }[], required: boolean) {
  if (v === undefined || v === '') {
    if (required) p.push({ path: field, message: 'is required' });
    return;
  }
  let ok = false;
  try {
    ok = typeof v === 'string' && ['http:', 'https:'].includes(new URL(v).protocol) && !new URL(v).username && !new URL(v).password;
  } catch {
    /* not a URL */
  }
  if (!ok) p.push({ path: field, message: 'must be an http:// or https:// URL without user info' });
}

export const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && !/[\0\r\n]/.test(v);
