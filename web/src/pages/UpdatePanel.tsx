/**
 * The update panel: newer versions, what an update to one changes in the configuration (old and
 * new forms side by side, the user's values carried across), what needs a decision (options
 * without a value, suggested renames to confirm: nothing is applied silently), then the update
 * task followed live. Also the rollback of the last update.
 */
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError, type ConfigChange, type Installation, type JsonSchema, type Task, type Updates } from '../api';
import { Empty, ErrorBox, fieldErrors, Loading, show, useApi } from '../components/ui';
import { SchemaForm } from '../components/SchemaForm';
import { TaskProgress } from '../components/TaskProgress';

const KIND_LABEL: Record<ConfigChange['kind'], string> = {
  renamed: 'renamed',
  added: 'new',
  removed: 'removed',
  kept: 'kept',
  changed: 'changed',
};

const getPath = (obj: Record<string, unknown> | undefined, path: string) =>
  path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);

function setPath(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const out = structuredClone(obj);
  const keys = path.split('.');
  let cur: Record<string, unknown> = out;
  for (const k of keys.slice(0, -1)) cur = (cur[k] && typeof cur[k] === 'object' ? cur[k] : (cur[k] = {})) as Record<string, unknown>;
  if (value === undefined) delete cur[keys[keys.length - 1]];
  else cur[keys[keys.length - 1]] = value;
  return out;
}

/** Whether an option is required by its schema and has no value and no default */
function required(schema: JsonSchema | null | undefined, path: string, values: Record<string, unknown> | undefined): boolean {
  const keys = path.split('.');
  let node: any = schema;
  for (let i = 0; i < keys.length; i++) {
    const isRequired = Array.isArray(node?.required) && node.required.includes(keys[i]);
    node = node?.properties?.[keys[i]];
    if (!node) return false;
    if (i === keys.length - 1) return isRequired && node.default === undefined && getPath(values, path) === undefined;
  }
  return false;
}

/** UI hints marking what changed: carried-over values say where from, options needing a value say so */
function markedUi(base: Record<string, unknown> | undefined, changes: ConfigChange[], needs: Set<string>, confirmed: { from: string; to: string }[]) {
  let ui: Record<string, unknown> = structuredClone(base ?? {});
  const mark = (path: string, hints: Record<string, unknown>) => {
    const current = (getPath(ui, path) as Record<string, unknown>) ?? {};
    ui = setPath(ui, path, { ...current, ...hints });
  };
  for (const c of changes) {
    if (c.kind === 'renamed' && c.from) mark(c.path, { 'ui:help': `Was "${c.from}": your value ${show(c.old)} is carried over.`, 'ui:classNames': 'changed renamed' });
    else if (c.kind === 'added' && !needs.has(c.path)) mark(c.path, { 'ui:help': `New in this version (default ${show(c.new)}).`, 'ui:classNames': 'changed added' });
  }
  for (const r of confirmed) mark(r.to, { 'ui:help': `Was "${r.from}": your value is carried over (rename confirmed).`, 'ui:classNames': 'changed renamed' });
  for (const p of needs) mark(p, { 'ui:help': 'New in this version and required: choose a value.', 'ui:classNames': 'changed needs-value' });
  return ui;
}

