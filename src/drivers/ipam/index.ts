/**
 * IP address management: where installations (and, later, hosts and VMs) get their addresses.
 * A pool is configured once with a provider kind: `builtin` (prefixes kept in Freehold's own
 * store) or `netbox` (prefixes in a NetBox, through its `available-ips` API). Every kind hands out
 * each address once, also under concurrent requests, and records the owner *with* the
 * allocation, in the same write, so that an owner's addresses can always be found again (after a
 * crash too) and released together.
 */
import type { IpamKind } from './types.js';
import { builtin, type BuiltinConfig } from './builtin.js';
import { netbox, type NetboxConfig } from './netbox.js';

export * from './types.js';

export const ipamKinds: Record<string, IpamKind<any>> = { builtin, netbox } satisfies { builtin: IpamKind<BuiltinConfig>; netbox: IpamKind<NetboxConfig> };
