/**
 * IP pools: where installations' addresses come from. Built-in pools (IPv4/IPv6 prefixes kept by
 * Freehold) or NetBox prefixes (the token typed in a password field, never shown back). Each pool
 * with its allocations: allocate an address by hand, release one, remove the pool.
 */
import { useState, type FormEvent } from 'react';
import { addIpPool, allocateIp, ipPoolAllocations, listIpPools, releaseIp, removeIpPool, type IpPoolInput, type IpPoolView } from '../../api';
import { Empty, ErrorBox, Loading, when } from '../../components/ui';
import { BusyButton, Confirm, Field, SettingsList, TextField, splitList, useAction, useLoad, TableHead } from './common';

export function IpPools() {
  const { data, error, loading, reload } = useLoad(() => listIpPools());
  const [added, setAdded] = useState<string | null>(null);
  const pools = data?.pools;
  return (
    <>
      <h2>IP pools</h2>
      <p className="help">Addresses for installations that need their own: a built-in pool hands out the addresses of its prefixes; a NetBox pool takes them from NetBox prefixes.</p>
      {error !== null && <ErrorBox error={error} retry={reload} />}
      {!pools && loading && <Loading what="the IP pools" />}
      {pools && pools.length === 0 && (
        <Empty title="No IP pool yet">
          <p>Add one below.</p>
        </Empty>
      )}
      {pools && pools.length > 0 && (
        <ul className="pools" data-testid="ip-pools">
          {pools.map((p) => (
            <Pool key={p.name} pool={p} onRemoved={reload} />
          ))}
        </ul>
      )}
      {added && (
        <p className="notice ok" role="status">
          IP pool <strong>{added}</strong> added.
        </p>
      )}
      <AddPool
        onAdded={(p) => {
          setAdded(p.name);
          reload();
        }}
      />
    </>
  );
}

