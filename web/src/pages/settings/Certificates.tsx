/**
 * Certificates (ACME): the account Freehold uses with a CA (Let's Encrypt, its staging, or
 * another ACME directory with an optional CA bundle for its HTTPS) and the certificates it holds:
 * renew, revoke, remove, and issue one by hand (HTTP-01 or DNS-01).
 */
import { useEffect, useState, type FormEvent } from 'react';
import {
  ACME_DIRECTORIES,
  getAcmeAccount,
  issueCertificate,
  listCertificates,
  removeCertificate,
  renewCertificate,
  revokeCertificate,
  setAcmeAccount,
  type AcmeAccountInput,
  type AcmeAccountView,
  type CertificateView,
  type ChallengeType,
} from '../../api';
import { Empty, ErrorBox, Loading, when } from '../../components/ui';
import { BusyButton, Confirm, Field, TextField, splitList, useAction, useLoad, TableHead } from './common';

type DirectoryChoice = keyof typeof ACME_DIRECTORIES | 'custom';

const DIRECTORY_LABEL: Record<DirectoryChoice, string> = {
  letsencrypt: "Let's Encrypt",
  'letsencrypt-staging': "Let's Encrypt staging (test certificates, not trusted by browsers)",
  custom: 'Another ACME directory',
};

const choiceOf = (url: string | undefined): DirectoryChoice => (Object.entries(ACME_DIRECTORIES).find(([, u]) => u === url)?.[0] as DirectoryChoice | undefined) ?? (url ? 'custom' : 'letsencrypt');

