/**
 * TLS certificates from an ACME CA (Let's Encrypt, or pebble in tests): the issuer (acme.ts,
 * built on acme-client) and the challenge solvers it proves control of a name with:
 * - http-01 (http01.ts): the edge answers http://<name>/.well-known/acme-challenge/<token> on
 *   its HTTP port (a route in Freehold's Caddy);
 * - dns-01 (dns01.ts): a TXT record `_acme-challenge.<name>` through the domain's DNS provider
 *   (drivers/dns). The only way to a wildcard certificate.
 *
 * Errors are AcmeErrors: they name the domain, the challenge type, the CA's own words and the fix.
 */
import { X509Certificate } from 'node:crypto';

export const CHALLENGE_TYPES = ['http-01', 'dns-01'] as const;
export type ChallengeType = (typeof CHALLENGE_TYPES)[number];

/** One challenge to answer: what the CA will look for, for one name */
export interface ChallengeAnswer {
  /** The name validated, without "*." (the CA validates example.org for *.example.org) */
  domain: string;
  /** Whether the identifier ordered was *.<domain> */
  wildcard: boolean;
  token: string;
  /**
   * What the CA expects: for http-01 the key authorization served as the body, for dns-01 its
   * SHA-256 digest (base64url) as the TXT value
   */
  value: string;
}

export interface ChallengeSolver {
  readonly type: ChallengeType;
  /** Checks, before anything is ordered, that the solver can answer for these names (e.g. a DNS provider holds them) */
  prepare?(domains: string[]): Promise<void>;
  /** Makes every answer visible to the CA (in one batch where the driver allows); idempotent */
  present(answers: ChallengeAnswer[]): Promise<void>;
  /** Takes them away again; no error when they are already gone */
  cleanup(answers: ChallengeAnswer[]): Promise<void>;
  /** Where the CA looks, e.g. http://cal.example.org/.well-known/acme-challenge/<token> or TXT _acme-challenge.cal.example.org */
  where(answer: ChallengeAnswer): string;
  /** What to check when the CA could not validate the answer */
  hint(answer: ChallengeAnswer): string;
}

export type AcmeErrorCode =
  /** bad input: a name, a wildcard without dns-01 */
  | 'invalid'
  /** the CA cannot be reached, or its TLS certificate is not trusted */
  | 'unreachable'
  /** the CA refused the account (terms, contact, external account binding) */
  | 'account'
  /** the CA refused the order (a name it will not issue for, rate limits) */
  | 'order'
  /** a challenge could not be put in place (edge or DNS provider failed) */
  | 'solver'
  /** the CA could not validate a challenge */
  | 'challenge'
  /** finalising or downloading the certificate failed */
  | 'finalize'
  /** the CA refused a revocation */
  | 'revoke';

/** An ACME failure, naming the domain, the challenge type, the CA's detail and the fix */
export class AcmeError extends Error {
  constructor(
    readonly code: AcmeErrorCode,
    message: string,
    readonly details: { domain?: string; challenge?: ChallengeType; ca?: string; caDetail?: string } = {},
  ) {
    super(message);
    this.name = 'AcmeError';
  }
}

/** Lower case, without a final dot */
export const normalizeDomain = (d: string) => d.trim().toLowerCase().replace(/\.$/, '');

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why a name cannot be in a certificate, or undefined when it can (a "*." first label is allowed) */
export function domainProblem(name: string): string | undefined {
  const d = normalizeDomain(name);
  const bare = d.startsWith('*.') ? d.slice(2) : d;
  if (!bare || bare.length > 253) return `'${name}' is not a domain name`;
  const labels = bare.split('.');
  if (labels.length < 2) return `'${name}' is not a fully qualified domain name (a CA issues only for names under a public suffix)`;
  if (!labels.every((l) => LABEL.test(l))) return `'${name}' is not a domain name (letters, digits and - only; "*." only as the first label)`;
  if (/^\d+$/.test(labels[labels.length - 1])) return `'${name}' is an IP address: ACME certificates here are for domain names`;
  if (labels[labels.length - 1] === 'localhost') return `'${name}' is a local name: the edge's local CA serves *.localhost, a public CA does not issue for it`;
  return undefined;
}

// What the ACME issuer (acme.ts) takes and gives, here so that users of it need not load
// acme-client (and axios, node-forge, @peculiar/x509) before they order a certificate.

export const DIRECTORIES = {
  'letsencrypt': 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
} as const;

export interface AcmeIssuerOptions {
  /** The CA's ACME directory URL */
  directoryUrl: string;
  /** PEM of CA certificates to trust, besides Node's, for the directory's HTTPS (e.g. pebble's test CA) */
  caBundle?: string;
  /** The account key (PEM). `AcmeIssuer.createAccountKey()` makes one */
  accountKey: string;
  /** The account URL, once registered (accounts are registered on first use) */
  accountUrl?: string;
  /** Contact address given to the CA (expiry and policy mail) */
  email?: string;
  /** External account binding, for CAs that require it (ZeroSSL, Google) */
  externalAccountBinding?: { kid: string; hmacKey: string };
  solvers: Partial<Record<ChallengeType, ChallengeSolver>>;
  /** Polling of pending challenges and orders (defaults: from 1 s, at most 10 s apart, 20 times) */
  poll?: { minMs?: number; maxMs?: number; attempts?: number };
  /** Key of issued certificates (default ECDSA P-256) */
  keyType?: 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-4096';
  log?: (line: string) => void;
}

export interface IssuedCertificate {
  /** The names, as ordered (lower case) */
  domains: string[];
  /** PEM: the certificate, then the chain the CA sent */
  certificate: string;
  /** PEM private key of the certificate */
  key: string;
  notBefore: Date;
  notAfter: Date;
  /** Serial number, hex upper case */
  serial: string;
  /** The issuer's distinguished name, as shown by Node */
  issuer: string;
}

/** RFC 5280 revocation reasons Let's Encrypt accepts */
export const REVOCATION_REASONS = { unspecified: 0, keyCompromise: 1, affiliationChanged: 3, superseded: 4, cessationOfOperation: 5 } as const;

/** The first certificate of a PEM chain, parsed */
export function parseCertificate(pem: string) {
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!first) throw new Error('no certificate in PEM');
  const x = new X509Certificate(first);
  const names = (x.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  return { x509: x, notBefore: new Date(x.validFrom), notAfter: new Date(x.validTo), serial: x.serialNumber.toUpperCase(), issuer: x.issuer.replace(/\n/g, ', '), names, fingerprint: x.fingerprint256 };
}

