/**
 * Certificates from an ACME CA for domains the user owns (drivers/tls), served by the edge.
 *
 * - `configure({directoryUrl, email, caBundle})`: the CA (Let's Encrypt, its staging, another ACME
 *   CA, pebble in tests) and the account's contact. One account per directory, its key made here
 *   and kept sealed with its URL (table acme_accounts); the last one configured is current.
 * - `issue(domains, {challenge})`: orders a certificate (http-01 through the edge's HTTP port,
 *   dns-01 through the DNS provider of the configured domain holding each name: the only way to
 *   a wildcard), keeps it with its key sealed (table certificates) and loads it into the edge,
 *   which then serves it for those names instead of issuing one of its own.
 * - `renewDue(now)`: for the scheduler: every certificate with less than a third of its lifetime
 *   left (`renewFraction`) is issued again and replaces the old one in the edge; failures are
 *   recorded on the certificate (`lastError`) and tried again at the next call.
 * - `revoke(id)`: revoked at the CA, no longer served, kept as revoked; `remove(id)` revokes
 *   (reason: cessation of operation), unloads and forgets it; `removeOwner(installation)`.
 * - `sync()`: for the reconcile loop: loads into the edge what it should serve (after an edge
 *   restart), removes what it should not, and challenge routes left by a crash.
 *
 * - `ensure` / `observe`: for the engine's `certificate` resource of an installation on a
 *   configured domain (`owner` records whose it is).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Store } from '../store/index.js';
import { now } from '../store/index.js';
import type { Sealer } from '../lib/crypto.js';
import { Locks } from '../lib/locks.js';
import type { CertificateEdge } from '../drivers/edge/index.js';
import { AcmeError, CHALLENGE_TYPES, domainProblem, normalizeDomain, type AcmeErrorCode, type ChallengeType } from '../drivers/tls/index.js';
import { DIRECTORIES, REVOCATION_REASONS, parseCertificate, type AcmeIssuerOptions, type IssuedCertificate } from '../drivers/tls/index.js';
import type { AcmeIssuer } from '../drivers/tls/acme.js';
import type { AcmeAccountInput, AcmeAccountView, CertificateView } from '../api/views.js';

export type { AcmeAccountInput, AcmeAccountView, CertificateView };

/** acme-client (with axios, node-forge, @peculiar/x509: ~10 MiB) is loaded when first needed: many control planes never order a certificate */
const acmeIssuer = () => import('../drivers/tls/acme.js').then((m) => m.AcmeIssuer);
import { Http01Solver } from '../drivers/tls/http01.js';
import { Dns01Solver, type Dns01Options, type DnsTarget } from '../drivers/tls/dns01.js';
import { NotFoundError, UserError } from './errors.js';



export interface CertificatesOptions {
  /** The edge that answers HTTP-01 challenges and serves the certificates */
  edge: CertificateEdge;
  /** The edge's HTTP port, named in the hint when the CA cannot reach it */
  edgeHttpPort?: number;
  /** The DNS provider and zone holding a name, for dns-01 (see `locateInDomains`) */
  locateDns?: (name: string) => Promise<DnsTarget>;
  /** Wait until TXT records are visible at these name servers before the CA looks */
  dnsVerify?: Dns01Options['verify'];
  /** Renew when less than this fraction of the lifetime is left (default 1/3) */
  renewFraction?: number;
  /** Polling of the CA (tests poll faster) */
  poll?: AcmeIssuerOptions['poll'];
  log?: (line: string) => void;
}

/** A certificate could not be issued, renewed or revoked: the CA's reason and the fix */
export class CertificateError extends UserError {
  override readonly status: number;
  constructor(
    message: string,
    readonly code: AcmeErrorCode,
    readonly domain?: string,
    readonly challenge?: ChallengeType,
  ) {
    super(message, domain ? [{ path: 'domains', message: `${domain}: ${code}` }] : undefined);
    this.status = code === 'invalid' ? 400 : code === 'unreachable' || code === 'finalize' || code === 'revoke' ? 502 : 422;
  }
}

const wrap = (e: unknown): Error => (e instanceof AcmeError ? new CertificateError(e.message, e.code, e.details.domain, e.details.challenge) : (e as Error));

