/**
 * A configuration form generated from a JSON Schema, loaded on demand. A schema the form library
 * cannot render (or a form that fails to load) does not take the page down: the configuration is
 * then edited as JSON, which the server checks against the same schema.
 */
import { Component, lazy, Suspense, useState, type ErrorInfo, type FormEvent, type ReactNode } from 'react';
import type { RjsfFormProps } from '../forms/RjsfForm';

const RjsfForm = lazy(() => import('../forms/RjsfForm'));

export type SchemaFormProps = RjsfFormProps & {
  /** What the JSON editor's submit button says when the form cannot be shown */
  submitLabel?: string;
};

class Boundary extends Component<{ fallback: (error: Error) => ReactNode; resetKey: string; children: ReactNode }, { error: Error | null; key: string }> {
  state = { error: null as Error | null, key: this.props.resetKey };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  static getDerivedStateFromProps(props: { resetKey: string }, state: { error: Error | null; key: string }) {
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }
  componentDidCatch(error: Error, info: ErrorInfo) {
    console.warn('the configuration form could not be shown:', error, info.componentStack);
  }
  render() {
    return this.state.error ? this.props.fallback(this.state.error) : this.props.children;
  }
}

function JsonEditor({ error, ...p }: SchemaFormProps & { error: Error }) {
  const [text, setText] = useState(() => JSON.stringify(p.formData ?? {}, null, 2));
  const [problem, setProblem] = useState<string | null>(null);
  const parse = (): Record<string, unknown> | null => {
    try {
      const v = JSON.parse(text || '{}');
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('the configuration must be a JSON object, like {"option": "value"}');
      setProblem(null);
      return v as Record<string, unknown>;
    } catch (err) {
      setProblem(`Not valid JSON: ${(err as Error).message}`);
      return null;
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const v = parse();
    if (v) p.onSubmit?.(v);
  };
  return (
    <form className="json-editor" onSubmit={submit} data-testid="json-fallback">
      <div className="notice warn" role="alert">
        <strong>This configuration form cannot be shown</strong>
        <p>
          The app's configuration schema is one the form library cannot render ({error.message}). {p.readOnly ? 'Here are the values as JSON.' : 'Edit the values as JSON instead: Freehold checks them against the schema when you continue.'}
        </p>
      </div>
      <label htmlFor={`${p.idPrefix}-json`}>Configuration (JSON)</label>
      <textarea
        id={`${p.idPrefix}-json`}
        rows={8}
        value={text}
        readOnly={p.readOnly}
        spellCheck={false}
        onChange={(e) => {
          setText(e.target.value);
          try {
            const v = JSON.parse(e.target.value);
            if (v && typeof v === 'object' && !Array.isArray(v)) p.onChange?.(v);
          } catch {
            /* reported on submit */
          }
        }}
      />
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      {p.serverErrors && Object.keys(p.serverErrors).length > 0 && (
        <ul className="error-details" role="alert">
          {Object.entries(p.serverErrors).map(([k, v]) => (
            <li key={k}>
              <code>{k}</code> {v.join('; ')}
            </li>
          ))}
        </ul>
      )}
      {!p.readOnly && (p.children ?? <button type="submit">{p.submitLabel ?? 'Continue'}</button>)}
    </form>
  );
}

export function SchemaForm(p: SchemaFormProps) {
  return (
    <Boundary resetKey={JSON.stringify(p.schema)} fallback={(error) => <JsonEditor {...p} error={error} />}>
      <Suspense fallback={<p role="status">Loading the form…</p>}>
        <RjsfForm {...p} />
      </Suspense>
    </Boundary>
  );
}
