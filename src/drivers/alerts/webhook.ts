/** Webhook channel: POSTs {event} as JSON to a URL; 10 s timeout, one retry. */
import type { AlertEvent, ChannelKind, Problems } from './index.js';

export interface WebhookConfig {
  url: string;
}

const TIMEOUT_MS = 10_000;

async function post(url: string, event: AlertEvent) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'freehold-alerts' },
    body: JSON.stringify({ event }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
    redirect: 'error',
  });
  await res.body?.cancel().catch(() => undefined);
  if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
}

/** The URL without what may be a credential (user info, query) */
const redact = (raw: string) => {
  const u = new URL(raw);
  return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
};

export const webhook: ChannelKind<WebhookConfig> = {
  parse(input, p: Problems) {
    const url = input.url;
    let ok = false;
    try {
      ok = typeof url === 'string' && ['http:', 'https:'].includes(new URL(url).protocol);
    } catch {
      /* not a URL */
    }
    if (url === undefined || url === '') p.push({ path: 'url', message: 'is required for webhook channels' });
    else if (!ok) p.push({ path: 'url', message: 'must be an http:// or https:// URL' });
    return { url: String(url ?? '') };
  },
  view: (c) => ({ url: redact(c.url) }),
  async send(c, event) {
    try {
      await post(c.url, event);
    } catch (first) {
      try {
        await post(c.url, event);
      } catch (err) {
        const why = (e: unknown) => {
          const x = e as Error & { cause?: { code?: string; message?: string } };
          return x.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000}s` : (x.cause?.code ?? x.cause?.message ?? x.message);
        };
        throw new Error(`webhook ${redact(c.url)} failed twice: ${why(first)}; ${why(err)}`);
      }
    }
  },
};