export function Certificates() {
  const account = useLoad(() => getAcmeAccount());
  const certs = useLoad(() => listCertificates());
  return (
    <>
      <h2>Certificates</h2>
      <p className="help">Freehold gets certificates from an ACME CA (Let's Encrypt by default) and renews them when a third of their lifetime is left.</p>
      <section className="card" data-testid="acme-account">
        <h3>ACME account</h3>
        {account.error !== null && <ErrorBox error={account.error} retry={account.reload} title="Could not read the ACME account" />}
        {!account.data && account.loading && <Loading what="the ACME account" />}
        {account.data && <AccountForm account={account.data.account} onSaved={account.reload} />}
      </section>
      <section className="card">
        <h3>Issued certificates</h3>
        {certs.error !== null && <ErrorBox error={certs.error} retry={certs.reload} title="Could not list the certificates" />}
        {!certs.data && certs.loading && <Loading what="the certificates" />}
        {certs.data && certs.data.certificates.length === 0 && (
          <Empty title="No certificate yet">
            <p>Installations get theirs when they are installed on a domain; you can also issue one below.</p>
          </Empty>
        )}
        {certs.data && certs.data.certificates.length > 0 && <CertificateTable certificates={certs.data.certificates} onChange={certs.reload} />}
        <IssueForm onIssued={certs.reload} hasAccount={!!account.data?.account} />
      </section>
    </>
  );
}

function AccountForm({ account, onSaved }: { account: AcmeAccountView | null; onSaved(): void }) {
  const [choice, setChoice] = useState<DirectoryChoice>(choiceOf(account?.directoryUrl));
  const [custom, setCustom] = useState(account && choiceOf(account.directoryUrl) === 'custom' ? account.directoryUrl : '');
  const [email, setEmail] = useState(account?.email ?? '');
  const [caBundle, setCaBundle] = useState('');
  const [verify, setVerify] = useState(true);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  useEffect(() => {
    setChoice(choiceOf(account?.directoryUrl));
    setCustom(account && choiceOf(account.directoryUrl) === 'custom' ? account.directoryUrl : '');
    setEmail(account?.email ?? '');
  }, [account]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const input: AcmeAccountInput = { directoryUrl: choice === 'custom' ? custom.trim() : ACME_DIRECTORIES[choice], verify };
    if (email.trim()) input.email = email.trim();
    if (caBundle.trim()) input.caBundle = caBundle.trim();
    if (await action.run('save', () => setAcmeAccount(input))) {
      setCaBundle('');
      setSaved(true);
      onSaved();
    }
  };
  return (
    <>
      {account ? (
        <dl className="facts" data-testid="acme-current">
          <dt>Directory</dt>
          <dd>
            {choiceOf(account.directoryUrl) !== 'custom' && <>{DIRECTORY_LABEL[choiceOf(account.directoryUrl)]} · </>}
            <code>{account.directoryUrl}</code>
          </dd>
          <dt>Contact</dt>
          <dd>{account.email ?? <span className="muted">none</span>}</dd>
          <dt>Registered</dt>
          <dd>{account.url ? <code>{account.url}</code> : <span className="muted">not yet (at the first certificate)</span>}</dd>
          <dt>CA bundle</dt>
          <dd>{account.caBundle ? 'kept (trusted for the directory\'s HTTPS)' : <span className="muted">none: the system's CAs</span>}</dd>
          <dt>Since</dt>
          <dd>{when(account.createdAt)}</dd>
        </dl>
      ) : (
        <p className="notice warn">No ACME account yet: choose a CA below. Without one, Freehold cannot get certificates from a public CA.</p>
      )}
      {saved && (
        <p className="notice ok" role="status">
          ACME account saved.
        </p>
      )}
      <form onSubmit={submit} className="settings-form" data-testid="acme-form" noValidate>
        <fieldset>
          <legend>Certificate authority</legend>
          {(Object.keys(DIRECTORY_LABEL) as DirectoryChoice[]).map((c) => (
            <div className="check" key={c}>
              <input type="radio" id={`acme-dir-${c}`} name="acme-directory" value={c} checked={choice === c} onChange={() => setChoice(c)} />
              <label htmlFor={`acme-dir-${c}`}>{DIRECTORY_LABEL[c]}</label>
            </div>
          ))}
        </fieldset>
        {choice === 'custom' && (
          <TextField id="acme-url" label="Directory URL" path="directoryUrl" error={action.error} value={custom} onChange={setCustom} type="url" placeholder="https://ca.example.org/acme/directory" required />
        )}
        <TextField id="acme-email" label="Contact email" path="email" error={action.error} value={email} onChange={setEmail} type="email" placeholder="admin@example.org" help="The CA writes here about expiring certificates and policy changes." />
        <Field
          id="acme-ca-bundle"
          label="CA bundle (optional)"
          path="caBundle"
          error={action.error}
          help={
            account?.caBundle
              ? 'A bundle is kept for the current directory. Paste it again to keep it: saving without one removes it.'
              : "PEM certificates to trust for the directory's HTTPS, for a private or test CA."
          }
        >
          {(a) => <textarea {...a} rows={4} value={caBundle} spellCheck={false} placeholder="-----BEGIN CERTIFICATE-----" onChange={(e) => setCaBundle(e.target.value)} />}
        </Field>
        <div className="check">
          <input id="acme-verify" type="checkbox" checked={verify} onChange={(e) => setVerify(e.target.checked)} />
          <label htmlFor="acme-verify">Register with the CA now (a wrong URL is reported at once)</label>
        </div>
        {action.error !== null && <ErrorBox error={action.error} title="The account was not saved" />}
        <div className="actions">
          <BusyButton type="submit" className="primary" busy={action.busy !== null} busyLabel={verify ? 'Registering with the CA…' : 'Saving…'}>
            Save account
          </BusyButton>
        </div>
      </form>
    </>
  );
}

function CertificateTable({ certificates, onChange }: { certificates: CertificateView[]; onChange(): void }) {
  const [confirm, setConfirm] = useState<{ id: string; what: 'revoke' | 'remove' } | null>(null);
  const [warning, setWarning] = useState<string | null>(null);
  const action = useAction();
  const act = async (label: string, fn: () => Promise<unknown>) => {
    setWarning(null);
    if (await action.run(label, fn)) {
      setConfirm(null);
      onChange();
    }
  };
  const soon = (iso: string) => new Date(iso).getTime() < Date.now();
  return (
    <>
      {action.error !== null && <ErrorBox error={action.error} title="Not done" />}
      {warning && <p className="notice warn">{warning}</p>}
      <table className="settings-table" data-testid="certificates">
        <TableHead columns={['Domains', 'Owner', 'Issuer', 'Valid until', 'Renew after', 'Status']} />
        <tbody>
          {certificates.map((c) => (
            <tr key={c.id} data-certificate={c.id}>
              <td data-label="Domains">
                {c.domains.map((d) => (
                  <div key={d}>{d}</div>
                ))}
                <span className="muted">{c.challenge}</span>
              </td>
              <td data-label="Owner">{c.owner ?? <span className="muted">none</span>}</td>
              <td data-label="Issuer">{c.issuer}</td>
              <td data-label="Valid until">{when(c.notAfter)}</td>
              <td data-label="Renew after">
                {when(c.renewAfter)}
                {c.status === 'valid' && soon(c.renewAfter) && <span className="badge busy">due</span>}
              </td>
              <td data-label="Status">
                <span className={`badge ${c.status === 'valid' ? 'ok' : 'bad'}`}>{c.status}</span>
                {c.lastError && (
                  <p className="field-error" data-testid="certificate-error">
                    Last renewal failed: {c.lastError}
                  </p>
                )}
              </td>
              <td className="row-actions">
                <BusyButton type="button" busy={action.busy === `renew ${c.id}`} busyLabel="Renewing…" disabled={action.busy !== null} onClick={() => act(`renew ${c.id}`, () => renewCertificate(c.id))}>
                  Renew
                </BusyButton>
                <button type="button" disabled={c.status === 'revoked' || action.busy !== null} onClick={() => setConfirm({ id: c.id, what: 'revoke' })}>
                  Revoke…
                </button>
                <button type="button" disabled={action.busy !== null} onClick={() => setConfirm({ id: c.id, what: 'remove' })}>
                  Remove…
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {confirm && (
        <Confirm
          action={confirm.what === 'revoke' ? 'Revoke' : 'Remove'}
          busy={action.busy !== null}
          busyLabel={confirm.what === 'revoke' ? 'Revoking…' : 'Removing…'}
          onCancel={() => setConfirm(null)}
          onConfirm={() =>
            void act(`${confirm.what} ${confirm.id}`, async () => {
              if (confirm.what === 'revoke') await revokeCertificate(confirm.id);
              else {
                const r = await removeCertificate(confirm.id);
                if (r.warning) setWarning(r.warning);
              }
            })
          }
        >
          <p>
            {confirm.what === 'revoke'
              ? `Revoke the certificate of ${certificates.find((c) => c.id === confirm.id)?.domains.join(', ')}? The CA marks it revoked; browsers may then refuse it.`
              : `Remove the certificate of ${certificates.find((c) => c.id === confirm.id)?.domains.join(', ')}? It is revoked at the CA (when it still can be) and no longer served.`}
          </p>
        </Confirm>
      )}
    </>
  );
}

function IssueForm({ onIssued, hasAccount }: { onIssued(): void; hasAccount: boolean }) {
  const [domains, setDomains] = useState('');
  const [challenge, setChallenge] = useState<ChallengeType>('http-01');
  const [issued, setIssued] = useState<CertificateView | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setIssued(null);
    let cert: CertificateView | undefined;
    if (
      await action.run('issue', async () => {
        cert = (await issueCertificate(splitList(domains), challenge)).certificate;
      })
    ) {
      setIssued(cert!);
      setDomains('');
      onIssued();
    }
  };
  return (
    <form className="settings-form issue" onSubmit={submit} data-testid="issue-form" noValidate>
      <h4>Issue a certificate</h4>
      {!hasAccount && <p className="help">Set the ACME account above first.</p>}
      <TextField id="cert-domains" label="Domains" path="domains" error={action.error} value={domains} onChange={setDomains} placeholder="cal.example.org, *.example.org" required help="Separated by commas or spaces; a wildcard needs DNS-01" />
      <Field id="cert-challenge" label="Challenge" path="challenge" error={action.error} help="HTTP-01: the CA fetches a file through Freehold's edge (port 80). DNS-01: a TXT record through the domain's DNS provider (wildcards).">
        {(a) => (
          <select {...a} value={challenge} onChange={(e) => setChallenge(e.target.value as ChallengeType)}>
            <option value="http-01">HTTP-01</option>
            <option value="dns-01">DNS-01</option>
          </select>
        )}
      </Field>
      {action.error !== null && <ErrorBox error={action.error} title="No certificate was issued" />}
      {issued && (
        <p className="notice ok" role="status">
          Certificate for {issued.domains.join(', ')} issued, valid until {when(issued.notAfter)}.
        </p>
      )}
      <div className="actions">
        <BusyButton type="submit" className="primary" busy={action.busy !== null} busyLabel="Issuing… (the CA checks the names; this can take a minute)">
          Issue
        </BusyButton>
      </div>
    </form>
  );
}
