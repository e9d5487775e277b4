/** One installation: overview, settings, logs, tasks, snapshots, update, uninstall. */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type CatalogApp, type Installation, type JsonSchema, type Snapshot, type Task } from '../api';
import { Link, navigate } from '../router';
import { Empty, ErrorBox, fieldErrors, Loading, PageTitle, Status, useApi, when } from '../components/ui';
import { SchemaForm } from '../components/SchemaForm';
import { TaskProgress } from '../components/TaskProgress';
import { UpdatePanel } from './UpdatePanel';

interface Detail {
  installation: Installation;
  tasks: Task[];
  /** The config schema of the version it runs (when the API gives it) */
  configSchema?: JsonSchema | null;
  configUi?: Record<string, unknown> | null;
  /** Its generated secrets by name and kind (random, ed25519, rsa-2048...), never their values */
  secrets?: { name: string; kind: string }[];
}

const TABS = [
  { id: '', label: 'Overview' },
  { id: 'settings', label: 'Settings' },
  { id: 'logs', label: 'Logs' },
  { id: 'tasks', label: 'Tasks' },
  { id: 'snapshots', label: 'Snapshots' },
  { id: 'update', label: 'Update' },
  { id: 'uninstall', label: 'Uninstall' },
];

export function InstallationPage({ name, tab }: { name: string; tab: string }) {
  const { data, error, reload } = useApi<Detail>(`/api/installations/${encodeURIComponent(name)}`, { refreshMs: 5000 });
  const base = `/installations/${encodeURIComponent(name)}`;
  if (error && !data)
    return (
      <>
        <PageTitle>{name}</PageTitle>
        <ErrorBox error={error}>
          <Link to="/">Back to your apps</Link>
        </ErrorBox>
      </>
    );
  if (!data) return <Loading what={name} />;
  const inst = data.installation;
  return (
    <div className="installation">
      <p className="crumbs">
        <Link to="/">Your apps</Link> /
      </p>
      <div className="page-head">
        <PageTitle>{inst.name}</PageTitle>
        <Status status={inst.status} />
        <a href={inst.url} target="_blank" rel="noreferrer" className="button">
          Open {inst.domain}
        </a>
      </div>
      {error && <ErrorBox error={error} title="Could not refresh" />}
      <nav className="tabs" aria-label={`Sections of ${inst.name}`}>
        {TABS.map((t) => (
          <Link key={t.id} to={t.id ? `${base}/${t.id}` : base} aria-current={tab === t.id ? 'page' : undefined}>
            {t.label}
            {t.id === 'update' && inst.updateAvailable && <span className="dot" aria-label="(update available)" />}
          </Link>
        ))}
      </nav>
      <section className="tab-body">
        {tab === '' && <Overview detail={data} />}
        {tab === 'settings' && <Settings detail={data} onChange={reload} />}
        {tab === 'logs' && <Logs name={inst.name} />}
        {tab === 'tasks' && <Tasks name={inst.name} />}
        {tab === 'snapshots' && <Snapshots name={inst.name} onChange={reload} />}
        {tab === 'update' && <UpdatePanel installation={inst} onChange={reload} />}
        {tab === 'uninstall' && <Uninstall name={inst.name} />}
        {!TABS.some((t) => t.id === tab) && <Empty title="No such section" />}
      </section>
    </div>
  );
}

