/**
 * The control plane's HTTP API, as the web UI uses it: every call sends the admin token kept in
 * localStorage; a 401 sends the user back to sign in. Tasks are followed through their
 * server-sent events read with fetch (EventSource cannot send the Authorization header), and
 * through polling when the connection drops.
 */
import type {
  AcmeAccountInput,
  AcmeAccountView,
  Allocation,
  CertificateView,
  ChallengeType,
  ConfigChange,
  DomainView,
  Installation,
  InstallationHealth,
  RenameSuggestion,
  SchemaChange,
  Task,
  SecretsBackendInput,
  SecretsBackendView,
  TaskStatus,
} from '../../src/api/views';

// The API's answers, defined once with the server (src/api/views.ts).
export type { AcmeAccountInput, AcmeAccountView, SecretsBackendInput, SecretsBackendView, Allocation, CertificateView, ChallengeType, ConfigChange, DomainView, Installation, InstallationHealth, RenameSuggestion, SchemaChange, Task, TaskStatus };

const TOKEN_KEY = 'freehold.adminToken';

export const TOKEN_HINT =
  'The admin token is in the file admin-token in Freehold\'s data directory (/var/lib/freehold/admin-token by default; "freehold up" also prints it when it first starts).';

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: FieldError[] = [],
  ) {
    super(message);
  }
}

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string) {
  localStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  try {
    localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage unavailable */
  }
}

let unauthorized: (message: string) => void = () => {};
/** Called when the API refuses the stored token (the app shows the sign-in page) */
export function onUnauthorized(fn: (message: string) => void) {
  unauthorized = fn;
}

function refused() {
  clearToken();
  unauthorized(`Freehold refused the admin token (it may have changed). Sign in again. ${TOKEN_HINT}`);
}

export const UNREACHABLE = 'Cannot reach Freehold. Check that it is running ("freehold up") and that this device is online, then try again.';

const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError';

export async function api<T = unknown>(method: string, path: string, body?: unknown, opts: { token?: string; signal?: AbortSignal } = {}): Promise<T> {
  const token = opts.token ?? getToken();
  let res: Response | undefined;
  // A GET is tried again after a network error: a browser on the same machine sees its network
  // change whenever Podman adds or removes a container's interface, and drops requests then.
  for (let attempt = 0; !res; attempt++) {
    try {
      res = await fetch(path, {
        method,
        headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: opts.signal,
      });
    } catch (err) {
      if (isAbort(err)) throw err;
      if (method !== 'GET' || attempt >= 2 || !navigator.onLine) throw new ApiError(0, UNREACHABLE);
      await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
    }
  }
  const text = await res.text();
  const isJson = res.headers.get('content-type')?.includes('json') ?? false;
  let data: any = text;
  if (isJson && text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (res.status === 401 && opts.token === undefined) refused();
  if (!res.ok) throw new ApiError(res.status, (isJson && data?.error) || `Freehold answered HTTP ${res.status} ${res.statusText}`.trim(), isJson && Array.isArray(data?.details) ? data.details : []);
  return data as T;
}

export const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

// ---- types of the API's answers (what the UI reads of them) ----

export interface AppSummary {
  id: string;
  title: string;
  description: string;
  version: string;
  packageVersion: number;
  license: string;
  website?: string;
  tags?: string[];
  addons: string[];
}

export interface JsonSchema {
  [k: string]: unknown;
}

export interface Manifest {
  id: string;
  title: string;
  description: string;
  version: string;
  packageVersion: number;
  license: string;
  website?: string;
  icon?: string;
  screenshots?: string[];
  tags?: string[];
  components: Record<string, { image: string; http?: { port: number; path?: string } }>;
  addons?: Record<string, unknown>;
  config?: { schema: JsonSchema; ui?: Record<string, unknown> };
}

export interface CatalogApp extends AppSummary {
  versions: { version: string; packageVersion: number; upgradeFrom: string | null }[];
  manifest: Manifest;
}



export const FINISHED: string[] = ['succeeded', 'failed', 'rolled_back'];


export interface Snapshot {
  id: string;
  shortId: string;
  time: string;
  tags: Record<string, string>;
  paths?: string[];
}




export interface UpdatePreview {
  from: { version: string; packageVersion: number };
  to: { version: string; packageVersion: number };
  step: string;
  migrates: boolean;
  config: ConfigChange[];
  schema?: SchemaChange[];
  suggestions?: RenameSuggestion[];
  oldSchema?: JsonSchema | null;
  newSchema?: JsonSchema | null;
  oldUi?: Record<string, unknown>;
  newUi?: Record<string, unknown>;
  values?: { old: Record<string, unknown>; proposed: Record<string, unknown> };
  /** Whether the update can go ahead as it is (no option still needs a value) */
  ready?: boolean;
}

export interface Updates {
  installation: string;
  app: string;
  version: string;
  packageVersion: number;
  offers: { version: string; packageVersion: number; step: string; reachable: boolean; reason?: string }[];
  preview: UpdatePreview | null;
}

// ---- following a task ----

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'done';

export interface FollowHandlers {
  onTask(task: Task): void;
  onLogs(lines: string[]): void;
  onConnection(state: Connection): void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      window.removeEventListener('online', done);
      resolve();
    }
    signal.addEventListener('abort', done);
    window.addEventListener('online', done);
  });

