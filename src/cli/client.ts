/** The CLI talks to the running control plane over its HTTP API, like every other surface. */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDataDir } from './paths.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: { path: string; message: string }[],
  ) {
    super(message);
  }
}

export class Client {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  static fromEnvironment(dataDir = defaultDataDir()): Client {
    let url = process.env.FREEHOLD_URL;
    let token = process.env.FREEHOLD_TOKEN;
    const apiFile = join(dataDir, 'api.json');
    if (!url && existsSync(apiFile)) url = JSON.parse(readFileSync(apiFile, 'utf8')).url;
    const tokenFile = join(dataDir, 'admin-token');
    if (!token && existsSync(tokenFile)) token = readFileSync(tokenFile, 'utf8').trim();
    if (!url || !token) {
      throw new Error(`Freehold does not seem to be running (no ${apiFile}). Start it with "freehold up", or set FREEHOLD_URL and FREEHOLD_TOKEN.`);
    }
    return new Client(url, token);
  }

  async request<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new Error(`cannot reach Freehold at ${this.url} (${((err as Error).cause as Error)?.message ?? (err as Error).message}). Is "freehold up" running?`);
    }
    const text = await res.text();
    const isJson = res.headers.get('content-type')?.includes('json');
    const data = isJson && text ? JSON.parse(text) : text;
    if (!res.ok) throw new ApiError(res.status, (isJson && data?.error) || `HTTP ${res.status}`, isJson ? data?.details : undefined);
    return data as T;
  }

  /** Streams a task's server-sent events until it finishes */
  async *events(taskId: string): AsyncGenerator<{ event: string; data: any }> {
    const res = await fetch(`${this.url}/api/tasks/${taskId}/events`, { headers: { authorization: `Bearer ${this.token}` } });
    if (!res.ok || !res.body) throw new ApiError(res.status, `cannot follow task ${taskId}: HTTP ${res.status}`);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data) yield { event, data: JSON.parse(data) };
      }
    }
  }
}
