/**
 * The shapes the HTTP API answers with, defined once: the services build them, and the web UI
 * (web/src/api.ts) imports them as types. Types only, and nothing imported but other types, so
 * that the browser build can read this file.
 */
import type { Json } from '../lib/json.js';

export type TaskStatus = 'queued' | 'running' | 'rolling_back' | 'succeeded' | 'failed' | 'rolled_back';

export interface Task {
  id: string;
  installationId: string | null;
  kind: string;
  status: TaskStatus;
  percent: number;
  message: string;
  error: string | null;
  params: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface Installation {
  id: string;
  name: string;
  app: string;
  version: string;
  packageVersion: number;
  host: string;
  domain: string;
  url: string;
  config: Record<string, Json>;
  status: string;
  /** The newest version in the catalog, when newer than the one running */
  updateAvailable?: string;
  createdAt: string;
  updatedAt: string;
}

/** GET /api/health/installations: what the health monitor's last probes said */
export interface InstallationHealth {
  state: 'healthy' | 'failing' | 'unhealthy' | 'unknown';
  /** For failing and unhealthy: since when, which component, its last error */
  since?: string;
  component?: string;
  error?: string;
  checkedAt?: string;
}

export type SchemaChangeKind = 'added' | 'removed' | 'renamed' | 'type-changed' | 'default-changed';

/** One difference between the config schemas of two app versions */
export interface SchemaChange {
  path: string;
  kind: SchemaChangeKind;
  /** The old path of a renamed option */
  from?: string;
  oldType?: string;
  newType?: string;
  oldDefault?: Json;
  newDefault?: Json;
  /** A new option that must be given a value (required, no default) */
  required?: boolean;
}

export interface RenameSuggestion {
  from: string;
  to: string;
  /** 0..1: how alike the two options are */
  score: number;
  reason: string;
  /** Another candidate scores close to this one for the same option: the user must choose */
  competing?: boolean;
}

/** One difference an update makes to an installation's configuration */
export interface ConfigChange {
  path: string;
  kind: 'renamed' | 'added' | 'removed' | 'kept' | 'changed';
  /** For a rename: the option's old path */
  from?: string;
  old?: Json;
  new?: Json;
  /** The new version needs a value here that the old configuration cannot give (required, or of a new type) */
  needsValue?: boolean;
  /** Why it needs one */
  problem?: string;
}

/** A domain and its provider's settings: never a secret */
export interface DomainView {
  name: string;
  zone: string;
  provider: string;
  ttl: number;
  /** How certificates of installations on it are validated */
  challenge: 'http-01' | 'dns-01';
  settings: Record<string, unknown>;
  installations: string[];
  createdAt: string;
}

export type ChallengeType = 'http-01' | 'dns-01';

export interface CertificateView {
  id: string;
  domains: string[];
  challenge: ChallengeType;
  /** The installation it belongs to, if any */
  owner: string | null;
  status: 'valid' | 'revoked';
  directoryUrl: string;
  serial: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** When renewDue() renews it */
  renewAfter: string;
  /** The last renewal failure, until a renewal succeeds */
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An address handed out from an IP pool */
export interface Allocation {
  /** Canonical address, without length: 10.20.0.5, fd00:20::5 */
  address: string;
  /** Length of the prefix it came from (the mask to configure with it) */
  prefixLength: number;
  /** The prefix it came from, e.g. 10.20.0.0/24 */
  prefix: string;
  family: 4 | 6;
  /** Who holds it; null for an address in the prefix that Freehold did not hand out (NetBox) */
  owner: string | null;
  description: string;
}

export interface AcmeAccountInput {
  /** An ACME directory URL, or 'letsencrypt' / 'letsencrypt-staging' */
  directoryUrl: string;
  /** Contact for the CA's expiry and policy mail */
  email?: string;
  /** PEM of CA certificates to trust for the directory's HTTPS (a private or test CA) */
  caBundle?: string;
  /** Register the account with the CA now (default true), so a wrong URL is reported at once */
  verify?: boolean;
}

export interface AcmeAccountView {
  directoryUrl: string;
  email: string | null;
  /** The account URL at the CA, once registered */
  url: string | null;
  caBundle: boolean;
  current: boolean;
  createdAt: string;
}

/** What `configure` accepts: the kind and that kind's fields */
export interface SecretsBackendInput {
  /** builtin | openbao */
  kind: string;
  /** openbao: base URL, e.g. https://bao.example.org:8200 */
  url?: string;
  /** openbao: token; sealed, never shown */
  token?: string;
  /** openbao: KV v2 mount (default secret) */
  mount?: string;
  /** openbao: folder of Freehold's secrets in the mount (default freehold) */
  prefix?: string;
  namespace?: string;
  /** openbao: PEM of the CA of the server's certificate */
  caCert?: string;
  timeoutMs?: number;
  /** builtin: versions kept per secret */
  maxVersions?: number;
  /** Open the backend and check it (reachable, the token works) before keeping it (default true) */
  verify?: boolean;
  [field: string]: unknown;
}

/** What may be shown of the backend: never a token */
export interface SecretsBackendView {
  kind: string;
  settings: Record<string, unknown>;
  /** When it was configured; null: the built-in default, never configured */
  configuredAt: string | null;
}
