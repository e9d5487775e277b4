/**
 * Hosts: the machines installations run on, and where the DNS records of installations on a
 * configured domain point for each: its public addresses (A/AAAA records) or a public name
 * (a CNAME), or nothing (no records are made).
 */
import { Fragment, useState, type FormEvent } from 'react';
import { listHosts, setHostPublic, type HostPublic, type HostView } from '../../api';
import { Empty, ErrorBox, Loading } from '../../components/ui';
import { BusyButton, TextField, splitList, useAction, useLoad, TableHead } from './common';

export function Hosts() {
  const { data, error, loading, reload } = useLoad(() => listHosts());
  const [editing, setEditing] = useState<string | null>(null);
  const hosts = data?.hosts;
  return (
    <>
      <h2>Hosts</h2>
      <p className="help">
        An installation on a domain configured in Domains gets a DNS record pointing at its host: the host's public addresses, or a public name the records point to as
        a CNAME.
      </p>
      {error !== null && <ErrorBox error={error} retry={reload} />}
      {!hosts && loading && <Loading what="the hosts" />}
      {hosts && hosts.length === 0 && <Empty title="No host" />}
      {hosts && hosts.length > 0 && (
        <table className="settings-table" data-testid="hosts">
          <TableHead columns={['Host', 'Provider', 'Runtime', 'Public address or name']} />
          <tbody>
            {hosts.map((h) => (
              <tr key={h.id} data-host={h.id}>
                <td data-label="Host">{h.name}</td>
                <td data-label="Provider">{h.provider}</td>
                <td data-label="Runtime">{h.runtime}</td>
                <td data-label="Public" data-testid="host-public">
                  <PublicText pub={h.public} />
                </td>
                <td>
                  <button type="button" aria-expanded={editing === h.id} onClick={() => setEditing(editing === h.id ? null : h.id)} aria-label={`Edit the public address of ${h.name}`}>
                    Edit
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {hosts
        ?.filter((h) => h.id === editing)
        .map((h) => (
          <PublicForm
            key={h.id}
            host={h}
            onCancel={() => setEditing(null)}
            onSaved={() => {
              setEditing(null);
              reload();
            }}
          />
        ))}
    </>
  );
}

function PublicText({ pub }: { pub: HostPublic | undefined }) {
  if (pub === undefined) return <span className="muted">unknown (this Freehold does not say)</span>;
  if (pub === null) return <span className="muted">not set: no DNS records are made</span>;
  if ('cname' in pub)
    return (
      <>
        CNAME to <code>{pub.cname}</code>
      </>
    );
  if ('pool' in pub)
    return (
      <>
        an address per installation from IP pool <code>{pub.pool}</code>
      </>
    );
  return (
    <>
      {pub.addresses.map((a, i) => (
        <Fragment key={a}>
          {i > 0 && ', '}
          <code className="value">{a}</code>
        </Fragment>
      ))}
    </>
  );
}

type Mode = 'addresses' | 'cname' | 'pool' | 'none';

function PublicForm({ host, onSaved, onCancel }: { host: HostView; onSaved(): void; onCancel(): void }) {
  const pub = host.public ?? null;
  const [mode, setMode] = useState<Mode>(pub === null ? 'addresses' : 'cname' in pub ? 'cname' : 'pool' in pub ? 'pool' : 'addresses');
  const [addresses, setAddresses] = useState(pub && 'addresses' in pub ? pub.addresses.join(', ') : '');
  const [cname, setCname] = useState(pub && 'cname' in pub ? pub.cname : '');
  const [pool, setPool] = useState(pub && 'pool' in pub ? pub.pool : '');
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const next: HostPublic = mode === 'none' ? null : mode === 'cname' ? { cname: cname.trim() } : mode === 'pool' ? { pool: pool.trim() } : { addresses: splitList(addresses) };
    if (await action.run('save', () => setHostPublic(host.id, next))) onSaved();
  };
  const id = `host-${host.id}`;
  return (
    <form className="card settings-form" onSubmit={submit} aria-labelledby={`${id}-title`} data-testid="host-form" noValidate>
      <h3 id={`${id}-title`}>Public address of {host.name}</h3>
      <fieldset>
        <legend>Records of installations on this host point to</legend>
        {(
          [
            ['addresses', 'Its public addresses (A and AAAA records)'],
            ['cname', 'A public name (CNAME record)'],
            ['pool', 'Its own address for each installation, from an IP pool routed to this host'],
            ['none', 'Nothing: make no DNS records'],
          ] as [Mode, string][]
        ).map(([m, label]) => (
          <div className="check" key={m}>
            <input type="radio" id={`${id}-mode-${m}`} name={`${id}-mode`} checked={mode === m} onChange={() => (setMode(m), action.clear())} />
            <label htmlFor={`${id}-mode-${m}`}>{label}</label>
          </div>
        ))}
      </fieldset>
      {mode === 'addresses' && (
        <TextField
          id={`${id}-addresses`}
          label="Public addresses"
          path={['public.addresses', 'addresses', 'public']}
          error={action.error}
          value={addresses}
          onChange={setAddresses}
          placeholder="203.0.113.10, 2001:db8::10"
          required
          help="IPv4 and IPv6 addresses the world reaches this host at, separated by commas"
        />
      )}
      {mode === 'cname' && (
        <TextField id={`${id}-cname`} label="Public name" path={['public.cname', 'cname', 'public']} error={action.error} value={cname} onChange={setCname} placeholder="host1.example.net" required help="A host name that resolves to this host" />
      )}
      {mode === 'pool' && (
        <TextField id={`${id}-pool`} label="IP pool" path={['public.pool', 'pool', 'public']} error={action.error} value={pool} onChange={setPool} placeholder="public" required help="The name of a pool in Settings → IP pools" />
      )}
      {action.error !== null && <ErrorBox error={action.error} title="Not saved" />}
      <div className="actions">
        <BusyButton type="submit" className="primary" busy={action.busy !== null} busyLabel="Saving…">
          Save
        </BusyButton>
        <button type="button" onClick={onCancel} disabled={action.busy !== null}>
          Cancel
        </button>
      </div>
    </form>
  );
}