/**
 * Follows a task until it finishes: its server-sent events while the connection holds; when it
 * drops (or the browser goes offline), the task's real state from GET /api/tasks/:id, every few
 * seconds, until the events can be followed again. Returns a function that stops following.
 */
export function followTask(id: string, h: FollowHandlers): () => void {
  const stop = new AbortController();
  let logs: string[] = [];
  let stream: AbortController | null = null;
  const goOffline = () => stream?.abort();
  window.addEventListener('offline', goOffline);

  /** Reads the events; true when the task finished */
  async function follow(): Promise<boolean> {
    stream = new AbortController();
    const abort = () => stream?.abort();
    stop.signal.addEventListener('abort', abort);
    try {
      const token = getToken();
      const res = await fetch(`/api/tasks/${encodeURIComponent(id)}/events`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: stream.signal });
      if (res.status === 401) {
        refused();
        stop.abort();
        return true;
      }
      if (!res.ok || !res.body) throw new ApiError(res.status, `cannot follow the task (HTTP ${res.status})`);
      h.onConnection('live');
      // The stream starts with the whole log again: keep the lines already shown.
      let seen = 0;
      const known = logs.length;
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (!data.length) continue;
          const payload = JSON.parse(data.join('\n'));
          if (event === 'log') {
            if (++seen > known) {
              logs = [...logs, String(payload.line)];
              h.onLogs(logs);
            }
          } else if (event === 'update') {
            h.onTask(payload as Task);
            if (FINISHED.includes((payload as Task).status)) return true;
          }
        }
      }
      return false;
    } finally {
      stop.signal.removeEventListener('abort', abort);
    }
  }

  /** The task's real state, asked directly; true when it finished */
  async function poll(): Promise<boolean> {
    const r = await api<{ task: Task; log: { at: string; line: string }[] }>('GET', `/api/tasks/${encodeURIComponent(id)}`, undefined, { signal: stop.signal });
    logs = r.log.map((l) => l.line);
    h.onLogs(logs);
    h.onTask(r.task);
    return FINISHED.includes(r.task.status);
  }

  void (async () => {
    h.onConnection('connecting');
    let failures = 0;
    while (!stop.signal.aborted) {
      if (navigator.onLine) {
        try {
          if (await follow()) break;
        } catch {
          /* dropped: ask for the task's state below */
        }
      }
      if (stop.signal.aborted) break;
      h.onConnection(navigator.onLine ? 'reconnecting' : 'offline');
      try {
        if (navigator.onLine && (await poll())) break;
        failures = 0;
      } catch {
        failures++;
      }
      if (stop.signal.aborted) break;
      await sleep(Math.min(1000 * 2 ** failures, 5000), stop.signal);
    }
    window.removeEventListener('offline', goOffline);
    if (!stop.signal.aborted) h.onConnection('done');
  })();

  return () => {
    stop.abort();
    window.removeEventListener('offline', goOffline);
  };
}

// ---- settings: domains, IP pools, certificates, hosts, secrets backend ----

const enc = encodeURIComponent;

/** A DNS record set as the API lists it: name relative to the zone ('' is the apex) */
export interface DnsRecordSet {
  name: string;
  type: string;
  ttl: number;
  values: string[];
}


export type DnsProviderKind = 'rfc2136' | 'powerdns' | 'desec' | 'cloudflare';

/** POST /api/domains: the domain, its provider and that provider's fields */
export interface DomainInput {
  name: string;
  provider: DnsProviderKind;
  zone?: string;
  ttl?: number;
  verify?: boolean;
  challenge?: 'http-01' | 'dns-01';
  server?: string;
  tsigName?: string;
  tsigAlgorithm?: string;
  tsigSecret?: string;
  url?: string;
  apiKey?: string;
  serverId?: string;
  token?: string;
}

export interface DnsDrift {
  installation: string;
  fqdn: string;
  name: string;
  type: string;
  problem: 'missing' | 'changed' | 'unexpected';
  want?: DnsRecordSet;
  have?: DnsRecordSet;
}

export interface DnsCheck {
  domain: string;
  drift: DnsDrift[];
  repaired: number;
}

