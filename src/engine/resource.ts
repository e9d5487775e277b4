/**
 * The engine's vocabulary. A resource is one thing the engine manages for an installation
 * (network, volume, addon instance, secret, image, container, route). Handlers know how to read,
 * apply and delete one kind; the engine knows only this interface.
 */
import type { Json } from '../lib/json.js';

export type { Json };

export interface DesiredResource {
  /** Unique within an installation, e.g. "container:web" */
  key: string;
  kind: string;
  spec: Json;
  dependsOn: string[];
}

export interface RecordedResource {
  key: string;
  kind: string;
  spec: Json;
  dependsOn: string[];
  /** Hash of the spec and the dependencies' outputs it was applied with */
  hash: string;
  outputs: Record<string, Json>;
}

export type Observation = { state: 'present' } | { state: 'absent' } | { state: 'drifted'; reason: string };

export interface ApplyInput<Ctx> {
  ctx: Ctx;
  installation: string;
  key: string;
  spec: Json;
  hash: string;
  /** Outputs recorded the last time, to keep (e.g. the same password or port) */
  previous?: Record<string, Json>;
  /** Outputs of the resources this one depends on, by key */
  inputs: Record<string, Record<string, Json>>;
  log: (line: string) => void;
}

export interface ResourceHandler<Ctx = any> {
  /** Reads what exists for many resources of this kind at once (one call per kind per pass) */
  observe(ctx: Ctx, items: { installation: string; key: string; spec: Json; outputs?: Record<string, Json> }[]): Promise<Observation[]>;
  /** Creates, updates or repairs; must be idempotent: it may run again after a crash */
  apply(input: ApplyInput<Ctx>): Promise<Record<string, Json>>;
  /** Removes; must be a no-op for what does not exist, and work from the spec alone */
  delete(input: { ctx: Ctx; installation: string; key: string; spec: Json; outputs?: Record<string, Json>; log: (line: string) => void }): Promise<void>;
}

export type HandlerRegistry<Ctx = any> = Map<string, ResourceHandler<Ctx>>;
