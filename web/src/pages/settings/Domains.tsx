/**
 * Domains: the domains installations get their names on, each with its DNS provider. The list, an
 * add form whose fields follow the provider (secrets typed in password fields, never shown back:
 * the API never returns them), removal (forced when installations still have records there);
 * per domain: its records, the drift check with repair, octoDNS export and import.
 */
import { Fragment, useEffect, useMemo, useState, type FormEvent } from 'react';
import {
  addDomain,
  changeDomain,
  checkDomain,
  domainRecords,
  exportDomain,
  importDomain,
  listDomains,
  removeDomain,
  type DnsCheck,
  type DnsProviderKind,
  type DnsRecordSet,
  type DomainInput,
  type DomainView,
} from '../../api';
import { Link, navigate } from '../../router';
import { Empty, ErrorBox, Loading, when } from '../../components/ui';
import { BusyButton, Confirm, Field, SettingsList, TextField, useAction, useLoad, TableHead } from './common';

interface ProviderField {
  key: keyof DomainInput & string;
  label: string;
  secret?: boolean;
  required?: boolean;
  placeholder?: string;
  help?: string;
  options?: string[];
}

const TSIG_ALGORITHMS = ['hmac-sha256', 'hmac-sha384', 'hmac-sha512', 'hmac-sha224', 'hmac-sha1', 'hmac-md5'];

export const DNS_PROVIDERS: { id: DnsProviderKind; label: string; fields: ProviderField[] }[] = [
  {
    id: 'rfc2136',
    label: 'RFC 2136 dynamic updates (BIND, Knot, PowerDNS…)',
    fields: [
      { key: 'server', label: 'Primary server', required: true, placeholder: 'ns1.example.org or 192.0.2.53:53', help: 'host or host:port of the primary name server (updates and zone transfers go there)' },
      { key: 'tsigName', label: 'TSIG key name', required: true, placeholder: 'freehold' },
      { key: 'tsigAlgorithm', label: 'TSIG algorithm', options: TSIG_ALGORITHMS },
      { key: 'tsigSecret', label: 'TSIG secret', secret: true, required: true, help: 'base64, as in the server\'s key file. Kept sealed; never shown again.' },
    ],
  },
  {
    id: 'powerdns',
    label: 'PowerDNS (HTTP API)',
    fields: [
      { key: 'url', label: 'API URL', required: true, placeholder: 'http://127.0.0.1:8081' },
      { key: 'apiKey', label: 'API key', secret: true, required: true, help: 'api-key in pdns.conf. Kept sealed; never shown again.' },
      { key: 'serverId', label: 'Server id', placeholder: 'localhost', help: 'Default: localhost' },
    ],
  },
  {
    id: 'desec',
    label: 'deSEC (desec.io)',
    fields: [
      { key: 'token', label: 'API token', secret: true, required: true, help: 'A token from desec.io. Kept sealed; never shown again.' },
      { key: 'url', label: 'API URL (optional)', placeholder: 'https://desec.io/api/v1', help: 'Only to use another deSEC-compatible API.' },
    ],
  },
  {
    id: 'cloudflare',
    label: 'Cloudflare',
    fields: [
      { key: 'token', label: 'API token', secret: true, required: true, help: 'An API token with Zone:Read and DNS:Edit on the zone. Kept sealed; never shown again.' },
      { key: 'url', label: 'API URL (optional)', placeholder: 'https://api.cloudflare.com/client/v4', help: 'Only to use another Cloudflare-compatible API.' },
    ],
  },
];

/** What the codes of a provider's failure (the API's detail at path "provider") mean */
const DNS_CODES: Record<string, string> = {
  auth: 'refused the credentials: check the key, token or secret',
  zone: 'does not serve this zone: check the domain and zone',
  unreachable: 'cannot be reached: check the address and that it runs',
  'rate-limited': 'is limiting requests: try again in a moment',
  server: 'failed: see the message below',
  invalid: 'refused the request: see the message below',
  'missing-tool': 'needs a tool that is not installed (knsupdate, kdig: apt-get install knot-dnsutils)',
};

const providerLabel = (id: string) => DNS_PROVIDERS.find((p) => p.id === id)?.label ?? id;