/** The certificate id made from its first name: cal.example.org, or wildcard.example.org for *.example.org */
export const certificateId = (domain: string) => normalizeDomain(domain).replace(/^\*\./, 'wildcard.');
const ID = /^[a-z0-9][a-z0-9._-]{0,200}$/;
/** What a CA says of an account it does not know (RFC 8555 accountDoesNotExist; Boulder, pebble) */
const ACCOUNT_GONE = /accountDoesNotExist|account (?:\S+ )?(?:does not exist|not found)|unable to find (?:existing )?account|no account/i;

/**
 * DNS-01 through the configured domains (services/domains.ts): the domain holding a name is the
 * longest configured one it is, or ends with.
 */
export function locateInDomains(domains: { list(): Promise<{ name: string }[]>; provider(domain: string): Promise<{ dns: DnsTarget['dns']; zone: string }> }) {
  return async (name: string): Promise<DnsTarget> => {
    const n = normalizeDomain(name);
    const holder = (await domains.list())
      .map((d) => d.name)
      .filter((d) => n === d || n.endsWith(`.${d}`))
      .sort((a, b) => b.length - a.length)[0];
    if (!holder) throw new Error(`no configured domain holds ${n}: add its domain with a DNS provider ("freehold domains add") to use dns-01, or use http-01`);
    const { dns, zone } = await domains.provider(holder);
    return { dns, zone };
  };
}

/** Waits after failed orders of the engine: 5 min, doubling, at most 6 h */
const RETRY_FIRST_MS = 5 * 60_000;
const RETRY_MAX_MS = 6 * 3600_000;

export class Certificates {
  private readonly locks = new Locks();
  /** Failed orders of the engine's certificates, by id: when to try again (in memory: a restart tries at once) */
  private readonly failures = new Map<string, { at: number; retryAt: number; delayMs: number; error: CertificateError }>();
  /** Issuances under way: their challenge routes are not orphans */
  private issuing = 0;
  private readonly log: (line: string) => void;
  /** One solver of each kind for every issuance: answers of concurrent orders may share a TXT record */
  private readonly solvers: AcmeIssuerOptions['solvers'];

  constructor(
    private readonly db: Store,
    private readonly sealer: Sealer,
    private readonly opts: CertificatesOptions,
  ) {
    this.log = opts.log ?? (() => undefined);
    this.solvers = { 'http-01': new Http01Solver(opts.edge, opts.edgeHttpPort) };
    if (opts.locateDns) this.solvers['dns-01'] = new Dns01Solver({ locate: opts.locateDns, verify: opts.dnsVerify, log: this.log });
  }

  // ---- the ACME account ----