function Pool({ pool, onRemoved }: { pool: IpPoolView; onRemoved(): void }) {
  const allocations = useLoad(() => ipPoolAllocations(pool.name), [pool.name]);
  const [confirm, setConfirm] = useState(false);
  const [owner, setOwner] = useState('');
  const [family, setFamily] = useState('');
  const [description, setDescription] = useState('');
  const [last, setLast] = useState<string | null>(null);
  const action = useAction();
  const removal = useAction();
  const id = `pool-${pool.name}`;
  const allocate = async (e: FormEvent) => {
    e.preventDefault();
    let got = '';
    const ok = await action.run('allocate', async () => {
      const r = await allocateIp(pool.name, { owner: owner.trim(), ...(description.trim() && { description: description.trim() }), ...(family && { family: Number(family) as 4 | 6 }) });
      got = `${r.allocation.address}/${r.allocation.prefixLength}`;
    });
    if (ok) {
      setLast(got);
      setOwner('');
      setDescription('');
      allocations.reload();
    }
  };
  const list = allocations.data?.allocations;
  return (
    <li className="card pool" data-pool={pool.name}>
      <div className="page-head">
        <h3>
          {pool.name} <span className="badge neutral">{pool.provider === 'netbox' ? 'NetBox' : 'built-in'}</span>
        </h3>
        <button type="button" onClick={() => (removal.clear(), setConfirm(true))} aria-label={`Remove pool ${pool.name}…`}>
          Remove…
        </button>
      </div>
      <SettingsList settings={pool.config} />
      <p className="muted">Added {when(pool.createdAt)}</p>
      {confirm && (
        <Confirm
          action={`Remove ${pool.name}`}
          busy={removal.busy !== null}
          busyLabel="Removing…"
          onCancel={() => setConfirm(false)}
          onConfirm={async () => {
            if (await removal.run('remove', () => removeIpPool(pool.name))) onRemoved();
          }}
        >
          <p>Remove the pool {pool.name}? Freehold refuses while addresses of it are allocated.{pool.provider === 'netbox' && ' NetBox keeps its prefixes.'}</p>
        </Confirm>
      )}
      {removal.error !== null && <ErrorBox error={removal.error} title="Could not remove the pool" />}
      <h4>Allocations</h4>
      {action.error !== null && <ErrorBox error={action.error} title="Not done" />}
      {allocations.error !== null && <ErrorBox error={allocations.error} retry={allocations.reload} title="Could not list the allocations" />}
      {!list && allocations.loading && <Loading what="the allocations" />}
      {list && list.length === 0 && <p className="muted">No address allocated.</p>}
      {list && list.length > 0 && (
        <table className="settings-table" data-testid={`allocations-${pool.name}`}>
          <TableHead columns={['Address', 'Prefix', 'Owner', 'Description']} />
          <tbody>
            {list.map((a) => (
              <tr key={a.address} data-address={a.address}>
                <td data-label="Address">
                  <code>{a.address}</code>
                </td>
                <td data-label="Prefix">{a.prefix}</td>
                <td data-label="Owner">{a.owner ?? <span className="muted">not Freehold's</span>}</td>
                <td data-label="Description">{a.description}</td>
                <td>
                  {a.owner !== null && (
                    <BusyButton
                      type="button"
                      busy={action.busy === `release ${a.address}`}
                      busyLabel="Releasing…"
                      aria-label={`Release ${a.address}`}
                      onClick={async () => {
                        if (await action.run(`release ${a.address}`, () => releaseIp(pool.name, a.address))) allocations.reload();
                      }}
                    >
                      Release
                    </BusyButton>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details className="inline-form">
        <summary>Allocate an address by hand</summary>
        <form onSubmit={allocate} noValidate>
          <TextField id={`${id}-owner`} label="Owner" path="owner" error={action.error} value={owner} onChange={setOwner} placeholder="an installation name" required />
          <Field id={`${id}-family`} label="Family" path="family" error={action.error}>
            {(a) => (
              <select {...a} value={family} onChange={(e) => setFamily(e.target.value)}>
                <option value="">any (the pool's prefixes in order)</option>
                <option value="4">IPv4</option>
                <option value="6">IPv6</option>
              </select>
            )}
          </Field>
          <TextField id={`${id}-description`} label="Description (optional)" path="description" error={action.error} value={description} onChange={setDescription} />
          <div className="actions">
            <BusyButton type="submit" busy={action.busy === 'allocate'} busyLabel="Allocating…">
              Allocate
            </BusyButton>
            {last && (
              <span role="status" data-testid="allocated">
                Allocated <code>{last}</code>
              </span>
            )}
          </div>
        </form>
      </details>
    </li>
  );
}

function AddPool({ onAdded }: { onAdded(p: IpPoolView): void }) {
  const [name, setName] = useState('');
  const [provider, setProvider] = useState<'builtin' | 'netbox'>('builtin');
  const [prefixes, setPrefixes] = useState('');
  const [reserve, setReserve] = useState('');
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [prefixIds, setPrefixIds] = useState('');
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const input: IpPoolInput = { name: name.trim(), provider };
    if (provider === 'builtin') {
      input.prefixes = splitList(prefixes);
      if (reserve.trim()) input.reserve = splitList(reserve);
    } else {
      input.url = url.trim();
      if (token) input.token = token;
      // A number where one was typed; anything else goes as typed, for the API to say what is wrong with it
      input.prefixIds = splitList(prefixIds).map((x) => (/^\d+$/.test(x) ? Number(x) : (x as unknown as number)));
    }
    let made: IpPoolView | undefined;
    if (
      await action.run('add', async () => {
        made = (await addIpPool(input)).pool;
      })
    ) {
      setName('');
      setPrefixes('');
      setReserve('');
      setUrl('');
      setToken('');
      setPrefixIds('');
      onAdded(made!);
    }
  };
  return (
    <form className="card settings-form" onSubmit={submit} aria-labelledby="add-pool-title" data-testid="add-pool" noValidate>
      <h3 id="add-pool-title">Add an IP pool</h3>
      <TextField id="pool-name" label="Name" path="name" error={action.error} value={name} onChange={(v) => setName(v.toLowerCase())} placeholder="lan" required help="Lower-case letters, digits and -, starting with a letter" />
      <Field id="pool-provider" label="Provider" path="provider" error={action.error}>
        {(a) => (
          <select
            {...a}
            value={provider}
            onChange={(e) => {
              setProvider(e.target.value as 'builtin' | 'netbox');
              setToken('');
              action.clear();
            }}
          >
            <option value="builtin">Built-in (prefixes kept by Freehold)</option>
            <option value="netbox">NetBox</option>
          </select>
        )}
      </Field>
      {provider === 'builtin' ? (
        <fieldset className="provider-fields" data-provider="builtin">
          <legend>Built-in</legend>
          <Field id="pool-prefixes" label="Prefixes" path="prefixes" error={action.error} help="IPv4 and IPv6 prefixes (CIDR), one per line or separated by commas, used in this order">
            {(a) => <textarea {...a} rows={3} value={prefixes} spellCheck={false} placeholder={'10.20.0.0/24\nfd00:20::/64'} onChange={(e) => setPrefixes(e.target.value)} />}
          </Field>
          <TextField id="pool-reserve" label="Reserved addresses (optional)" path="reserve" error={action.error} value={reserve} onChange={setReserve} placeholder="10.20.0.1" help="Never handed out (a gateway…), separated by commas" />
        </fieldset>
      ) : (
        <fieldset className="provider-fields" data-provider="netbox">
          <legend>NetBox</legend>
          <TextField id="pool-url" label="NetBox URL" path="url" error={action.error} value={url} onChange={setUrl} placeholder="https://netbox.example.org" required />
          <TextField id="pool-token" label="API token" path="token" error={action.error} value={token} onChange={setToken} type="password" required help="A write-enabled NetBox API token. Kept sealed; never shown again." />
          <TextField id="pool-prefix-ids" label="Prefix ids" path="prefixIds" error={action.error} value={prefixIds} onChange={setPrefixIds} placeholder="12, 13" required help="The numbers in the prefixes' NetBox addresses (/ipam/prefixes/<id>/), used in this order" />
        </fieldset>
      )}
      {action.error !== null && <ErrorBox error={action.error} title="The pool was not added" />}
      <div className="actions">
        <BusyButton type="submit" className="primary" busy={action.busy === 'add'} busyLabel="Adding…">
          Add pool
        </BusyButton>
      </div>
    </form>
  );
}
