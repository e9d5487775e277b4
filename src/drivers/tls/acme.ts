/**
 * The ACME issuer, on acme-client (RFC 8555): an account (its key given by the caller, who keeps
 * it sealed, with the account URL once registered), orders for one or more names, the
 * challenges answered by a solver (http01.ts through the edge, dns01.ts through a DNS provider),
 * the certificate downloaded with its chain; revocation.
 *
 * The CA's directory is any ACME directory URL: Let's Encrypt production or staging, another
 * CA, or pebble in tests. A CA whose HTTPS certificate is signed by a private CA (pebble's test
 * CA) is trusted through `caBundle`: an https.Agent with Node's roots plus that bundle, used
 * only for requests to that directory's origin (an axios request interceptor on acme-client's
 * client picks the agent by origin). Verification is never turned off, and nothing changes for
 * other CAs.
 *
 * Every failure is an AcmeError naming the domain, the challenge type, where the CA looked, the
 * CA's own detail and what to check. Challenge answers are always taken away again, whether the
 * order succeeds or not.
 */
import { Agent } from 'node:https';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import acme from 'acme-client';
import { AcmeError, DIRECTORIES, REVOCATION_REASONS, domainProblem, normalizeDomain, parseCertificate, type AcmeIssuerOptions, type ChallengeAnswer, type ChallengeSolver, type ChallengeType, type IssuedCertificate } from './index.js';

type AcmeChallenge = acme.Authorization['challenges'][number];

export { DIRECTORIES, REVOCATION_REASONS, parseCertificate, type AcmeIssuerOptions, type IssuedCertificate } from './index.js';

// --- the CA bundle, per directory origin -------------------------------------------------------
const agents = new Map<string, Agent>();
const originOf = (url: string | undefined) => {
  try {
    return url ? new URL(url).origin : '';
  } catch {
    return '';
  }
};
acme.axios.interceptors.request.use((config) => {
  const agent = agents.get(originOf(config.url));
  if (agent) config.httpsAgent = agent;
  return config;
});

const networkHint = (code: string | undefined, url: string) => {
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) {
    return `the CA's HTTPS certificate is not trusted (${code}): for a private or test CA (pebble), give its CA certificate as the CA bundle`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve ${new URL(url).hostname} (${code}): check the directory URL and this machine's DNS`;
  if (code === 'ECONNREFUSED') return `connection refused: check the directory URL, and that the CA is up`;
  return `${code ?? 'network error'}: check the directory URL and that this machine reaches the CA`;
};