  async configure(input: AcmeAccountInput): Promise<AcmeAccountView> {
    const problems: { path: string; message: string }[] = [];
    const directoryUrl = (DIRECTORIES as Record<string, string>)[input.directoryUrl] ?? input.directoryUrl;
    try {
      if (new URL(directoryUrl).protocol !== 'https:') problems.push({ path: 'directoryUrl', message: 'must be an https:// URL (ACME directories are served over HTTPS)' });
    } catch {
      problems.push({ path: 'directoryUrl', message: `must be an ACME directory URL, 'letsencrypt' or 'letsencrypt-staging'` });
    }
    const email = input.email?.trim() || null;
    if (email && !/^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/.test(email)) problems.push({ path: 'email', message: 'must be an email address' });
    const caBundle = input.caBundle?.trim() || null;
    if (caBundle) {
      try {
        new X509Certificate(caBundle);
      } catch {
        problems.push({ path: 'caBundle', message: 'must be PEM certificates' });
      }
    }
    if (problems.length) throw new UserError(`invalid ACME account: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);

    const existing = await this.db.selectFrom('acme_accounts').selectAll().where('directory_url', '=', directoryUrl).executeTakeFirst();
    const key = existing ? this.sealer.open(existing.key) : await (await acmeIssuer()).createAccountKey();
    const sameContact = existing && existing.email === email;
    let url = sameContact ? existing.url : null;
    if (input.verify !== false) {
      // Registering with the same key finds the account again; a new contact is sent with it.
      const issuer = new (await acmeIssuer())({ directoryUrl, caBundle: caBundle ?? undefined, accountKey: key, ...(url && { accountUrl: url }), email: email ?? undefined, solvers: {} });
      url = await issuer.account().catch((e) => {
        throw wrap(e);
      });
    }
    const t = now();
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('acme_accounts').set({ is_current: 0 }).execute();
      await tx
        .insertInto('acme_accounts')
        .values({ directory_url: directoryUrl, email, ca_bundle: caBundle, key: this.sealer.seal(key), url, is_current: 1, created_at: t, updated_at: t })
        .onConflict((oc) => oc.column('directory_url').doUpdateSet({ email, ca_bundle: caBundle, url, is_current: 1, updated_at: t }))
        .execute();
    });
    return (await this.account())!;
  }

  /** The current ACME account, or null when none is configured */
  async account(): Promise<AcmeAccountView | null> {
    const r = await this.db.selectFrom('acme_accounts').selectAll().where('is_current', '=', 1).executeTakeFirst();
    return r ? { directoryUrl: r.directory_url, email: r.email, url: r.url, caBundle: !!r.ca_bundle, current: true, createdAt: r.created_at } : null;
  }

  /** An issuer for an account (the current one by default), its URL saved once registered */
  private async issuer(directoryUrl?: string): Promise<AcmeIssuer & { save(): Promise<void> }> {
    const q = this.db.selectFrom('acme_accounts').selectAll();
    const r = await (directoryUrl ? q.where('directory_url', '=', directoryUrl) : q.where('is_current', '=', 1)).executeTakeFirst();
    if (!r) {
      throw new CertificateError(
        directoryUrl ? `no ACME account for ${directoryUrl} is kept any more` : 'no ACME CA is configured: set the CA directory (e.g. letsencrypt) and a contact email first',
        'invalid',
      );
    }
    const issuer = new (await acmeIssuer())({
      directoryUrl: r.directory_url,
      caBundle: r.ca_bundle ?? undefined,
      accountKey: this.sealer.open(r.key),
      ...(r.url && { accountUrl: r.url }),
      email: r.email ?? undefined,
      solvers: this.solvers,
      poll: this.opts.poll,
      log: this.log,
    });
    const save = async () => {
      const url = issuer.knownAccountUrl;
      if (url && url !== r.url) await this.db.updateTable('acme_accounts').set({ url, updated_at: now() }).where('directory_url', '=', r.directory_url).execute();
    };
    return Object.assign(issuer, { save });
  }

  // ---- certificates ----

  /**
   * Issues a certificate for `domains` (the first names it; a wildcard needs dns-01), keeps it and
   * has the edge serve it. A certificate with the same id (by default made from the first name)
   * is replaced.
   */
  async issue(domainsIn: string[], opts: { challenge?: ChallengeType; owner?: string; id?: string } = {}): Promise<CertificateView> {
    const challenge = opts.challenge ?? 'http-01';
    if (!(CHALLENGE_TYPES as readonly string[]).includes(challenge)) throw new UserError(`challenge must be one of ${CHALLENGE_TYPES.join(', ')}`, [{ path: 'challenge', message: `must be one of ${CHALLENGE_TYPES.join(', ')}` }]);
    const domains = [...new Set((domainsIn ?? []).map((d) => normalizeDomain(String(d))))];
    if (!domains.length) throw new UserError('a certificate needs at least one domain', [{ path: 'domains', message: 'is empty' }]);
    if (domains.length > 100) throw new UserError('a certificate covers at most 100 names', [{ path: 'domains', message: 'has more than 100 names' }]);
    const problems = domains.map((d) => domainProblem(d)).filter((p): p is string => !!p);
    if (problems.length) throw new UserError(`cannot issue a certificate: ${problems.join('; ')}`, problems.map((message) => ({ path: 'domains', message })));
    if (challenge === 'dns-01' && !this.opts.locateDns) throw new CertificateError('dns-01 needs a DNS provider: configure the domain with one first', 'invalid', domains[0], challenge);
    const id = opts.id ?? certificateId(domains[0]);
    if (!ID.test(id)) throw new UserError(`certificate id '${id}' must be lower-case letters, digits, '.', '_' or '-'`, [{ path: 'id', message: 'is not a valid id' }]);
    return this.locks.with(id, () => this.obtain(id, domains, challenge, opts.owner ?? null));
  }

  private async obtain(id: string, domains: string[], challenge: ChallengeType, owner: string | null): Promise<CertificateView> {
    let issuer: Awaited<ReturnType<Certificates['issuer']>> | undefined;
    let issued: IssuedCertificate;
    this.issuing++;
    try {
      issuer = await this.issuer();
      try {
        issued = await issuer.issue(domains, challenge);
      } catch (e) {
        // The CA no longer knows the account (a test CA restarted, an account deactivated by
        // hand): the same key is registered again, once.
        if (!(e instanceof AcmeError && e.code === 'order' && ACCOUNT_GONE.test(e.message))) throw e;
        this.log(`the CA at ${issuer.directoryUrl} does not know the account any more: registering it again`);
        await this.db.updateTable('acme_accounts').set({ url: null, updated_at: now() }).where('directory_url', '=', issuer.directoryUrl).execute();
        issuer = await this.issuer();
        issued = await issuer.issue(domains, challenge);
      }
    } catch (e) {
      throw wrap(e);
    } finally {
      this.issuing--;
      await issuer?.save().catch(() => undefined);
    }
    const t = now();
    const row = {
      id,
      domains: JSON.stringify(issued.domains),
      challenge,
      owner,
      directory_url: issuer.directoryUrl,
      certificate: issued.certificate,
      key: this.sealer.seal(issued.key),
      serial: issued.serial,
      issuer: issued.issuer,
      not_before: issued.notBefore.toISOString(),
      not_after: issued.notAfter.toISOString(),
      status: 'valid',
      last_error: null,
      updated_at: t,
    };
    await this.db
      .insertInto('certificates')
      .values({ ...row, created_at: t })
      .onConflict((oc) => oc.column('id').doUpdateSet(row))
      .execute();
    // Kept first: a certificate that the edge failed to take is loaded again by sync(), not lost.
    await this.opts.edge.loadCertificate({ id, hosts: issued.domains, certificate: issued.certificate, key: issued.key });
    this.log(`certificate ${id} (${issued.domains.join(', ')}) issued by ${issuer.directoryUrl}, valid until ${row.not_after}`);
    return this.get(id);
  }

  /**
   * For the engine (an installation's certificate): issues one for `domains` unless a valid one
   * for the same names is kept, and makes sure the edge serves it. Renewal is `renewDue`'s job.
   */
  async ensure(domainsIn: string[], opts: { id: string; owner: string; challenge?: ChallengeType }): Promise<CertificateView> {
    const domains = [...new Set(domainsIn.map((d) => normalizeDomain(String(d))))];
    const r = await this.db.selectFrom('certificates').selectAll().where('id', '=', opts.id).executeTakeFirst();
    if (!r || !this.holds(r, domains)) {
      // The reconcile loop repairs every pass: after a failed order it waits, longer each time,
      // since CAs limit failed validations (Let's Encrypt: 5 an hour per account and name).
      const failed = this.failures.get(opts.id);
      if (failed && Date.now() < failed.retryAt) {
        throw new CertificateError(`${failed.error.message} (the last order failed ${new Date(failed.at).toISOString()}; the next is tried after ${new Date(failed.retryAt).toISOString()}, or at once with "freehold certificates retry ${opts.id}")`, failed.error.code, failed.error.domain, failed.error.challenge);
      }
      try {
        const issued = await this.issue(domains, opts);
        this.failures.delete(opts.id);
        return issued;
      } catch (err) {
        if (err instanceof CertificateError && err.code !== 'invalid') {
          const delayMs = Math.min((failed?.delayMs ?? RETRY_FIRST_MS / 2) * 2, RETRY_MAX_MS);
          this.failures.set(opts.id, { at: Date.now(), retryAt: Date.now() + delayMs, delayMs, error: err });
        }
        throw err;
      }
    }
    return this.locks.with(opts.id, async () => {
      // The domain's challenge changed: the next renewal uses the new one
      if (opts.challenge && opts.challenge !== r.challenge) {
        await this.db.updateTable('certificates').set({ challenge: opts.challenge, updated_at: now() }).where('id', '=', r.id).execute();
        r.challenge = opts.challenge;
      }
      if (!(await this.opts.edge.listCertificates()).some((c) => c.id === r.id && c.certificate === r.certificate)) {
        await this.opts.edge.loadCertificate({ id: r.id, hosts: JSON.parse(r.domains), certificate: r.certificate, key: this.sealer.open(r.key) });
      }
      return this.view(r);
    });
  }

  /** Lets the next `ensure` of a certificate order at once (an install started by hand, `certificates retry`) */
  retryNow(id: string): boolean {
    return this.failures.delete(id);
  }

  /** For the engine: per id, whether a valid certificate for those names is kept and served */
  async observe(items: { id: string; domains: string[] }[]): Promise<('served' | 'unserved' | 'absent')[]> {
    const rows = new Map((await this.db.selectFrom('certificates').selectAll().execute()).map((r) => [r.id, r]));
    const loaded = new Map((await this.opts.edge.listCertificates()).map((c) => [c.id, c.certificate]));
    return items.map((i) => {
      const r = rows.get(i.id);
      if (!r || !this.holds(r, i.domains.map(normalizeDomain))) return 'absent';
      return loaded.get(i.id) === r.certificate ? 'served' : 'unserved';
    });
  }

  private holds(r: { status: string; domains: string; not_after: string }, domains: string[]) {
    const kept: string[] = JSON.parse(r.domains);
    return r.status === 'valid' && new Date(r.not_after) > new Date() && kept.length === domains.length && domains.every((d) => kept.includes(d));
  }

  async list(): Promise<CertificateView[]> {
    const rows = await this.db.selectFrom('certificates').selectAll().orderBy('id').execute();
    return rows.map((r) => this.view(r));
  }

  async get(id: string): Promise<CertificateView> {
    const r = await this.db.selectFrom('certificates').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new NotFoundError(`no certificate ${id}`);
    return this.view(r);
  }

  /** The certificate and its chain (PEM); never the key */
  async certificatePem(id: string): Promise<string> {
    const r = await this.db.selectFrom('certificates').select('certificate').where('id', '=', id).executeTakeFirst();
    if (!r) throw new NotFoundError(`no certificate ${id}`);
    return r.certificate;
  }

  /** The certificates of an installation */
  async ofOwner(owner: string): Promise<CertificateView[]> {
    return (await this.list()).filter((c) => c.owner === owner);
  }

  private renewAfter(notBefore: Date, notAfter: Date): Date {
    const fraction = this.opts.renewFraction ?? 1 / 3;
    return new Date(notAfter.getTime() - (notAfter.getTime() - notBefore.getTime()) * fraction);
  }

  private view(r: { id: string; domains: string; challenge: string; owner: string | null; status: string; directory_url: string; serial: string; issuer: string; not_before: string; not_after: string; last_error: string | null; created_at: string; updated_at: string }): CertificateView {
    return {
      id: r.id,
      domains: JSON.parse(r.domains),
      challenge: r.challenge as ChallengeType,
      owner: r.owner,
      status: r.status as CertificateView['status'],
      directoryUrl: r.directory_url,
      serial: r.serial,
      issuer: r.issuer,
      notBefore: r.not_before,
      notAfter: r.not_after,
      renewAfter: this.renewAfter(new Date(r.not_before), new Date(r.not_after)).toISOString(),
      lastError: r.last_error,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  /** Issues a certificate again now, with the same names and challenge (from the current CA) */
  async renew(id: string): Promise<CertificateView> {
    const c = await this.get(id);
    return this.locks.with(id, () => this.obtain(id, c.domains, c.challenge, c.owner));
  }

  /**
   * Renews every valid certificate past its renewal time (less than `renewFraction` of its
   * lifetime left at `at`). One failing does not stop the others: its error is kept on it.
   */
  async renewDue(at: Date = new Date()): Promise<{ renewed: CertificateView[]; failed: { id: string; error: string }[] }> {
    const due = (await this.list()).filter((c) => c.status === 'valid' && new Date(c.renewAfter) <= at);
    const renewed: CertificateView[] = [];
    const failed: { id: string; error: string }[] = [];
    for (const c of due) {
      try {
        renewed.push(await this.renew(c.id));
      } catch (e) {
        const error = (e as Error).message;
        failed.push({ id: c.id, error });
        this.log(`renewing certificate ${c.id} failed: ${error}`);
        await this.db.updateTable('certificates').set({ last_error: error, updated_at: now() }).where('id', '=', c.id).execute();
      }
    }
    return { renewed, failed };
  }

  /** Revokes a certificate at the CA that issued it; the edge stops serving it; it is kept as revoked */
  async revoke(id: string, reason: keyof typeof REVOCATION_REASONS = 'unspecified'): Promise<CertificateView> {
    return this.locks.with(id, async () => {
      const r = await this.db.selectFrom('certificates').selectAll().where('id', '=', id).executeTakeFirst();
      if (!r) throw new NotFoundError(`no certificate ${id}`);
      if (r.status !== 'revoked') {
        const issuer = await this.issuer(r.directory_url);
        await issuer.revoke(r.certificate, REVOCATION_REASONS[reason]).catch((e) => {
          throw wrap(e);
        });
        await this.db.updateTable('certificates').set({ status: 'revoked', updated_at: now() }).where('id', '=', id).execute();
      }
      await this.opts.edge.removeCertificate(id);
      return this.get(id);
    });
  }

  /**
   * Removes a certificate: revoked at the CA (unless `revoke: false`, or it has expired or was
   * revoked), no longer served, forgotten with its key. A CA that cannot be reached does not stop
   * the removal (the key is destroyed either way): its error is returned as a warning.
   */
  async remove(id: string, opts: { revoke?: boolean } = {}): Promise<{ revoked: boolean; warning?: string }> {
    return this.locks.with(id, async () => {
      const r = await this.db.selectFrom('certificates').selectAll().where('id', '=', id).executeTakeFirst();
      if (!r) throw new NotFoundError(`no certificate ${id}`);
      let revoked = false;
      let warning: string | undefined;
      if (opts.revoke !== false && r.status === 'valid' && new Date(r.not_after) > new Date()) {
        try {
          await (await this.issuer(r.directory_url)).revoke(r.certificate, REVOCATION_REASONS.cessationOfOperation);
          revoked = true;
        } catch (e) {
          warning = `certificate ${id} was removed but not revoked: ${(e as Error).message}`;
          this.log(warning);
        }
      }
      await this.opts.edge.removeCertificate(id);
      await this.db.deleteFrom('certificates').where('id', '=', id).execute();
      return { revoked, ...(warning && { warning }) };
    });
  }

  /** Removes (and revokes) every certificate of an installation */
  async removeOwner(owner: string): Promise<{ id: string; revoked: boolean; warning?: string }[]> {
    const out = [];
    for (const c of await this.ofOwner(owner)) out.push({ id: c.id, ...(await this.remove(c.id)) });
    return out;
  }

  /**
   * Makes the edge serve what it should: every valid certificate loaded (again after an edge
   * restart, or the current one after a crash between keeping and loading it), no certificate
   * Freehold does not keep, no challenge route of an issuance no longer under way.
   */
  async sync(): Promise<{ loaded: string[]; removed: string[]; challengesRemoved: number }> {
    const rows = await this.db.selectFrom('certificates').selectAll().execute();
    const want = new Map(rows.filter((r) => r.status === 'valid').map((r) => [r.id, r]));
    const have = new Map((await this.opts.edge.listCertificates()).map((c) => [c.id, c]));
    const loaded: string[] = [];
    const removed: string[] = [];
    for (const [id, r] of want) {
      const h = have.get(id);
      let same = false;
      try {
        same = !!h && parseCertificate(h.certificate).serial === r.serial;
      } catch {
        same = false;
      }
      if (same) continue;
      await this.locks.with(id, () => this.opts.edge.loadCertificate({ id, hosts: JSON.parse(r.domains), certificate: r.certificate, key: this.sealer.open(r.key) }));
      loaded.push(id);
    }
    for (const id of have.keys()) {
      if (want.has(id)) continue;
      await this.opts.edge.removeCertificate(id);
      removed.push(id);
    }
    let challengesRemoved = 0;
    if (this.issuing === 0) {
      for (const c of await this.opts.edge.listChallenges()) {
        await this.opts.edge.removeChallenge(c.host, c.token);
        challengesRemoved++;
      }
    }
    return { loaded, removed, challengesRemoved };
  }
}

/** Whether a PEM private key matches a certificate (used by tests and checks) */
export function keyMatches(certificatePem: string, keyPem: string): boolean {
  const x = new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(certificatePem)![0]);
  return x.checkPrivateKey(createPrivateKey(keyPem));
}
