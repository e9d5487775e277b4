/** The IPAM kind's types and errors (index.ts holds the registry). */
import type { Store } from '../../store/index.js';
import type { Allocation } from '../../api/views.js';

export type { Allocation };

export type Problems = { path: string; message: string }[];

/** A pool as a provider sees it: its name and its (opened) configuration */
export interface PoolRef<C = unknown> {
  name: string;
  config: C;
}

export interface AllocateRequest {
  /** Who holds the address: an installation name (lower-case letters, digits, . _ -) */
  owner: string;
  /** Free text kept with the address (NetBox shows it) */
  description?: string;
  /** Only from prefixes of this family; default: the pool's prefixes in their order */
  family?: 4 | 6;
  /**
   * When the owner already holds an address of the pool (of the family, when given), that one
   * instead of a new one: what an install that runs again needs.
   */
  reuse?: boolean;
}

export interface IpamProvider<C = unknown> {
  /** The next free address; IpamError 'full' when there is none */
  allocate(pool: PoolRef<C>, req: AllocateRequest): Promise<Allocation>;
  /** Makes an address free again; IpamError 'not_allocated' when it is not one of the pool's allocations */
  release(pool: PoolRef<C>, address: string): Promise<void>;
  /** The addresses in use in the pool (only the owner's, when given) */
  list(pool: PoolRef<C>, filter?: { owner?: string }): Promise<Allocation[]>;
  /** Checks that the pool can be used (credentials, the prefixes exist); throws IpamError */
  ping(pool: PoolRef<C>): Promise<void>;
  /** Drops what the provider keeps about a pool that is being removed (it has no allocations) */
  forget?(pool: PoolRef<C>): Promise<void>;
}

export interface IpamDeps {
  db: Store;
}

export interface IpamKind<C = unknown> {
  /** Checks the input (the API's fields) and returns the configuration to keep (sealed) */
  parse(input: Record<string, unknown>, p: Problems): C;
  /** What may be shown of the configuration: never a token */
  view(config: C): Record<string, unknown>;
  /**
   * The old configuration's scope (its prefixes) reached through the new one's connection settings
   * (a new token, a moved URL): what an update compares with, when the old token is revoked.
   * Default: the old configuration.
   */
  oldScope?(old: C, next: C): C;
  /** Why two pools of this kind cannot both exist (e.g. overlapping prefixes), if they cannot */
  conflict?(mine: C, other: C): string | undefined;
  create(deps: IpamDeps): IpamProvider<C>;
}

export type IpamErrorCode = 'full' | 'not_allocated' | 'invalid' | 'auth' | 'unreachable' | 'not_found' | 'upstream';

/** What went wrong, with a message that names the pool (and the provider) and says what to do */
export class IpamError extends Error {
  constructor(
    readonly code: IpamErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IpamError';
  }
}

/** Owners are installation names and the like; they go into NetBox descriptions as a tag */
export const OWNER = /^[a-z0-9][a-z0-9._-]{0,62}$/;