export class AcmeIssuer {
  private readonly client: acme.Client;
  private readonly caOrigin: string;
  private registered = false;
  private reachable = false;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: AcmeIssuerOptions) {
    try {
      new URL(opts.directoryUrl);
    } catch {
      throw new AcmeError('invalid', `the ACME directory URL '${opts.directoryUrl}' is not a URL (e.g. ${DIRECTORIES.letsencrypt})`);
    }
    this.caOrigin = originOf(opts.directoryUrl);
    if (opts.caBundle) agents.set(this.caOrigin, new Agent({ ca: [...rootCertificates, opts.caBundle], keepAlive: true }));
    this.log = opts.log ?? (() => undefined);
    const poll = opts.poll ?? {};
    this.client = new acme.Client({
      directoryUrl: opts.directoryUrl,
      accountKey: opts.accountKey,
      ...(opts.accountUrl && { accountUrl: opts.accountUrl }),
      ...(opts.externalAccountBinding && { externalAccountBinding: opts.externalAccountBinding }),
      backoffMin: poll.minMs ?? 1000,
      backoffMax: poll.maxMs ?? 10_000,
      backoffAttempts: poll.attempts ?? 20,
    });
    this.registered = !!opts.accountUrl;
  }

  /** A new account key (PEM, ECDSA P-256) */
  static async createAccountKey(): Promise<string> {
    return (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
  }

  get directoryUrl() {
    return this.opts.directoryUrl;
  }

  /** The account URL when registered (or given), without asking the CA */
  get knownAccountUrl(): string | undefined {
    return this.registered ? this.client.getAccountUrl() : undefined;
  }

  /**
   * The directory, fetched once with a short timeout before acme-client's first request: an
   * unreachable or untrusted CA is reported at once (acme-client retries network errors for over
   * a minute).
   */
  private async checkReachable() {
    if (this.reachable) return;
    const url = this.opts.directoryUrl;
    await new Promise<void>((resolve, reject) => {
      const req = httpsRequest(url, { agent: agents.get(this.caOrigin), timeout: 15_000, headers: { accept: 'application/json' } }, (res) => {
        res.resume();
        if ((res.statusCode ?? 0) >= 400) reject(new AcmeError('unreachable', `the ACME directory ${url} answered HTTP ${res.statusCode}: check the directory URL`, { ca: url }));
        else res.on('end', resolve);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => reject(new AcmeError('unreachable', `cannot reach the ACME directory ${url}: ${networkHint(e.code, url)}`, { ca: url, caDetail: e.message })));
      req.end();
    });
    this.reachable = true;
  }

  /** Registers the account (or finds it: same key, same account) and returns its URL */
  async account(): Promise<string> {
    await this.checkReachable();
    if (!this.registered) {
      try {
        await this.client.createAccount({ termsOfServiceAgreed: true, ...(this.opts.email && { contact: [`mailto:${this.opts.email}`] }) });
      } catch (e) {
        throw new AcmeError('account', `the CA at ${this.opts.directoryUrl} refused the account${this.opts.email ? ` for ${this.opts.email}` : ''}: ${(e as Error).message}`, { ca: this.opts.directoryUrl, caDetail: (e as Error).message });
      }
      this.registered = true;
    }
    return this.client.getAccountUrl();
  }

  /** Orders a certificate for `domains` (the first is its common name), answering `challenge` for each */
  async issue(domainsIn: string[], challenge: ChallengeType): Promise<IssuedCertificate> {
    const domains = [...new Set(domainsIn.map(normalizeDomain))];
    if (!domains.length) throw new AcmeError('invalid', 'a certificate needs at least one domain');
    for (const d of domains) {
      const p = domainProblem(d);
      if (p) throw new AcmeError('invalid', `cannot issue a certificate for ${d}: ${p}`, { domain: d });
    }
    const solver = this.opts.solvers[challenge];
    if (!solver) throw new AcmeError('invalid', `the ${challenge} challenge is not available here (${Object.keys(this.opts.solvers).join(', ') || 'none'} is)`, { challenge });
    const wildcard = domains.find((d) => d.startsWith('*.'));
    if (wildcard && challenge !== 'dns-01') {
      throw new AcmeError('invalid', `a wildcard certificate (${wildcard}) can only be validated with the dns-01 challenge: configure the domain with a DNS provider and ask for dns-01`, { domain: wildcard, challenge });
    }
    if (solver.prepare) {
      try {
        await solver.prepare(domains);
      } catch (e) {
        throw new AcmeError('solver', `cannot answer ${challenge} challenges for ${domains.join(', ')}: ${(e as Error).message}`, { domain: domains[0], challenge });
      }
    }
    await this.account();
    const ca = this.opts.directoryUrl;
    const t0 = Date.now();

    let order: acme.Order;
    try {
      order = await this.client.createOrder({ identifiers: domains.map((value) => ({ type: 'dns', value })) });
    } catch (e) {
      throw new AcmeError('order', `the CA at ${ca} refused an order for ${domains.join(', ')}: ${(e as Error).message}`, { domain: domains[0], challenge, ca, caDetail: (e as Error).message });
    }
    const pending: { authz: acme.Authorization; ch: AcmeChallenge; answer: ChallengeAnswer }[] = [];
    try {
      for (const authz of await this.client.getAuthorizations(order)) {
        if (authz.status === 'valid') continue;
        const name = `${authz.wildcard ? '*.' : ''}${authz.identifier.value}`;
        const ch = authz.challenges.find((c) => c.type === challenge);
        if (!ch) {
          throw new AcmeError('order', `the CA offers ${authz.challenges.map((c) => c.type).join(', ')} for ${name}, not ${challenge}`, { domain: name, challenge, ca });
        }
        const value = await this.client.getChallengeKeyAuthorization(ch);
        pending.push({ authz, ch, answer: { domain: authz.identifier.value, wildcard: !!authz.wildcard, token: ch.token, value } });
      }
    } catch (e) {
      await this.deactivatePending(order);
      throw this.asAcmeError(e, domains, challenge);
    }

    const answers = pending.map((p) => p.answer);
    let presented = false;
    // Answers are taken away whatever happens; a failure to do so is reported, never hides the outcome
    const cleanup = async (): Promise<string | undefined> => {
      if (!presented) return undefined;
      try {
        await solver.cleanup(answers);
        return undefined;
      } catch (e) {
        const m = `the ${challenge} challenge answers for ${domains.join(', ')} could not be taken away: ${(e as Error).message}`;
        this.log(m);
        return m;
      }
    };
    let issued: IssuedCertificate;
    try {
      try {
        presented = true; // part of it may be in place even when present() fails: take it away too
        await solver.present(answers);
      } catch (e) {
        throw new AcmeError('solver', `cannot put the ${challenge} challenge answers in place for ${domains.join(', ')}: ${(e as Error).message}`, { domain: domains[0], challenge });
      }
      for (const p of pending) await this.client.completeChallenge(p.ch);
      for (const p of pending) {
        try {
          await this.client.waitForValidStatus(p.ch);
        } catch (e) {
          throw await this.challengeFailed(order, p.answer, solver, e as Error);
        }
      }
      this.log(`${challenge} challenges for ${domains.join(', ')} validated in ${Date.now() - t0} ms`);
      const left = await cleanup();
      presented = false;
      if (left) this.log(`${left} (they are removed when the certificates are next synchronised)`);

      const key = await this.createKey();
      const [, csr] = await acme.crypto.createCsr({ commonName: domains[0], altNames: domains }, key);
      let certificate: string;
      try {
        const finalized = await this.client.finalizeOrder(order, csr);
        certificate = await this.client.getCertificate(finalized);
      } catch (e) {
        throw new AcmeError('finalize', `the CA at ${ca} validated ${domains.join(', ')} but did not issue the certificate: ${(e as Error).message}`, { domain: domains[0], challenge, ca, caDetail: (e as Error).message });
      }
      const info = parseCertificate(certificate);
      this.log(`certificate for ${domains.join(', ')} issued in ${Date.now() - t0} ms (serial ${info.serial}, until ${info.notAfter.toISOString()})`);
      issued = { domains, certificate, key: key.toString(), notBefore: info.notBefore, notAfter: info.notAfter, serial: info.serial, issuer: info.issuer };
    } catch (e) {
      const left = await cleanup();
      await this.deactivatePending(order);
      const err = this.asAcmeError(e, domains, challenge);
      if (left) err.message += `; also, ${left}`;
      throw err;
    }
    return issued;
  }

  /** An error of acme-client (the CA's detail, or a network error) as an AcmeError naming the order */
  private asAcmeError(e: unknown, domains: string[], challenge: ChallengeType): AcmeError {
    if (e instanceof AcmeError) return e;
    const m = (e as Error)?.message ?? String(e);
    return new AcmeError('order', `ACME ${challenge} order for ${domains.join(', ')} at ${this.opts.directoryUrl} failed: ${m}`, { domain: domains[0], challenge, ca: this.opts.directoryUrl, caDetail: m });
  }

  /** The error of a challenge the CA could not validate, with the CA's own words */
  private async challengeFailed(order: acme.Order, answer: ChallengeAnswer, solver: ChallengeSolver, err: Error): Promise<AcmeError> {
    let detail = err.message;
    let type = '';
    try {
      const authz = (await this.client.getAuthorizations(order)).find((a) => a.identifier.value === answer.domain && !!a.wildcard === answer.wildcard);
      const failed = authz?.challenges.find((c) => c.type === solver.type && 'token' in c && c.token === answer.token);
      const e = failed?.error as { type?: string; detail?: string } | undefined;
      if (e?.detail) detail = e.detail;
      if (e?.type) type = e.type.replace('urn:ietf:params:acme:error:', '');
    } catch {
      /* keep what waitForValidStatus said */
    }
    const name = `${answer.wildcard ? '*.' : ''}${answer.domain}`;
    const what = solver.type === 'http-01' ? `the CA could not fetch ${solver.where(answer)}` : `the CA did not find the expected ${solver.where(answer)}`;
    return new AcmeError('challenge', `${solver.type} challenge for ${name} failed: ${what}: ${detail}${type ? ` (${type})` : ''}; ${solver.hint(answer)}`, {
      domain: name,
      challenge: solver.type,
      ca: this.opts.directoryUrl,
      caDetail: detail,
    });
  }

  /** Pending authorizations of a failed order are given up, so they do not count against the CA's limits */
  private async deactivatePending(order: acme.Order) {
    try {
      for (const a of await this.client.getAuthorizations(order)) if (a.status === 'pending') await this.client.deactivateAuthorization(a);
    } catch {
      /* best effort */
    }
  }

  private async createKey(): Promise<Buffer> {
    switch (this.opts.keyType ?? 'ecdsa-p256') {
      case 'ecdsa-p384':
        return acme.crypto.createPrivateEcdsaKey('P-384');
      case 'rsa-2048':
        return acme.crypto.createPrivateRsaKey(2048);
      case 'rsa-4096':
        return acme.crypto.createPrivateRsaKey(4096);
      default:
        return acme.crypto.createPrivateEcdsaKey('P-256');
    }
  }

  /** Revokes a certificate this account issued */
  async revoke(certificate: string, reason: number = REVOCATION_REASONS.cessationOfOperation): Promise<void> {
    await this.account();
    try {
      await this.client.revokeCertificate(certificate, { reason });
    } catch (e) {
      const names = (() => {
        try {
          return parseCertificate(certificate).names.join(', ');
        } catch {
          return 'a certificate';
        }
      })();
      if (/already revoked/i.test((e as Error).message)) return;
      throw new AcmeError('revoke', `the CA at ${this.opts.directoryUrl} refused to revoke the certificate of ${names}: ${(e as Error).message}`, { domain: names, ca: this.opts.directoryUrl, caDetail: (e as Error).message });
    }
  }
}