export function UpdatePanel({ installation, onChange }: { installation: Installation; onChange(): void }) {
  const name = installation.name;
  const [target, setTarget] = useState<{ to: string; pkg: number } | null>(null);
  const path = `/api/installations/${encodeURIComponent(name)}/updates${target ? `?to=${encodeURIComponent(target.to)}&package=${target.pkg}` : ''}`;
  const { data, error, loading, reload } = useApi<Updates>(path);
  const preview = data?.preview ?? null;
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [confirmed, setConfirmed] = useState<Record<number, boolean>>({});
  const [task, setTask] = useState<{ id: string; kind: 'update' | 'rollback' } | null>(null);
  const [finished, setFinished] = useState<Task | null>(null);
  const [postError, setPostError] = useState<ApiError | null>(null);
  const [confirmRollback, setConfirmRollback] = useState(false);

  useEffect(() => {
    setValues(structuredClone(preview?.values?.proposed ?? {}));
    setConfirmed({});
    setPostError(null);
  }, [preview]);

  const suggestions = preview?.suggestions ?? [];
  const renames = suggestions.filter((_, i) => confirmed[i]).map((s) => ({ from: s.from, to: s.to }));
  const needs = useMemo(() => {
    const out = new Set<string>();
    for (const c of preview?.config ?? []) if (c.needsValue && getPath(values, c.path) === undefined) out.add(c.path);
    for (const key of Object.keys((preview?.newSchema?.properties as object) ?? {})) if (required(preview?.newSchema, key, values)) out.add(key);
    return out;
  }, [preview, values]);
  const decisions = (preview?.config ?? []).filter((c) => c.needsValue || needs.has(c.path));
  const newUi = useMemo(() => markedUi(preview?.newUi, preview?.config ?? [], needs, renames), [preview, needs, renames.map((r) => r.to).join()]);

  const toggle = (i: number, on: boolean) => {
    const s = suggestions[i];
    setConfirmed((c) => ({ ...c, [i]: on }));
    // A confirmed rename carries the old value into the new option; unconfirmed, the proposal is back.
    setValues((v) => setPath(v, s.to, on ? getPath(preview?.values?.old, s.from) : getPath(preview?.values?.proposed, s.to)));
  };

  const start = async (config?: Record<string, unknown>) => {
    if (!preview) return;
    setPostError(null);
    try {
      const body = { to: preview.to.version, packageVersion: preview.to.packageVersion, ...(preview.values && { renames, config: config ?? values }) };
      const r = await api<{ task: Task }>('POST', `/api/installations/${encodeURIComponent(name)}/update`, body);
      setFinished(null);
      setTask({ id: r.task.id, kind: 'update' });
    } catch (err) {
      setPostError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    }
  };

  const rollback = async () => {
    setPostError(null);
    setConfirmRollback(false);
    try {
      const r = await api<{ task: Task }>('POST', `/api/installations/${encodeURIComponent(name)}/rollback`);
      setFinished(null);
      setTask({ id: r.task.id, kind: 'rollback' });
    } catch (err) {
      setPostError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    }
  };

  const serverErrors = postError ? fieldErrors(postError.details.filter((d) => d.path.startsWith('config.')), 'config.') : {};
  const busy = task !== null && finished === null;

  return (
    <div className="update-panel">
      <h2>Update</h2>
      <p>
        {name} runs {installation.app} <strong data-testid="current-version">{installation.version}</strong>
        {installation.packageVersion > 1 && ` (package ${installation.packageVersion})`}. An update takes a snapshot first and rolls back by itself if anything fails.
      </p>
      {task && (
        <TaskProgress
          key={task.id}
          taskId={task.id}
          title={task.kind === 'update' ? `Updating ${name}` : `Rolling ${name} back`}
          onDone={(t) => {
            setFinished(t);
            setTarget(null);
            reload();
            onChange();
          }}
        />
      )}
      {finished?.status === 'succeeded' && (
        <p className="notice ok" role="status" data-testid="update-done">
          {finished.message}
        </p>
      )}
      {finished?.status === 'rolled_back' && (
        <div className="notice warn big" role="alert" data-testid="update-rolled-back">
          <strong>The update failed and was rolled back.</strong> {finished.message}
        </div>
      )}
      {postError && <ErrorBox error={postError} title="Freehold refused" />}
      {error && <ErrorBox error={error} />}
      {!data && loading && <Loading what="updates" />}
      {data && !busy && (
        <>
          {data.offers.length === 0 ? (
            <Empty title="Up to date">
              <p>
                {name} runs the newest {installation.app} in the catalog.
              </p>
            </Empty>
          ) : (
            <fieldset className="offers">
              <legend>Versions you can update to</legend>
              {data.offers.map((o) => {
                const id = `offer-${o.version}-${o.packageVersion}`;
                const selected = preview?.to.version === o.version && preview?.to.packageVersion === o.packageVersion;
                return (
                  <div key={id} className={`offer${o.reachable ? '' : ' unreachable'}`}>
                    <input type="radio" id={id} name="offer" checked={selected} disabled={!o.reachable} onChange={() => setTarget({ to: o.version, pkg: o.packageVersion })} />
                    <label htmlFor={id}>
                      {o.version}
                      {o.packageVersion > 1 && ` (package ${o.packageVersion})`} <span className="badge neutral">{o.step}</span>
                      {!o.reachable && o.reason && <span className="muted"> — {o.reason}</span>}
                    </label>
                  </div>
                );
              })}
            </fieldset>
          )}
          {preview && (
            <section className="preview" aria-label={`Update to ${preview.to.version}`}>
              <h3>
                {preview.from.version} → {preview.to.version}
              </h3>
              <p>
                A {preview.step} update. {preview.migrates ? "The app's data migration runs once, after the snapshot." : 'No data migration runs.'}
              </p>
              <h4>What changes in the settings</h4>
              <table className="changes" data-testid="config-changes">
                <thead>
                  <tr>
                    <th scope="col">Option</th>
                    <th scope="col">Change</th>
                    <th scope="col">Now</th>
                    <th scope="col">After</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.config.map((c) => (
                    <tr key={`${c.kind}:${c.path}`} className={`change-${c.kind}${c.needsValue || needs.has(c.path) ? ' needs' : ''}`}>
                      <td>
                        <code>{c.path}</code>
                      </td>
                      <td>
                        {KIND_LABEL[c.kind] ?? c.kind}
                        {c.from && c.from !== c.path && (
                          <>
                            {' '}
                            from <code>{c.from}</code>
                          </>
                        )}
                        {(c.needsValue || needs.has(c.path)) && <strong className="needs-label"> · needs a value{c.problem ? ` (${c.problem})` : ''}</strong>}
                      </td>
                      <td>{show(c.old)}</td>
                      <td>{c.kind === 'removed' ? '(dropped)' : show(c.new)}</td>
                    </tr>
                  ))}
                  {preview.config.length === 0 && (
                    <tr>
                      <td colSpan={4}>No option changes.</td>
                    </tr>
                  )}
                </tbody>
              </table>
              {(preview.schema ?? []).some((c) => c.kind === 'type-changed' || c.kind === 'default-changed') && (
                <ul className="schema-changes">
                  {(preview.schema ?? [])
                    .filter((c) => c.kind === 'type-changed' || c.kind === 'default-changed')
                    .map((c) => (
                      <li key={`${c.kind}:${c.path}`}>
                        <code>{c.path}</code>:{' '}
                        {c.kind === 'type-changed' ? `its type changes from ${c.oldType ?? '?'} to ${c.newType ?? '?'}` : `its default changes from ${show(c.oldDefault)} to ${show(c.newDefault)}`}
                      </li>
                    ))}
                </ul>
              )}
              {(decisions.length > 0 || suggestions.length > 0) && (
                <div className="decisions notice warn" data-testid="decisions">
                  <h4>Needs your decision</h4>
                  {decisions.length > 0 && (
                    <ul>
                      {decisions.map((c) => (
                        <li key={c.path}>
                          <code>{c.path}</code>: new and required, with no default. Fill it in the new settings below.
                        </li>
                      ))}
                    </ul>
                  )}
                  {suggestions.length > 0 && (
                    <fieldset>
                      <legend>Possible renames (not applied unless you tick them)</legend>
                      {suggestions.map((s, i) => (
                        <div key={`${s.from}>${s.to}`}>
                          <input type="checkbox" id={`rename-${i}`} checked={!!confirmed[i]} onChange={(e) => toggle(i, e.target.checked)} />
                          <label htmlFor={`rename-${i}`}>
                            Rename <code>{s.from}</code> to <code>{s.to}</code>? <span className="muted">({s.reason}; likeness {Math.round(s.score * 100)}%)</span>
                            {s.competing && <strong className="needs-label"> · another candidate is as likely: choose one</strong>}
                          </label>
                        </div>
                      ))}
                    </fieldset>
                  )}
                </div>
              )}
              {preview.newSchema && preview.values ? (
                <div className="side-by-side">
                  <section aria-label={`Settings now (${preview.from.version})`} data-testid="old-config">
                    <h4>Now ({preview.from.version})</h4>
                    {preview.oldSchema ? (
                      <SchemaForm idPrefix="old" schema={preview.oldSchema} uiSchema={preview.oldUi} formData={preview.values.old} readOnly />
                    ) : (
                      <pre>{JSON.stringify(preview.values.old, null, 2)}</pre>
                    )}
                  </section>
                  <section aria-label={`Settings after the update (${preview.to.version})`} data-testid="new-config">
                    <h4>After the update ({preview.to.version})</h4>
                    <SchemaForm
                      idPrefix="new"
                      schema={preview.newSchema}
                      uiSchema={newUi}
                      formData={values}
                      serverErrors={serverErrors}
                      onChange={setValues}
                      onSubmit={(v) => void start(v)}
                      submitLabel={`Update to ${preview.to.version}`}
                    >
                      <div className="actions">
                        <button type="submit" className="primary">
                          Update to {preview.to.version}
                        </button>
                      </div>
                    </SchemaForm>
                  </section>
                </div>
              ) : (
                <div className="actions">
                  <p className="muted">The settings are carried over as the table says.</p>
                  <button type="button" className="primary" onClick={() => void start()}>
                    Update to {preview.to.version}
                  </button>
                </div>
              )}
            </section>
          )}
          {!preview && data.offers.length > 0 && <p>No version can be reached directly from {installation.version}: update through an intermediate version first.</p>}
        </>
      )}
      <section className="rollback">
        <h3>Roll back</h3>
        <p className="help">Go back to the state before the last update: its version, settings and data (what was written since is lost).</p>
        {confirmRollback ? (
          <div className="notice warn" role="alert">
            <p>Roll {name} back to before its last update?</p>
            <button type="button" className="danger" onClick={rollback}>
              Roll back
            </button>{' '}
            <button type="button" onClick={() => setConfirmRollback(false)}>
              Cancel
            </button>
          </div>
        ) : (
          <button type="button" onClick={() => setConfirmRollback(true)} disabled={busy}>
            Roll back the last update…
          </button>
        )}
      </section>
    </div>
  );
}
