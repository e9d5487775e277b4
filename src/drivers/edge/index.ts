/** Edge drivers put installations on the web: one route per installation, with TLS. */
export interface Route {
  /** Stable id: one route per installation */
  id: string;
  hosts: string[];
  /** host:port the edge proxies to */
  upstream: string;
}

export interface Edge {
  readonly name: string;
  /** Starts the edge if it is not running; throws an error that says what to do */
  ensureRunning(): Promise<void>;
  ping(): Promise<void>;
  setRoute(route: Route): Promise<void>;
  removeRoute(id: string): Promise<void>;
  getRoute(id: string): Promise<Route | null>;
  listRoutes(): Promise<Route[]>;
  /** Public URL of a domain as served by this edge */
  url(domain: string): string;
  /** PEM file of the CA that signs the edge's certificates for local domains, if any */
  caCertificateFile(): string | undefined;
  stop?(): Promise<void>;
}

export type EdgeFactory = (config: Record<string, unknown>) => Edge;
const registry = new Map<string, EdgeFactory>();
export const registerEdge = (name: string, factory: EdgeFactory) => registry.set(name, factory);
export function createEdge(name: string, config: Record<string, unknown> = {}): Edge {
  const factory = registry.get(name);
  if (!factory) throw new Error(`unknown edge "${name}" (known: ${[...registry.keys()].join(', ')})`);
  return factory(config);
}

/** A certificate issued elsewhere (Freehold's ACME client) for the edge to serve for its hosts */
export interface LoadedCertificate {
  /** Stable id: one entry per certificate, replaced when renewed */
  id: string;
  /** The names it covers (e.g. cal.example.org, *.example.org): the edge issues none of its own for these */
  hosts: string[];
  /** PEM: the certificate, then its chain */
  certificate: string;
  /** PEM private key */
  key: string;
}

/**
 * What an edge does for ACME (drivers/tls): answer HTTP-01 challenges on its HTTP port, and serve
 * certificates issued by Freehold instead of issuing its own for their hosts.
 */
export interface CertificateEdge {
  /** Serves `keyAuthorization` at http://<host>/.well-known/acme-challenge/<token> on the edge's HTTP port */
  setChallenge(host: string, token: string, keyAuthorization: string): Promise<void>;
  /** No-op when absent */
  removeChallenge(host: string, token: string): Promise<void>;
  listChallenges(): Promise<{ host: string; token: string }[]>;
  /** Loads (or replaces, by id) a certificate and its key */
  loadCertificate(cert: LoadedCertificate): Promise<void>;
  /** No-op when absent */
  removeCertificate(id: string): Promise<void>;
  /** The certificates loaded, with their PEM (not their keys) */
  listCertificates(): Promise<{ id: string; hosts: string[]; certificate: string }[]>;
}

export const isCertificateEdge = (edge: object): edge is CertificateEdge =>
  typeof (edge as Partial<CertificateEdge>).setChallenge === 'function' && typeof (edge as Partial<CertificateEdge>).loadCertificate === 'function';

/** The edge as a CertificateEdge; an edge that cannot serve issued certificates refuses with its name */
export function certificateEdgeOf(edge: Edge): CertificateEdge {
  if (isCertificateEdge(edge)) return edge;
  const refuse = async (): Promise<never> => {
    throw new Error(`the ${edge.name} edge cannot serve certificates issued by Freehold`);
  };
  return { setChallenge: refuse, removeChallenge: refuse, loadCertificate: refuse, removeCertificate: refuse, listChallenges: async () => [], listCertificates: async () => [] };
}
