/** What resource handlers get to act on one host: its drivers and where its data lives. */
import type { Runtime } from '../../drivers/runtime/index.js';
import type { Edge } from '../../drivers/edge/index.js';
import type { AddonContext } from '../../drivers/addons/index.js';
import type { Domains } from '../../services/domains.js';
import type { Certificates } from '../../services/certificates.js';
import type { IpPools } from '../../services/ip-pools.js';
import type { SecretsBackends } from '../../services/secrets-backend.js';

/** The control plane's services for installations on configured domains, shared by every host */
export interface PublicServices {
  domains: Pick<Domains, 'ensureInstallationRecords' | 'removeInstallationRecords' | 'observeInstallationRecords' | 'records'>;
  certificates: Pick<Certificates, 'ensure' | 'observe' | 'remove'>;
  ipPools: Pick<IpPools, 'allocateFor' | 'releaseFrom' | 'heldIn'>;
}

export interface HostContext {
  hostId: string;
  runtime: Runtime;
  edge: Edge;
  addons: AddonContext;
  dataDir: string;
  /** Address app ports are published on for the edge to reach them */
  publishIp: string;
  /** DNS records and ACME certificates (absent where nothing is on a configured domain, e.g. benchmarks) */
  public?: PublicServices;
  /**
   * Generated secrets (the manifest's `secrets`) are kept in the secrets backend in use, found
   * through this when needed (it may change at run time). Absent (a context made without the
   * control plane): kept in the records only
   */
  secrets?: { backends: () => Pick<SecretsBackends, 'current' | 'failure'> };
}

/** The public services of a context; `what` names what needs them in the error */
export function publicServices(ctx: HostContext, what: string): PublicServices {
  if (!ctx.public) throw new Error(`${what} need the domains, certificates and IP pools services, which this control plane was started without`);
  return ctx.public;
}

/** Names on the host, derived from the installation name so a crashed run can find them again */
export const names = {
  network: (installation: string) => `fh-${installation}`,
  container: (installation: string, component: string) => `fh-${installation}-${component}`,
  route: (installation: string) => `fh-${installation}`,
};

export const LABEL_INSTALLATION = 'freehold.installation';
export const LABEL_COMPONENT = 'freehold.component';
export const LABEL_HASH = 'freehold.hash';