function Overview({ detail }: { detail: Detail }) {
  const inst = detail.installation;
  const [secrets, setSecrets] = useState<Record<string, string> | null>(null);
  const [secretError, setSecretError] = useState<unknown>(null);
  const reveal = async () => {
    try {
      setSecrets((await api<{ secrets: Record<string, string> }>('GET', `/api/installations/${encodeURIComponent(inst.name)}/credentials`)).secrets);
    } catch (err) {
      setSecretError(err);
    }
  };
  return (
    <>
      <h2>Overview</h2>
      <dl className="facts">
        <dt>App</dt>
        <dd>
          <Link to={`/catalog/${encodeURIComponent(inst.app)}`}>{inst.app}</Link>
        </dd>
        <dt>Version</dt>
        <dd data-testid="installation-version">
          {inst.version}
          {inst.packageVersion > 1 && ` (package ${inst.packageVersion})`}
        </dd>
        {inst.updateAvailable && (
          <>
            <dt>Update available</dt>
            <dd>
              <Link to={`/installations/${encodeURIComponent(inst.name)}/update`}>{inst.updateAvailable}: see what changes</Link>
            </dd>
          </>
        )}
        <dt>Status</dt>
        <dd>
          <Status status={inst.status} />
        </dd>
        <dt>Address</dt>
        <dd>
          <a href={inst.url} target="_blank" rel="noreferrer" data-testid="installation-url">
            {inst.url}
          </a>
        </dd>
        <dt>Host</dt>
        <dd>{inst.host}</dd>
        <dt>Installed</dt>
        <dd>{when(inst.createdAt)}</dd>
        <dt>Changed</dt>
        <dd>{when(inst.updatedAt)}</dd>
      </dl>
      <h3>Sign-in credentials of the app</h3>
      {secrets ? (
        Object.keys(secrets).length ? (
          <dl className="facts">
            {Object.entries(secrets).map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>
                  <code>{v}</code>
                </dd>
              </div>
            ))}
          </dl>
        ) : (
          <p>This app has no credentials to show.</p>
        )
      ) : (
        <button type="button" onClick={reveal}>
          Show credentials
        </button>
      )}
      {secretError !== null && <ErrorBox error={secretError} />}
      {(detail.secrets ?? []).length > 0 && <GeneratedSecrets name={inst.name} secrets={detail.secrets!} />}
      <h3>Recent tasks</h3>
      <TaskList tasks={detail.tasks.slice(0, 5)} />
    </>
  );
}

