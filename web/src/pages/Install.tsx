/**
 * The install wizard: where (name under the domain, host), the app's configuration form, a
 * summary of what will be made, then the install task's live progress.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type CatalogApp, type FieldError, type Installation, type Task } from '../api';
import { Link } from '../router';
import { ErrorBox, fieldErrors, Loading, PageTitle, useApi } from '../components/ui';
import { SchemaForm } from '../components/SchemaForm';
import { TaskProgress } from '../components/TaskProgress';

const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const SUFFIX = '.localhost';
type Step = 'where' | 'configure' | 'review' | 'progress';
const STEPS: { id: Step; label: string }[] = [
  { id: 'where', label: 'Name and host' },
  { id: 'configure', label: 'Settings' },
  { id: 'review', label: 'Review' },
  { id: 'progress', label: 'Install' },
];

function nameProblem(name: string): string | null {
  if (!name) return 'Choose a name: it becomes the address of the app.';
  if (!NAME.test(name)) return 'Use lowercase letters, digits and dashes, starting with a letter (at most 31).';
  return null;
}

export function Install({ id }: { id: string }) {
  const { data: newest, error: loadError } = useApi<CatalogApp>(`/api/catalog/${encodeURIComponent(id)}`);
  // Another version than the newest: its own manifest (its own settings)
  const [version, setVersion] = useState<{ version: string; packageVersion: number } | null>(null);
  const { data: chosen, error: versionError } = useApi<CatalogApp>(version ? `/api/catalog/${encodeURIComponent(id)}?version=${encodeURIComponent(version.version)}&package=${version.packageVersion}` : null);
  const exact = version ? (chosen && chosen.version === version.version && chosen.packageVersion === version.packageVersion ? chosen : undefined) : newest;
  // While another version's manifest loads, the page keeps the last one (and waits before going on)
  const last = useRef<CatalogApp>();
  if (exact) last.current = exact;
  const app = exact ?? last.current;
  const switching = !exact;
  const { data: hostsData } = useApi<{ hosts: { id: string; name: string }[] }>('/api/hosts');
  const [step, setStep] = useState<Step>('where');
  const [name, setName] = useState('');
  const [host, setHost] = useState('local');
  const [config, setConfig] = useState<Record<string, unknown>>({});
  const [nameError, setNameError] = useState<string | null>(null);
  const [serverError, setServerError] = useState<ApiError | null>(null);
  const [configErrors, setConfigErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  const [started, setStarted] = useState<{ installation: Installation; task: Task } | null>(null);
  const [finished, setFinished] = useState<Task | null>(null);

  useEffect(() => {
    if (newest && !name) setName(newest.id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [newest]);
  useEffect(() => {
    document.getElementById(`step-${step}`)?.focus();
  }, [step]);

  if (loadError || versionError)
    return (
      <>
        <PageTitle>Install {id}</PageTitle>
        <ErrorBox error={loadError ?? versionError}>
          <Link to="/catalog">Back to the catalog</Link>
        </ErrorBox>
      </>
    );
  if (!app || !newest) return <Loading what="the app" />;
  const schema = app.manifest.config?.schema;
  const hasOptions = !!schema && Object.keys((schema.properties as object) ?? {}).length > 0;
  const hosts = hostsData?.hosts ?? [{ id: 'local', name: 'local' }];

  const toWhere = (e: FormEvent) => {
    e.preventDefault();
    const problem = nameProblem(name);
    setNameError(problem);
    if (!problem) setStep(hasOptions ? 'configure' : 'review');
  };

  /** A refusal from the server: each detail next to its field, on the step that has it */
  const refused = (err: ApiError) => {
    setServerError(err);
    const details: FieldError[] = err.details;
    const config = fieldErrors(details.filter((d) => d.path.startsWith('config')), 'config.');
    const where = details.filter((d) => d.path === 'name' || d.path === 'domain');
    if (err.status === 409 || where.length) {
      setNameError(where.map((d) => `${d.path} ${d.message}`).join('; ') || err.message);
      setStep('where');
    } else if (Object.keys(config).length) {
      setConfigErrors(config);
      setStep('configure');
    }
  };

  const install = async () => {
    setBusy(true);
    setServerError(null);
    try {
      const r = await api<{ installation: Installation; task: Task }>('POST', '/api/installations', { app: app.id, version: app.version, domain: name, name, host, config });
      setStarted(r);
      setStep('progress');
    } catch (err) {
      if (err instanceof ApiError) refused(err);
      else setServerError(new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  };

  const stepIndex = STEPS.findIndex((s) => s.id === step);
  return (
    <div className="wizard">
      <p className="crumbs">
        <Link to="/catalog">Catalog</Link> / <Link to={`/catalog/${encodeURIComponent(app.id)}`}>{app.title}</Link> /
      </p>
      <PageTitle>Install {app.title}</PageTitle>
      <ol className="steps" aria-label="Steps">
        {STEPS.filter((s) => hasOptions || s.id !== 'configure').map((s) => (
          <li key={s.id} aria-current={s.id === step ? 'step' : undefined} className={STEPS.findIndex((x) => x.id === s.id) < stepIndex ? 'done' : ''}>
            {s.label}
          </li>
        ))}
      </ol>
      {serverError && step !== 'progress' && <ErrorBox error={serverError} title="Freehold refused the install" />}

      {step === 'where' && (
        <form className="card" onSubmit={toWhere} noValidate>
          <h2 id="step-where" tabIndex={-1}>
            Name and host
          </h2>
          <label htmlFor="install-name">Name</label>
          <div className="suffixed">
            <input
              id="install-name"
              name="name"
              value={name}
              autoComplete="off"
              spellCheck={false}
              aria-describedby="install-name-help"
              aria-invalid={nameError ? true : undefined}
              onChange={(e) => {
                setName(e.target.value.toLowerCase());
                setNameError(null);
              }}
            />
            <span aria-hidden="true">{SUFFIX}</span>
          </div>
          <p id="install-name-help" className="help">
            The app will be at <strong>https://{name || 'name'}{SUFFIX}</strong>. Lowercase letters, digits and dashes.
          </p>
          {nameError && (
            <p className="field-error" role="alert" data-testid="name-error">
              {nameError}
            </p>
          )}
          <label htmlFor="install-version">Version</label>
          <select
            id="install-version"
            value={`${app.version}-${app.packageVersion}`}
            onChange={(e) => {
              const v = newest.versions.find((x) => `${x.version}-${x.packageVersion}` === e.target.value);
              setVersion(v && (v.version !== newest.version || v.packageVersion !== newest.packageVersion) ? { version: v.version, packageVersion: v.packageVersion } : null);
              setConfig({});
              setConfigErrors({});
            }}
          >
            {newest.versions.map((v, i) => (
              <option key={`${v.version}-${v.packageVersion}`} value={`${v.version}-${v.packageVersion}`}>
                {v.version}
                {v.packageVersion > 1 ? ` (package ${v.packageVersion})` : ''}
                {i === 0 ? ' — newest' : ''}
              </option>
            ))}
          </select>
          <label htmlFor="install-host">Host</label>
          <select id="install-host" value={host} onChange={(e) => setHost(e.target.value)}>
            {hosts.map((h) => (
              <option key={h.id} value={h.id}>
                {h.name === h.id ? h.name : `${h.name} (${h.id})`}
                {h.id === 'local' ? ' — this machine' : ''}
              </option>
            ))}
          </select>
          <div className="actions">
            <button type="submit" className="primary" disabled={switching}>
              {switching ? 'Loading that version…' : 'Next'}
            </button>
          </div>
        </form>
      )}

      {step === 'configure' && schema && (
        <div className="card">
          <h2 id="step-configure" tabIndex={-1}>
            Settings
          </h2>
          <p className="help">Checked here as you go, and again by Freehold with the same schema.</p>
          <SchemaForm
            idPrefix="config"
            schema={schema}
            uiSchema={app.manifest.config?.ui}
            formData={config}
            serverErrors={configErrors}
            onChange={setConfig}
            onSubmit={(v) => {
              setConfig(v);
              setConfigErrors({});
              setStep('review');
            }}
          >
            <div className="actions">
              <button type="button" onClick={() => setStep('where')}>
                Back
              </button>
              <button type="submit" className="primary">
                Next
              </button>
            </div>
          </SchemaForm>
        </div>
      )}

      {step === 'review' && (
        <form
          className="card"
          onSubmit={(e) => {
            e.preventDefault();
            void install();
          }}
        >
          <h2 id="step-review" tabIndex={-1}>
            Review
          </h2>
          <p>Freehold will make:</p>
          <dl className="facts" data-testid="summary">
            <dt>Address</dt>
            <dd>
              https://{name}
              {SUFFIX} (a route through Caddy, with a certificate from its local CA)
            </dd>
            <dt>App</dt>
            <dd>
              {app.title} {app.version}
            </dd>
            <dt>Host</dt>
            <dd>{host}</dd>
            <dt>Containers</dt>
            <dd>
              <ul>
                {Object.entries(app.manifest.components).map(([c, spec]) => (
                  <li key={c}>
                    <code>fh-{name}-{c}</code> ({spec.image})
                  </li>
                ))}
              </ul>
            </dd>
            <dt>Data</dt>
            <dd>a volume mounted at /data (backed up with its snapshots)</dd>
            {app.addons.filter((a) => a !== 'volume').length > 0 && (
              <>
                <dt>Services</dt>
                <dd>{app.addons.filter((a) => a !== 'volume').join(', ')} (a database and user of its own)</dd>
              </>
            )}
            <dt>Network</dt>
            <dd>
              <code>fh-{name}</code>, its own
            </dd>
            {hasOptions && (
              <>
                <dt>Settings</dt>
                <dd>
                  <ul>
                    {Object.entries(config).map(([k, v]) => (
                      <li key={k}>
                        <code>{k}</code> = {JSON.stringify(v)}
                      </li>
                    ))}
                    {Object.keys(config).length === 0 && <li>the defaults</li>}
                  </ul>
                </dd>
              </>
            )}
          </dl>
          <div className="actions">
            <button type="button" onClick={() => setStep(hasOptions ? 'configure' : 'where')}>
              Back
            </button>
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Starting…' : `Install ${app.title}`}
            </button>
          </div>
        </form>
      )}

      {step === 'progress' && started && (
        <div className="card">
          <h2 id="step-progress" tabIndex={-1}>
            Installing {started.installation.name}
          </h2>
          <TaskProgress taskId={started.task.id} onDone={setFinished} />
          {finished?.status === 'succeeded' && (
            <div className="notice ok" role="status" data-testid="install-done">
              <p>
                {app.title} runs at{' '}
                <a href={started.installation.url} target="_blank" rel="noreferrer" data-testid="app-url">
                  {started.installation.url}
                </a>
                .
              </p>
              <Link to={`/installations/${encodeURIComponent(started.installation.name)}`} className="button primary">
                Go to {started.installation.name}
              </Link>
            </div>
          )}
          {finished && finished.status !== 'succeeded' && (
            <p>
              Read the error above, then{' '}
              <button
                type="button"
                className="link"
                onClick={() => {
                  setStarted(null);
                  setFinished(null);
                  setStep('where');
                }}
              >
                try again
              </button>{' '}
              or see <Link to="/">your apps</Link>.
            </p>
          )}
        </div>
      )}
    </div>
  );
}
