/**
 * Secrets backend: where Freehold keeps secrets (generated passwords, keys): built in (sealed in
 * its data directory) or OpenBao/Vault KV v2. Shows the current one with its non-secret
 * settings; a form switches to OpenBao (the token typed in a password field, never shown back)
 * or back to the built-in store.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { getSecretsBackend, setSecretsBackend, type SecretsBackendInput, type SecretsBackendView } from '../../api';
import { ErrorBox, Loading, when } from '../../components/ui';
import { BusyButton, Field, SettingsList, TextField, useAction, useLoad } from './common';

const KIND_LABEL: Record<string, string> = { builtin: 'Built-in (sealed in the data directory)', openbao: 'OpenBao / Vault (KV version 2)' };

export function SecretsBackend() {
  const { data, error, loading, reload } = useLoad(() => getSecretsBackend());
  const backend = data?.backend;
  return (
    <>
      <h2>Secrets backend</h2>
      <p className="help">Where Freehold keeps the secrets it makes for installations (passwords, keys) and other sealed data. Changing it moves nothing: what stays in the previous one is said when you change it.</p>
      {error !== null && <ErrorBox error={error} retry={reload} title="Could not read the secrets backend" />}
      {!backend && loading && <Loading what="the secrets backend" />}
      {backend && (
        <>
          <section className="card" data-testid="secrets-current">
            <h3>In use</h3>
            <dl className="facts">
              <dt>Backend</dt>
              <dd data-testid="secrets-kind" data-kind={backend.kind}>
                <strong>{backend.kind}</strong> <span className="muted">{KIND_LABEL[backend.kind] ?? ''}</span>
              </dd>
              <dt>Settings</dt>
              <dd>
                <SettingsList settings={Object.fromEntries(Object.entries(backend.settings ?? {}).filter(([k]) => k !== 'kind'))} />
              </dd>
              <dt>Configured</dt>
              <dd>{backend.configuredAt ? when(backend.configuredAt) : <span className="muted">never: the default</span>}</dd>
            </dl>
          </section>
          <SwitchForm backend={backend} onSaved={reload} />
        </>
      )}
    </>
  );
}

/** What the codes of a backend's failure (the API's detail at the field at fault) mean */
const CODES: Record<string, string> = {
  unreachable: 'cannot be reached: check the URL and that OpenBao runs there',
  permission_denied: 'refused: the token is wrong or expired, or its policy lacks the KV mount',
  backend_sealed: 'OpenBao is sealed: unseal it first',
  backend_error: 'OpenBao failed: see the message below',
};
const describe = (m: string) => CODES[m] ?? m;

const str = (v: unknown) => (typeof v === 'string' ? v : '');

function SwitchForm({ backend, onSaved }: { backend: SecretsBackendView; onSaved(): void }) {
  const settings = backend.settings ?? {};
  const [kind, setKind] = useState<'builtin' | 'openbao'>(backend.kind === 'openbao' ? 'openbao' : 'builtin');
  const [url, setUrl] = useState(str(settings.url));
  const [token, setToken] = useState('');
  const [mount, setMount] = useState(str(settings.mount));
  const [namespace, setNamespace] = useState(str(settings.namespace));
  const [prefix, setPrefix] = useState(str(settings.prefix));
  const [caCert, setCaCert] = useState('');
  const [verify, setVerify] = useState(true);
  const [saved, setSaved] = useState<{ kind: string; notes: string[] } | null>(null);
  const action = useAction();
  useEffect(() => {
    setUrl(str(settings.url));
    setMount(str(settings.mount));
    setNamespace(str(settings.namespace));
    setPrefix(str(settings.prefix));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [backend]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    const input: SecretsBackendInput = { kind };
    if (kind === 'openbao') {
      input.url = url.trim();
      if (token) input.token = token;
      if (mount.trim()) input.mount = mount.trim();
      if (namespace.trim()) input.namespace = namespace.trim();
      if (prefix.trim()) input.prefix = prefix.trim();
      if (caCert.trim()) input.caCert = caCert.trim();
      input.verify = verify;
    }
    let now: { kind: string; notes: string[] } = { kind: '', notes: [] };
    if (
      await action.run('save', async () => {
        const r = await setSecretsBackend(input);
        now = { kind: r.backend.kind, notes: r.notes ?? [] };
      })
    ) {
      // The token typed is dropped: it is never shown again
      setToken('');
      setCaCert('');
      setSaved(now);
      onSaved();
    }
  };
  return (
    <form className="card settings-form" onSubmit={submit} data-testid="secrets-form" noValidate>
      <h3>Change the backend</h3>
      {saved && (
        <div className="notice ok" role="status">
          <p>Secrets are now kept in the {saved.kind} backend.</p>
          {saved.notes.length > 0 && (
            <ul data-testid="secrets-notes">
              {saved.notes.map((n, i) => (
                <li key={i}>{n}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <fieldset>
        <legend>Keep secrets in</legend>
        {(['builtin', 'openbao'] as const).map((k) => (
          <div className="check" key={k}>
            <input type="radio" id={`secrets-${k}`} name="secrets-kind" checked={kind === k} onChange={() => (setKind(k), action.clear())} />
            <label htmlFor={`secrets-${k}`}>{KIND_LABEL[k]}</label>
          </div>
        ))}
      </fieldset>
      {kind === 'openbao' && (
        <fieldset className="provider-fields" data-provider="openbao">
          <legend>OpenBao</legend>
          <TextField id="bao-url" describe={describe} label="URL" path="url" error={action.error} value={url} onChange={setUrl} type="url" placeholder="https://bao.example.org:8200" required />
          <TextField
            id="bao-token"
            describe={describe}
            label="Token"
            path="token"
            error={action.error}
            value={token}
            onChange={setToken}
            type="password"
            required={backend.kind !== 'openbao'}
            help={backend.kind === 'openbao' ? 'Leave empty to keep the current token. Kept sealed; never shown again.' : 'A token whose policy allows the KV mount. Kept sealed; never shown again.'}
          />
          <TextField id="bao-mount" describe={describe} label="KV mount (optional)" path="mount" error={action.error} value={mount} onChange={setMount} placeholder="secret" help="A KV version 2 mount; default secret" />
          <TextField id="bao-prefix" label="Folder in the mount (optional)" path="prefix" error={action.error} value={prefix} onChange={setPrefix} placeholder="freehold" help="Freehold's secrets go under it; default freehold" />
          <TextField id="bao-namespace" label="Namespace (optional)" path="namespace" error={action.error} value={namespace} onChange={setNamespace} />
          <Field id="bao-ca" label="CA certificate (optional)" path="caCert" error={action.error} help="PEM of the CA that signed the server's certificate, when it is not a public one">
            {(a) => <textarea {...a} rows={3} value={caCert} spellCheck={false} placeholder="-----BEGIN CERTIFICATE-----" onChange={(e) => setCaCert(e.target.value)} />}
          </Field>
          <div className="check">
            <input id="bao-verify" type="checkbox" checked={verify} onChange={(e) => setVerify(e.target.checked)} />
            <label htmlFor="bao-verify">Check the server and the token now</label>
          </div>
        </fieldset>
      )}
      {action.error !== null && <ErrorBox error={action.error} title="The backend was not changed" />}
      <div className="actions">
        <BusyButton type="submit" className="primary" busy={action.busy !== null} busyLabel={kind === 'openbao' && verify ? 'Checking OpenBao…' : 'Saving…'}>
          {kind === backend.kind ? 'Save' : kind === 'openbao' ? 'Switch to OpenBao' : 'Switch to built-in'}
        </BusyButton>
      </div>
    </form>
  );
}