export const listDomains = (signal?: AbortSignal) => api<{ domains: DomainView[] }>('GET', '/api/domains', undefined, { signal });
export const addDomain = (input: DomainInput) => api<{ domain: DomainView }>('POST', '/api/domains', input);
/** PATCH /api/domains/:name: TTL (applied to the records made), challenge, or provider settings given whole */
export const changeDomain = (name: string, change: Partial<Omit<DomainInput, 'name' | 'zone'>>) => api<{ domain: DomainView }>('PATCH', `/api/domains/${enc(name)}`, change);
export const removeDomain = (name: string, force = false) => api<void>('DELETE', `/api/domains/${enc(name)}${force ? '?force=true' : ''}`);
export const domainRecords = (name: string) => api<{ domain: string; records: DnsRecordSet[] }>('GET', `/api/domains/${enc(name)}/records`);
export const checkDomain = (name: string, repair = false) => api<DnsCheck>('POST', `/api/domains/${enc(name)}/check`, { repair });
/** The zone as an octoDNS YamlProvider zone file (text) */
export const exportDomain = (name: string) => api<string>('GET', `/api/domains/${enc(name)}/export`);
export const importDomain = (name: string, yaml: string, opts: { dryRun?: boolean; prune?: boolean } = {}) =>
  api<{ domain: string; zone: string; changes: { action: string; record: DnsRecordSet }[]; skipped: unknown[]; applied: boolean }>('POST', `/api/domains/${enc(name)}/import`, { yaml, ...opts });

/** GET /api/ip-pools: a pool and its configuration (never a token) */
export interface IpPoolView {
  name: string;
  provider: string;
  config: Record<string, unknown>;
  createdAt: string;
}

export interface IpPoolInput {
  name: string;
  provider?: 'builtin' | 'netbox';
  prefixes?: string[];
  reserve?: string[];
  url?: string;
  token?: string;
  prefixIds?: number[];
}

export type IpAllocation = Allocation & { pool: string };

export const listIpPools = () => api<{ pools: IpPoolView[] }>('GET', '/api/ip-pools');
export const addIpPool = (input: IpPoolInput) => api<{ pool: IpPoolView }>('POST', '/api/ip-pools', input);
export const removeIpPool = (name: string) => api<void>('DELETE', `/api/ip-pools/${enc(name)}`);
export const ipPoolAllocations = (name: string) => api<{ allocations: IpAllocation[] }>('GET', `/api/ip-pools/${enc(name)}/allocations`);
export const allocateIp = (name: string, req: { owner: string; description?: string; family?: 4 | 6 }) => api<{ allocation: IpAllocation }>('POST', `/api/ip-pools/${enc(name)}/allocations`, req);
export const releaseIp = (name: string, address: string) => api<void>('DELETE', `/api/ip-pools/${enc(name)}/allocations/${enc(address)}`);





export const ACME_DIRECTORIES = {
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
} as const;

export const getAcmeAccount = () => api<{ account: AcmeAccountView | null }>('GET', '/api/acme/account');
export const setAcmeAccount = (input: AcmeAccountInput) => api<{ account: AcmeAccountView }>('PUT', '/api/acme/account', input);
export const listCertificates = () => api<{ certificates: CertificateView[] }>('GET', '/api/certificates');
export const issueCertificate = (domains: string[], challenge?: ChallengeType) => api<{ certificate: CertificateView }>('POST', '/api/certificates', { domains, ...(challenge && { challenge }) });
export const renewCertificate = (id: string) => api<{ certificate: CertificateView }>('POST', `/api/certificates/${enc(id)}/renew`);
export const revokeCertificate = (id: string) => api<{ certificate: CertificateView }>('POST', `/api/certificates/${enc(id)}/revoke`);
export const removeCertificate = (id: string) => api<{ revoked: boolean; warning?: string }>('DELETE', `/api/certificates/${enc(id)}`);

/** Where the DNS records of installations on a host point: its public addresses (A/AAAA), a name (CNAME), an address per installation from an IP pool, or not set */
export type HostPublic = { addresses: string[] } | { cname: string } | { pool: string } | null;

export interface HostView {
  id: string;
  name: string;
  provider: string;
  runtime: string;
  /** Absent when the control plane predates public addresses */
  public?: HostPublic;
}

export const listHosts = () => api<{ hosts: HostView[] }>('GET', '/api/hosts');
export const setHostPublic = (id: string, pub: HostPublic) => api<{ host: HostView }>('PATCH', `/api/hosts/${enc(id)}`, { public: pub });



export const getSecretsBackend = () => api<{ backend: SecretsBackendView }>('GET', '/api/secrets/backend');
/** `notes`: what stays in the previous backend (nothing is moved) */
export const setSecretsBackend = (input: SecretsBackendInput) => api<{ backend: SecretsBackendView; notes?: string[] }>('PUT', '/api/secrets/backend', input);
