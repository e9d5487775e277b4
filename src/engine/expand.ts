/**
 * Expands an installation into its resource graph: network, volume, addons, secrets, images,
 * containers and route, each with what it depends on.
 */
import type { Manifest } from '../manifest/schema.js';
import type { DesiredResource, Json } from './resource.js';
import { names } from './kinds/context.js';
import type { ContainerResourceSpec } from './kinds/container.js';

export interface InstallationView {
  name: string;
  domain: string;
  url: string;
  host: string;
  config: Record<string, Json>;
  /** On a configured domain: the DNS records (when the host has a public target) and an ACME certificate */
  public?: { domain: string; target: Json | null; challenge: 'http-01' | 'dns-01' };
}

export function expand(inst: InstallationView, manifest: Manifest, images: Record<string, { ref: string; context?: string }>): DesiredResource[] {
  const network = names.network(inst.name);
  const out: DesiredResource[] = [{ key: 'network', kind: 'network', spec: { name: network }, dependsOn: [] }];
  // Every installation has a volume, mounted at /data: the part of it that is backed up.
  const addonKinds = [...new Set(['volume', ...Object.keys(manifest.addons ?? {})])];
  // Servers join the installation's network; the volume is a directory and needs none.
  for (const kind of addonKinds) out.push({ key: `addon:${kind}`, kind: 'addon', spec: { kind, network }, dependsOn: kind === 'volume' ? [] : ['network'] });
  const secrets = Object.keys(manifest.secrets ?? {});
  // { random: N } or { keypair: type }: a random secret's spec is what it always was (same hash)
  for (const s of secrets) out.push({ key: `secret:${s}`, kind: 'secret', spec: { ...manifest.secrets![s].generate }, dependsOn: [] });

  // On a configured domain the name points at the host first, so that the CA finds the edge
  // there for the HTTP-01 challenge.
  const pub = inst.public;
  // A host that gives each installation its own address takes it from an IP pool first.
  const pool = pub?.target && typeof pub.target === 'object' && !Array.isArray(pub.target) ? pub.target.pool : undefined;
  // The public address the app is given ({{ installation.address }}): its own from the pool (an
  // input of the `address` resource), else the host's first one; none on .localhost or a CNAME.
  const hostAddresses = pub?.target && typeof pub.target === 'object' && !Array.isArray(pub.target) ? pub.target.addresses : undefined;
  const address = Array.isArray(hostAddresses) ? String(hostAddresses[0] ?? '') : '';

  let httpTarget: string | undefined;
  for (const [component, c] of Object.entries(manifest.components)) {
    out.push({ key: `image:${component}`, kind: 'image', spec: images[component] as unknown as Json, dependsOn: [] });
    const addons: Record<string, Record<string, string>> = {};
    for (const kind of addonKinds) addons[kind] = { ...(manifest.addons as Record<string, { env?: Record<string, string> }> | undefined)?.[kind]?.env };
    const spec: ContainerResourceSpec = {
      name: names.container(inst.name, component),
      component,
      version: manifest.version,
      migrate: manifest.hooks?.migrate?.component === component ? manifest.hooks.migrate.command : undefined,
      // (address only where there is one: the spec, and so the container, of others is unchanged)
      installation: { name: inst.name, domain: inst.domain, url: inst.url, host: inst.host, ...(address ? { address } : {}) },
      command: c.command,
      env: c.env ?? {},
      files: c.files ?? {},
      addons,
      secrets,
      config: inst.config,
      http: c.http && { port: c.http.port, healthCheck: c.http.healthCheck },
      ports: c.ports ?? [],
      memory: c.memory,
      user: c.user,
      network,
    };
    const key = `container:${component}`;
    out.push({
      key,
      kind: 'container',
      spec: spec as unknown as Json,
      dependsOn: ['network', `image:${component}`, ...addonKinds.map((k) => `addon:${k}`), ...secrets.map((s) => `secret:${s}`), ...(typeof pool === 'string' ? ['address'] : [])],
    });
    if (c.http && (c.http.path ?? '/') === '/') httpTarget = key;
  }
  const containers = Object.keys(manifest.components).map((c) => `container:${c}`);
  const postInstall = manifest.hooks?.postInstall;
  if (postInstall) {
    out.push({ key: 'hook:postInstall', kind: 'hook', spec: { hook: 'postInstall', container: names.container(inst.name, postInstall.component), command: postInstall.command }, dependsOn: containers });
  }
  if (typeof pool === 'string') out.push({ key: 'address', kind: 'address', spec: { pool }, dependsOn: [] });
  // Keyed by what they are for: when the installation gets another name, the new records and
  // certificate are made before the old ones go (the old are "no longer wanted").
  const dnsKey = `dns:${pub?.domain}`;
  const certificateKey = `certificate:${inst.domain}`;
  if (pub?.target) out.push({ key: dnsKey, kind: 'dns', spec: { domain: pub.domain, host: inst.domain, target: pub.target }, dependsOn: typeof pool === 'string' ? ['address'] : [] });
  if (pub) out.push({ key: certificateKey, kind: 'certificate', spec: { id: inst.domain, domains: [inst.domain], challenge: pub.challenge }, dependsOn: pub.target ? [dnsKey] : [] });
  // Traffic comes only once the app is set up (and its certificate is served).
  if (httpTarget) {
    const after = [httpTarget, ...(postInstall ? ['hook:postInstall'] : []), ...(pub ? [certificateKey] : [])];
    out.push({ key: 'route', kind: 'route', spec: { id: names.route(inst.name), hosts: [inst.domain], target: httpTarget }, dependsOn: after });
  }
  return out;
}