/** The app's generated secrets (passwords, keys), each rotatable: a new value, the app re-created with it */
function GeneratedSecrets({ name, secrets }: { name: string; secrets: { name: string; kind: string }[] }) {
  const [confirm, setConfirm] = useState<string | null>(null);
  const [task, setTask] = useState<{ id: string; secret: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const rotate = async (secret: string) => {
    setError(null);
    try {
      const r = await api<{ task: Task }>('POST', `/api/installations/${encodeURIComponent(name)}/secrets/${encodeURIComponent(secret)}/rotate`);
      setTask({ id: r.task.id, secret });
      setConfirm(null);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <h3>Generated secrets</h3>
      <p className="help">Made by Freehold for the app and kept in the secrets backend. Rotating one gives it a new value and restarts what uses it; if the app fails with it, the old value comes back.</p>
      <ul className="secrets" data-testid="generated-secrets">
        {secrets.map((s) => (
          <li key={s.name} data-secret={s.name}>
            <code>{s.name}</code> <span className="badge neutral">{s.kind === 'random' ? 'random' : `key pair, ${s.kind}`}</span>{' '}
            {confirm === s.name ? (
              <span className="notice warn" role="alert">
                Rotate {s.name}? Clients that keep the old value stop working.{' '}
                <button type="button" className="danger" onClick={() => rotate(s.name)}>
                  Rotate
                </button>{' '}
                <button type="button" onClick={() => setConfirm(null)}>
                  Cancel
                </button>
              </span>
            ) : (
              <button type="button" onClick={() => setConfirm(s.name)}>
                Rotate…
              </button>
            )}
          </li>
        ))}
      </ul>
      {error !== null && <ErrorBox error={error} title="Not rotated" />}
      {task && <TaskProgress key={task.id} taskId={task.id} title={`Rotating ${task.secret}`} />}
    </>
  );
}

/** The installation's domain name, changeable: its route, DNS records and certificate follow */
function DomainName({ inst, onChange }: { inst: Installation; onChange(): void }) {
  const [domain, setDomain] = useState(inst.domain);
  const [task, setTask] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const busy = task !== null && !done;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(false);
    try {
      setTask((await api<{ task: Task }>('PATCH', `/api/installations/${encodeURIComponent(inst.name)}`, { domain })).task.id);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <h3>Domain name</h3>
      <p className="help">
        Where the app is reached. On a domain configured in Settings, its DNS records and certificate move with it: the new ones are made first, then the old ones are removed. Links
        and bookmarks to the old name stop working.
      </p>
      <form className="inline" onSubmit={(e) => void submit(e)} data-testid="domain-form">
        <label htmlFor="domain-name">New domain name</label>{' '}
        <input id="domain-name" value={domain} onChange={(e) => setDomain(e.target.value)} required disabled={busy} />{' '}
        <button type="submit" disabled={busy || domain.trim() === inst.domain || inst.status !== 'running'}>
          Change domain name
        </button>
      </form>
      {error !== null && <ErrorBox error={error} title="Not changed" />}
      {task && (
        <TaskProgress
          key={task}
          taskId={task}
          title={`Moving ${inst.name} to ${domain}`}
          onDone={() => {
            setDone(true);
            onChange();
          }}
        />
      )}
    </>
  );
}

function Settings({ detail, onChange }: { detail: Detail; onChange(): void }) {
  const inst = detail.installation;
  // The schema of the version it runs: from the API, else the catalog's when it is that version.
  const { data: app } = useApi<CatalogApp>(detail.configSchema ? null : `/api/catalog/${encodeURIComponent(inst.app)}`);
  const schema = detail.configSchema ?? (app && app.version === inst.version && app.packageVersion === inst.packageVersion ? app.manifest.config?.schema : undefined);
  const ui = (detail.configSchema ? detail.configUi : app?.manifest.config?.ui) ?? undefined;
  const [values, setValues] = useState<Record<string, unknown>>(() => structuredClone(inst.config));
  const [dirty, setDirty] = useState(false);
  const [task, setTask] = useState<string | null>(null);
  const [done, setDone] = useState<Task | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  // What runs changes (a save, an update, a restore): show it, unless the user is editing.
  const current = JSON.stringify(inst.config);
  useEffect(() => {
    if (!dirty) setValues(JSON.parse(current));
  }, [current, dirty]);
  const save = async (config: Record<string, unknown>) => {
    setError(null);
    setDone(null);
    try {
      setTask((await api<{ task: Task }>('PUT', `/api/installations/${encodeURIComponent(inst.name)}/config`, { config })).task.id);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    }
  };
  const busy = task !== null && done === null;
  return (
    <>
      <h2>Settings</h2>
      <p className="help">
        The settings {inst.name} runs with. Saving checks them here and again in Freehold, then applies them; if the app does not come back healthy with them, the
        previous settings are applied again.
      </p>
      {error && <ErrorBox error={error} title="Freehold refused these settings" />}
      {task && (
        <TaskProgress
          key={task}
          taskId={task}
          title="Applying the settings"
          onDone={(t) => {
            setDone(t);
            setDirty(false);
            onChange();
          }}
        />
      )}
      {schema ? (
        <SchemaForm
          idPrefix="current"
          schema={schema}
          uiSchema={ui}
          formData={values}
          readOnly={busy}
          serverErrors={error ? fieldErrors(error.details.filter((d) => d.path.startsWith('config.')), 'config.') : {}}
          onChange={(v) => {
            if (JSON.stringify(v) !== JSON.stringify(values)) {
              setValues(v);
              setDirty(JSON.stringify(v) !== current);
            }
          }}
          onSubmit={(v) => void save(v)}
          submitLabel="Save settings"
        >
          <div className="actions">
            <button type="submit" className="primary" disabled={busy || inst.status !== 'running'}>
              Save settings
            </button>
            {dirty && (
              <button
                type="button"
                onClick={() => {
                  setDirty(false);
                  setValues(JSON.parse(current));
                }}
              >
                Discard changes
              </button>
            )}
            {inst.status !== 'running' && <span className="muted">Only a running installation can be configured.</span>}
          </div>
        </SchemaForm>
      ) : (
        <table className="kv">
          <tbody>
            {Object.entries(inst.config).map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>
                  <code>{JSON.stringify(v)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <DomainName inst={inst} onChange={onChange} />
    </>
  );
}

function Logs({ name }: { name: string }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [paused, setPaused] = useState(false);
  const [at, setAt] = useState<Date | null>(null);
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (paused) return;
    let alive = true;
    const load = async () => {
      try {
        const t = await api<string>('GET', `/api/installations/${encodeURIComponent(name)}/logs?tail=200`);
        if (!alive) return;
        setText(typeof t === 'string' ? t : JSON.stringify(t));
        setError(null);
        setAt(new Date());
      } catch (err) {
        if (alive) setError(err);
      }
    };
    void load();
    const timer = setInterval(load, 3000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [name, paused]);
  useEffect(() => {
    const el = pre.current;
    if (el && !paused) el.scrollTop = el.scrollHeight;
  }, [text, paused]);
  return (
    <>
      <div className="page-head">
        <h2>Logs</h2>
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <span className="muted" role="status">
          {paused ? 'Paused' : 'Refreshed every 3 seconds'}
          {at && ` · last ${at.toLocaleTimeString()}`}
        </span>
      </div>
      {error !== null && <ErrorBox error={error} />}
      <pre className="logs" ref={pre} tabIndex={0} aria-label="The app's last 200 log lines" data-testid="logs">
        {text || 'No log lines yet.'}
      </pre>
    </>
  );
}

function TaskList({ tasks }: { tasks: Task[] }) {
  const [open, setOpen] = useState<string | null>(null);
  if (!tasks.length) return <p className="muted">No tasks yet.</p>;
  return (
    <ul className="tasks">
      {tasks.map((t) => (
        <li key={t.id}>
          <button type="button" className="task-row" aria-expanded={open === t.id} onClick={() => setOpen(open === t.id ? null : t.id)}>
            <Status status={t.status} /> <strong>{t.kind}</strong> <span>{t.message}</span> <span className="muted">{when(t.createdAt)}</span>
          </button>
          {(open === t.id || !['succeeded', 'failed', 'rolled_back'].includes(t.status)) && <TaskProgress taskId={t.id} title={`${t.kind} task`} />}
          {open !== t.id && t.error && (t.status === 'failed' || t.status === 'rolled_back') && <p className="field-error">{t.error.split('\n')[0]}</p>}
        </li>
      ))}
    </ul>
  );
}

function Tasks({ name }: { name: string }) {
  const { data, error } = useApi<{ tasks: Task[] }>(`/api/tasks?installation=${encodeURIComponent(name)}`, { refreshMs: 3000 });
  return (
    <>
      <h2>Tasks</h2>
      {error && <ErrorBox error={error} />}
      {!data ? <Loading what="tasks" /> : <TaskList tasks={data.tasks} />}
    </>
  );
}

function Snapshots({ name, onChange }: { name: string; onChange(): void }) {
  const { data, error, loading, reload } = useApi<{ snapshots: Snapshot[] }>(`/api/installations/${encodeURIComponent(name)}/backups`);
  const [task, setTask] = useState<{ id: string; title: string } | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [confirm, setConfirm] = useState<string | null>(null);
  const [cloneOf, setCloneOf] = useState<string | null>(null);
  const [cloneName, setCloneName] = useState('');
  const start = async (title: string, path: string, body?: unknown) => {
    setActionError(null);
    try {
      const r = await api<{ task: Task }>('POST', `/api/installations/${encodeURIComponent(name)}/${path}`, body);
      setTask({ id: r.task.id, title });
      setConfirm(null);
      setCloneOf(null);
    } catch (err) {
      setActionError(err);
    }
  };
  const clone = (e: FormEvent) => {
    e.preventDefault();
    if (cloneOf) void start(`Cloning into ${cloneName}`, 'clone', { snapshot: cloneOf, domain: cloneName });
  };
  return (
    <>
      <div className="page-head">
        <h2>Snapshots</h2>
        <button type="button" className="primary" onClick={() => start('Backing up', 'backups')}>
          Back up now
        </button>
      </div>
      <p className="help">A snapshot holds the app's data, its databases and its settings. Restoring one replaces the current data.</p>
      {actionError !== null && <ErrorBox error={actionError} />}
      {task && (
        <TaskProgress
          key={task.id}
          taskId={task.id}
          title={task.title}
          onDone={() => {
            reload();
            onChange();
          }}
        />
      )}
      {error && <ErrorBox error={error} />}
      {!data && loading && <Loading what="snapshots" />}
      {data && data.snapshots.length === 0 && (
        <Empty title="No snapshots yet">
          <p>Freehold takes one every day by itself, and one before every update. Take one now with "Back up now".</p>
        </Empty>
      )}
      {data && data.snapshots.length > 0 && (
        <ul className="snapshots">
          {data.snapshots.map((s) => (
            <li key={s.id} className="card">
              <div>
                <strong>{when(s.time)}</strong> <code>{s.shortId}</code> · version {s.tags.version ?? '?'}
                {s.tags.reason && <span className="badge neutral">{s.tags.reason}</span>}
              </div>
              <div className="actions">
                <button type="button" onClick={() => setConfirm(s.id)}>
                  Restore…
                </button>
                <button type="button" onClick={() => (setCloneOf(s.id), setCloneName(`${name}-copy`))}>
                  Clone…
                </button>
              </div>
              {confirm === s.id && (
                <div className="notice warn" role="alert">
                  <p>
                    Restore {name} to this snapshot? Its data, settings and version go back to {when(s.time)}; what was written since is lost.
                  </p>
                  <button type="button" className="danger" onClick={() => start(`Restoring ${s.shortId}`, 'restore', { snapshot: s.id })}>
                    Restore
                  </button>{' '}
                  <button type="button" onClick={() => setConfirm(null)}>
                    Cancel
                  </button>
                </div>
              )}
              {cloneOf === s.id && (
                <form onSubmit={clone} className="inline-form">
                  <label htmlFor={`clone-${s.id}`}>New installation's name</label>
                  <div className="suffixed">
                    <input id={`clone-${s.id}`} value={cloneName} onChange={(e) => setCloneName(e.target.value.toLowerCase())} />
                    <span aria-hidden="true">.localhost</span>
                  </div>
                  <button type="submit" className="primary">
                    Clone
                  </button>{' '}
                  <button type="button" onClick={() => setCloneOf(null)}>
                    Cancel
                  </button>
                </form>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Uninstall({ name }: { name: string }) {
  const [typed, setTyped] = useState('');
  const [task, setTask] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (typed !== name) return;
    try {
      setTask((await api<{ task: Task }>('DELETE', `/api/installations/${encodeURIComponent(name)}`)).task.id);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <h2>Uninstall</h2>
      {!task && (
        <form onSubmit={submit} className="card danger-zone">
          <p>
            This removes {name}'s containers, its route and <strong>all its data</strong>. Its snapshots are kept: you can install the app again under the same name
            and restore one.
          </p>
          <label htmlFor="confirm-name">
            Type <strong>{name}</strong> to confirm
          </label>
          <input id="confirm-name" value={typed} autoComplete="off" spellCheck={false} onChange={(e) => setTyped(e.target.value)} />
          <button type="submit" className="danger" disabled={typed !== name}>
            Uninstall {name}
          </button>
        </form>
      )}
      {error !== null && <ErrorBox error={error} />}
      {task && (
        <TaskProgress
          taskId={task}
          title={`Uninstalling ${name}`}
          onDone={(t) => {
            if (t.status === 'succeeded') navigate('/');
          }}
        />
      )}
    </>
  );
}