export function Domains() {
  const { data, error, loading, reload } = useLoad(() => listDomains());
  const [added, setAdded] = useState<string | null>(null);
  const domains = data?.domains;
  return (
    <>
      <div className="page-head">
        <h2>Domains</h2>
      </div>
      <p className="help">
        Installations on a domain configured here get their DNS records made by Freehold: <code>name.example.org</code> points at the host's public addresses (see
        Hosts). Freehold only touches the records of its installations.
      </p>
      {error !== null && <ErrorBox error={error} retry={reload} />}
      {!domains && loading && <Loading what="the domains" />}
      {domains && domains.length === 0 && (
        <Empty title="No domain yet">
          <p>Add one below with its DNS provider, so that installations on it get their records.</p>
        </Empty>
      )}
      {domains && domains.length > 0 && <DomainTable domains={domains} onChange={reload} />}
      {added && (
        <p className="notice ok" role="status">
          Domain <strong>{added}</strong> added. <Link to={`/settings/domains/${encodeURIComponent(added)}`}>See its records</Link>
        </p>
      )}
      <AddDomain
        onAdded={(d) => {
          setAdded(d.name);
          reload();
        }}
      />
    </>
  );
}

function DomainTable({ domains, onChange }: { domains: DomainView[]; onChange(): void }) {
  const [confirm, setConfirm] = useState<string | null>(null);
  const action = useAction();
  const remove = async (d: DomainView) => {
    if (await action.run(`remove ${d.name}`, () => removeDomain(d.name, d.installations.length > 0))) {
      setConfirm(null);
      onChange();
    }
  };
  return (
    <>
      {action.error !== null && <ErrorBox error={action.error} title="Could not remove the domain" />}
      <table className="settings-table" data-testid="domains">
        <TableHead columns={['Domain', 'Zone', 'Provider', 'TTL', 'Installations']} />
        <tbody>
          {domains.map((d) => (
            <tr key={d.name} data-domain={d.name}>
              <td data-label="Domain">
                <Link to={`/settings/domains/${encodeURIComponent(d.name)}`}>{d.name}</Link>
              </td>
              <td data-label="Zone">{d.zone}</td>
              <td data-label="Provider">
                <strong>{d.provider}</strong>
                <SettingsList settings={d.settings} />
              </td>
              <td data-label="TTL">{d.ttl} s</td>
              <td data-label="Installations">{d.installations.length ? d.installations.join(', ') : <span className="muted">none</span>}</td>
              <td>
                <button type="button" onClick={() => (action.clear(), setConfirm(d.name))} aria-label={`Remove ${d.name}…`}>
                  Remove…
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {domains
        .filter((d) => d.name === confirm)
        .map((d) => (
          <Confirm
            key={d.name}
            action={d.installations.length ? `Remove ${d.name} anyway` : `Remove ${d.name}`}
            busy={action.busy !== null}
            busyLabel="Removing…"
            onConfirm={() => void remove(d)}
            onCancel={() => setConfirm(null)}
          >
            {d.installations.length ? (
              <p>
                <strong>{d.installations.join(', ')}</strong> {d.installations.length === 1 ? 'has' : 'have'} records on {d.name}. Removing the domain now leaves those records
                in DNS as they are, no longer managed by Freehold (uninstalling those first removes them). Remove {d.name} anyway?
              </p>
            ) : (
              <p>Forget {d.name}? Its DNS records stay as they are; Freehold stops managing the domain.</p>
            )}
          </Confirm>
        ))}
    </>
  );
}

const EMPTY_FIELDS: Record<string, string> = {};

function AddDomain({ onAdded }: { onAdded(d: DomainView): void }) {
  const [name, setName] = useState('');
  const [zone, setZone] = useState('');
  const [provider, setProvider] = useState<DnsProviderKind>('powerdns');
  const [ttl, setTtl] = useState('300');
  const [verify, setVerify] = useState(true);
  const [challenge, setChallenge] = useState<'http-01' | 'dns-01'>('http-01');
  const [fields, setFields] = useState<Record<string, string>>(EMPTY_FIELDS);
  const action = useAction();
  const kind = DNS_PROVIDERS.find((p) => p.id === provider)!;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const input: DomainInput = { name: name.trim(), provider, verify, challenge };
    if (zone.trim()) input.zone = zone.trim();
    const t = Number(ttl);
    if (ttl.trim()) (input as unknown as Record<string, unknown>).ttl = Number.isInteger(t) ? t : ttl;
    for (const f of kind.fields) {
      const v = f.secret ? fields[f.key] ?? '' : (fields[f.key] ?? '').trim();
      if (v) (input as unknown as Record<string, unknown>)[f.key] = v;
    }
    let made: DomainView | undefined;
    const ok = await action.run('add', async () => {
      made = (await addDomain(input)).domain;
    });
    if (ok && made) {
      // The secrets typed are dropped with the rest of the form
      setName('');
      setZone('');
      setTtl('300');
      setFields(EMPTY_FIELDS);
      onAdded(made);
    }
  };
  return (
    <form className="card settings-form" onSubmit={submit} aria-labelledby="add-domain-title" data-testid="add-domain" noValidate>
      <h3 id="add-domain-title">Add a domain</h3>
      <TextField id="domain-name" label="Domain" path="name" error={action.error} value={name} onChange={(v) => setName(v.toLowerCase())} placeholder="example.org" required help="Installations get name.example.org" />
      <TextField id="domain-zone" label="Zone (optional)" path="zone" error={action.error} value={zone} onChange={(v) => setZone(v.toLowerCase())} placeholder="the domain itself" help="Only when the domain is inside a parent zone, e.g. domain apps.example.org in zone example.org" />
      <Field id="domain-provider" label="DNS provider" path="provider" error={action.error} describe={(m) => (DNS_CODES[m] ? `The provider ${DNS_CODES[m]}` : m)}>
        {(a) => (
          <select
            {...a}
            value={provider}
            onChange={(e) => {
              setProvider(e.target.value as DnsProviderKind);
              setFields(EMPTY_FIELDS);
              action.clear();
            }}
          >
            {DNS_PROVIDERS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <fieldset className="provider-fields" data-provider={provider}>
        <legend>{providerLabel(provider)}</legend>
        {kind.fields.map((f) =>
          f.options ? (
            <Field key={`${provider}-${f.key}`} id={`domain-${f.key}`} label={f.label} path={f.key} error={action.error} help={f.help}>
              {(a) => (
                <select {...a} value={fields[f.key] ?? f.options![0]} onChange={(e) => setFields({ ...fields, [f.key]: e.target.value })}>
                  {f.options!.map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
              )}
            </Field>
          ) : (
            <TextField
              key={`${provider}-${f.key}`}
              id={`domain-${f.key}`}
              label={f.label}
              path={f.key}
              error={action.error}
              type={f.secret ? 'password' : 'text'}
              value={fields[f.key] ?? ''}
              onChange={(v) => setFields({ ...fields, [f.key]: v })}
              placeholder={f.placeholder}
              required={f.required}
              help={f.help}
            />
          ),
        )}
      </fieldset>
      <TextField id="domain-ttl" label="TTL of the records (seconds)" path="ttl" error={action.error} value={ttl} onChange={setTtl} type="number" />
      <Field id="domain-challenge" label="Certificates are validated by" path="challenge" error={action.error} help="http-01 needs port 80 of the host's public address to reach Freehold; dns-01 writes a TXT record through this provider (hosts behind a NAT)">
        {(a) => (
          <select {...a} value={challenge} onChange={(e) => setChallenge(e.target.value as 'http-01' | 'dns-01')}>
            <option value="http-01">http-01 (port 80)</option>
            <option value="dns-01">dns-01 (a DNS record)</option>
          </select>
        )}
      </Field>
      <div className="check">
        <input id="domain-verify" type="checkbox" checked={verify} onChange={(e) => setVerify(e.target.checked)} />
        <label htmlFor="domain-verify">Check the provider now (credentials and zone) before saving</label>
      </div>
      {action.error !== null && <ErrorBox error={action.error} title="The domain was not added" />}
      <div className="actions">
        <BusyButton type="submit" className="primary" busy={action.busy === 'add'} busyLabel={verify ? 'Checking the provider…' : 'Adding…'}>
          Add domain
        </BusyButton>
      </div>
    </form>
  );
}

// ---- one domain ----

export function DomainDetail({ name }: { name: string }) {
  const list = useLoad(() => listDomains(), [name]);
  const domain = list.data?.domains.find((d) => d.name === name);
  const records = useLoad(() => domainRecords(name), [name]);
  const [confirm, setConfirm] = useState(false);
  const remove = useAction();
  if (list.error !== null && !list.data)
    return (
      <ErrorBox error={list.error} retry={list.reload}>
        <Link to="/settings/domains">Back to the domains</Link>
      </ErrorBox>
    );
  if (!list.data) return <Loading what={name} />;
  if (!domain)
    return (
      <Empty title={`No domain ${name}`}>
        <Link to="/settings/domains">Back to the domains</Link>
      </Empty>
    );
  return (
    <div className="domain" data-testid="domain-detail">
      <p className="crumbs">
        <Link to="/settings/domains">Domains</Link> /
      </p>
      <div className="page-head">
        <h2>{domain.name}</h2>
        <button type="button" onClick={() => setConfirm(true)}>
          Remove…
        </button>
      </div>
      {confirm && (
        <Confirm
          action={domain.installations.length ? `Remove ${domain.name} anyway` : `Remove ${domain.name}`}
          busy={remove.busy !== null}
          busyLabel="Removing…"
          onCancel={() => setConfirm(false)}
          onConfirm={async () => {
            if (await remove.run('remove', () => removeDomain(domain.name, domain.installations.length > 0))) navigate('/settings/domains');
          }}
        >
          <p>
            {domain.installations.length
              ? `${domain.installations.join(', ')} still ${domain.installations.length === 1 ? 'has' : 'have'} records here: they stay in DNS, no longer managed by Freehold.`
              : 'Its DNS records stay as they are; Freehold stops managing the domain.'}
          </p>
        </Confirm>
      )}
      {remove.error !== null && <ErrorBox error={remove.error} title="Could not remove the domain" />}
      <dl className="facts">
        <dt>Zone</dt>
        <dd>{domain.zone}</dd>
        <dt>Provider</dt>
        <dd>
          {providerLabel(domain.provider)} <SettingsList settings={domain.settings} />
        </dd>
        <dt>TTL</dt>
        <dd>{domain.ttl} s</dd>
        <dt>Certificates</dt>
        <dd>{domain.challenge ?? 'http-01'}</dd>
        <dt>Installations</dt>
        <dd>{domain.installations.length ? domain.installations.join(', ') : 'none yet'}</dd>
        <dt>Added</dt>
        <dd>{when(domain.createdAt)}</dd>
      </dl>
      <ChangeDomain key={`${domain.ttl}-${domain.challenge}`} domain={domain} onChanged={list.reload} />
      <DriftCheck
        name={domain.name}
        onChecked={list.reload}
        onRepaired={() => {
          records.reload();
          list.reload();
        }}
      />
      <section className="card">
        <div className="page-head">
          <h3>Records</h3>
          <BusyButton type="button" busy={records.loading && !!records.data} busyLabel="Refreshing…" onClick={records.reload}>
            Refresh
          </BusyButton>
        </div>
        <p className="help">Every record set of zone {domain.zone} that Freehold can read (A, AAAA, CNAME, TXT, MX, SRV, CAA).</p>
        {records.error !== null && <ErrorBox error={records.error} retry={records.reload} title="Could not list the records" />}
        {!records.data && records.loading && <Loading what="the records" />}
        {records.data && <RecordTable records={records.data.records} zone={domain.zone} />}
      </section>
      <Export name={domain.name} />
      <Import name={domain.name} onApplied={records.reload} />
    </div>
  );
}

/** TTL and challenge, changed in place (the records already made get the new TTL) */
function ChangeDomain({ domain, onChanged }: { domain: DomainView; onChanged(): void }) {
  const [ttl, setTtl] = useState(String(domain.ttl));
  const [challenge, setChallenge] = useState<'http-01' | 'dns-01'>(domain.challenge ?? 'http-01');
  const action = useAction();
  const changed = Number(ttl) !== domain.ttl || challenge !== (domain.challenge ?? 'http-01');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await action.run('save', () => changeDomain(domain.name, { ttl: Number(ttl), challenge }))) onChanged();
  };
  return (
    <section className="card">
      <h3>Change</h3>
      <form onSubmit={(e) => void submit(e)} data-testid="change-domain">
        <TextField id="change-ttl" label="TTL of the records (seconds)" path="ttl" error={action.error} type="number" value={ttl} onChange={setTtl} help="The records already made get it too." required />
        <Field id="change-challenge" label="Certificates are validated by" path="challenge" error={action.error}>
          {(a) => (
            <select {...a} value={challenge} onChange={(e) => setChallenge(e.target.value as 'http-01' | 'dns-01')}>
              <option value="http-01">http-01 (port 80 reaches Freehold)</option>
              <option value="dns-01">dns-01 (a TXT record through this provider)</option>
            </select>
          )}
        </Field>
        <BusyButton type="submit" busy={action.busy !== null} busyLabel="Saving…" disabled={!changed}>
          Save changes
        </BusyButton>
      </form>
      {action.error !== null && <ErrorBox error={action.error} title="Not changed" />}
    </section>
  );
}

function RecordTable({ records, zone, testId = 'records' }: { records: DnsRecordSet[]; zone: string; testId?: string }) {
  if (!records.length) return <p className="muted">No records.</p>;
  return (
    <table className="settings-table records" data-testid={testId}>
      <TableHead columns={['Name', 'Type', 'TTL', 'Values']} actions={false} />
      <tbody>
        {records.map((r) => (
          <tr key={`${r.name} ${r.type}`} data-record={`${r.name || '@'} ${r.type}`}>
            <td data-label="Name" title={r.name ? `${r.name}.${zone}` : zone}>
              {r.name || '@'}
            </td>
            <td data-label="Type">{r.type}</td>
            <td data-label="TTL">{r.ttl}</td>
            <td data-label="Values">
              {r.values.map((v, i) => (
                <Fragment key={i}>
                  {i > 0 && ' '}
                  <code className="value">{v}</code>
                </Fragment>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const PROBLEM: Record<string, string> = { missing: 'missing', changed: 'changed by hand', unexpected: 'should not be there' };

function DriftCheck({ name, onChecked, onRepaired }: { name: string; onChecked(): void; onRepaired(): void }) {
  const [result, setResult] = useState<DnsCheck | null>(null);
  const [repaired, setRepaired] = useState<number | null>(null);
  const action = useAction();
  const check = async () => {
    setRepaired(null);
    await action.run('check', async () => setResult(await checkDomain(name)));
    // The installations on the domain may have changed since the page opened
    onChecked();
  };
  const repair = async () => {
    await action.run('repair', async () => {
      const r = await checkDomain(name, true);
      setRepaired(r.repaired);
      setResult(await checkDomain(name));
      onRepaired();
    });
  };
  return (
    <section className="card" data-testid="drift">
      <div className="page-head">
        <h3>Check</h3>
        <BusyButton type="button" busy={action.busy === 'check'} busyLabel="Checking…" onClick={check} disabled={action.busy !== null}>
          Check
        </BusyButton>
      </div>
      <p className="help">Compares the records of the installations on this domain with what is in DNS (a record changed or deleted by hand).</p>
      {action.error !== null && <ErrorBox error={action.error} title={action.busy === 'repair' ? 'Could not repair' : 'Could not check'} />}
      {repaired !== null && (
        <p className="notice ok" role="status">
          {repaired} record set{repaired === 1 ? '' : 's'} repaired.
        </p>
      )}
      {result && result.drift.length === 0 && (
        <p className="notice ok" role="status" data-testid="drift-none">
          Every installation's records are as they should be.
        </p>
      )}
      {result && result.drift.length > 0 && (
        <>
          <table className="settings-table" data-testid="drift-list">
            <TableHead columns={['Installation', 'Name', 'Type', 'Problem', 'Should be', 'Is']} actions={false} />
            <tbody>
              {result.drift.map((d) => (
                <tr key={`${d.installation} ${d.type}`}>
                  <td data-label="Installation">{d.installation}</td>
                  <td data-label="Name">{d.fqdn}</td>
                  <td data-label="Type">{d.type}</td>
                  <td data-label="Problem">
                    <span className="badge bad">{PROBLEM[d.problem] ?? d.problem}</span>
                  </td>
                  <td data-label="Should be">{d.want ? <code>{d.want.values.join(' ')}</code> : <span className="muted">nothing</span>}</td>
                  <td data-label="Is">{d.have ? <code>{d.have.values.join(' ')}</code> : <span className="muted">nothing</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="actions">
            <BusyButton type="button" className="primary" busy={action.busy === 'repair'} busyLabel="Repairing…" onClick={repair} disabled={action.busy !== null}>
              Repair
            </BusyButton>
          </div>
        </>
      )}
    </section>
  );
}

function Export({ name }: { name: string }) {
  const [yaml, setYaml] = useState<string | null>(null);
  const action = useAction();
  const href = useMemo(() => (yaml === null ? null : URL.createObjectURL(new Blob([yaml], { type: 'application/yaml' }))), [yaml]);
  useEffect(() => () => void (href && URL.revokeObjectURL(href)), [href]);
  return (
    <section className="card">
      <div className="page-head">
        <h3>Export</h3>
        <BusyButton type="button" busy={action.busy !== null} busyLabel="Exporting…" onClick={() => action.run('export', async () => setYaml(String(await exportDomain(name))))}>
          Export (octoDNS)
        </BusyButton>
      </div>
      <p className="help">The zone's records as an octoDNS YamlProvider zone file, to keep or to load into another provider.</p>
      {action.error !== null && <ErrorBox error={action.error} title="Could not export" />}
      {yaml !== null && (
        <>
          <pre className="code" data-testid="domain-export">
            {yaml}
          </pre>
          {href && (
            <a className="button" href={href} download={`${name}.yaml`}>
              Download {name}.yaml
            </a>
          )}
        </>
      )}
    </section>
  );
}

function Import({ name, onApplied }: { name: string; onApplied(): void }) {
  const [yaml, setYaml] = useState('');
  const [prune, setPrune] = useState(false);
  const [result, setResult] = useState<Awaited<ReturnType<typeof importDomain>> | null>(null);
  const action = useAction();
  const go = (dryRun: boolean) =>
    action.run(dryRun ? 'preview' : 'apply', async () => {
      const r = await importDomain(name, yaml, { dryRun, prune });
      setResult(r);
      if (!dryRun) onApplied();
    });
  return (
    <details className="card">
      <summary>
        <h3>Import (octoDNS)</h3>
      </summary>
      <p className="help">Applies an octoDNS zone file's records as one batch. Preview the changes first.</p>
      <Field id="import-yaml" label="Zone file (YAML)" path="yaml" error={action.error}>
        {(a) => <textarea {...a} rows={8} value={yaml} spellCheck={false} onChange={(e) => (setYaml(e.target.value), setResult(null))} />}
      </Field>
      <div className="check">
        <input id="import-prune" type="checkbox" checked={prune} onChange={(e) => (setPrune(e.target.checked), setResult(null))} />
        <label htmlFor="import-prune">Also delete the zone's records the file does not have</label>
      </div>
      {action.error !== null && <ErrorBox error={action.error} title="Could not import" />}
      {result && (
        <div className={`notice ${result.applied ? 'ok' : ''}`} role="status">
          <p>
            {result.changes.length} change{result.changes.length === 1 ? '' : 's'} {result.applied ? 'applied' : 'would be applied (nothing changed yet)'}.
          </p>
          {result.changes.length > 0 && (
            <ul className="changes-list">
              {result.changes.map((c, i) => (
                <li key={i}>
                  <strong>{c.action}</strong> {c.record.name || '@'} {c.record.type} {c.action !== 'delete' && <code>{c.record.values.join(' ')}</code>}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="actions">
        <BusyButton type="button" busy={action.busy === 'preview'} busyLabel="Comparing…" disabled={!yaml.trim() || action.busy !== null} onClick={() => void go(true)}>
          Preview changes
        </BusyButton>
        <BusyButton type="button" className="primary" busy={action.busy === 'apply'} busyLabel="Applying…" disabled={!yaml.trim() || action.busy !== null} onClick={() => void go(false)}>
          Apply
        </BusyButton>
      </div>
    </details>
  );
}
