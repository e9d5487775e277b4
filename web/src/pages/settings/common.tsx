/**
 * Pieces the settings pages share: loading through a typed call, actions with a busy state and
 * the API's error, form fields that show the API's field errors next to them, and confirmations.
 */
import { useCallback, useEffect, useRef, useState, type ButtonHTMLAttributes, type ReactNode } from 'react';
import { ApiError, type FieldError } from '../../api';

/** Loads with a typed call (again on reload); keeps the last data while reloading */
export function useLoad<T>(call: (() => Promise<T>) | null, deps: unknown[] = []) {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(call !== null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    if (!call) return;
    let live = true;
    setLoading(true);
    call()
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(null);
      })
      .catch((err) => live && setError(err))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick, ...deps]);
  return { data, error, loading, reload };
}

/**
 * One action at a time with its busy state and its error: `run(label, fn)` returns true when fn
 * succeeded. `busy` is the label of the running action (for the button that shows progress).
 */
export function useAction() {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(async (label: string, fn: () => Promise<unknown>): Promise<boolean> => {
    setBusy(label);
    setError(null);
    try {
      await fn();
      return true;
    } catch (err) {
      if (mounted.current) setError(err);
      return false;
    } finally {
      if (mounted.current) setBusy(null);
    }
  }, []);
  const clear = useCallback(() => setError(null), []);
  return { busy, error, run, clear };
}

/** The API's field errors for a field: its own path and the paths under it (prefixes.0 for prefixes) */
export function errorsAt(error: unknown, fields: string | string[]): string[] {
  const details: FieldError[] = error instanceof ApiError ? error.details : [];
  const out: string[] = [];
  for (const d of details) {
    const field = ([] as string[]).concat(fields).find((f) => d.path === f || d.path.startsWith(`${f}.`));
    if (field !== undefined) out.push(d.path === field ? d.message : `${d.path.slice(field.length + 1)}: ${d.message}`);
  }
  return out;
}

/** A button that shows progress while its action runs (and cannot be pressed again then) */
export function BusyButton({ busy, busyLabel, children, disabled, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { busy: boolean; busyLabel: string }) {
  return (
    <button {...rest} disabled={disabled || busy} aria-busy={busy || undefined}>
      {busy ? (
        <>
          <span className="spinner" aria-hidden="true" />
          {busyLabel}
        </>
      ) : (
        children
      )}
    </button>
  );
}

interface FieldProps {
  id: string;
  label: string;
  /** The API path(s) of the field, to show its errors next to it */
  path: string | string[];
  error: unknown;
  help?: ReactNode;
  /** Rewords an error message for this field (e.g. a provider's error code) */
  describe?: (message: string) => string;
  children: (props: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactNode;
}

/** A labelled field with its help and the API's errors for its path */
export function Field({ id, label, path, error, help, describe, children }: FieldProps) {
  const errors = errorsAt(error, path).map((m) => (describe ? describe(m) : m));
  const described = [help ? `${id}-help` : '', errors.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className="field" data-field={([] as string[]).concat(path)[0]}>
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(errors.length && { 'aria-invalid': true as const }), ...(described && { 'aria-describedby': described }) })}
      {help && (
        <p className="help" id={`${id}-help`}>
          {help}
        </p>
      )}
      {errors.length > 0 && (
        <p className="field-error" id={`${id}-error`}>
          {errors.join('; ')}
        </p>
      )}
    </div>
  );
}

/** A text-like input as a Field */
export function TextField(props: {
  id: string;
  label: string;
  path: string | string[];
  error: unknown;
  value: string;
  onChange(v: string): void;
  help?: ReactNode;
  type?: 'text' | 'password' | 'url' | 'email' | 'number';
  placeholder?: string;
  required?: boolean;
  autoComplete?: string;
  describe?: (message: string) => string;
}) {
  const { value, onChange, type = 'text', placeholder, required, autoComplete, ...field } = props;
  return (
    <Field {...field}>
      {(a) => (
        <input
          {...a}
          type={type}
          value={value}
          placeholder={placeholder}
          required={required}
          // A secret is typed, never filled in by the browser from what Freehold had (it never sends one back)
          autoComplete={autoComplete ?? (type === 'password' ? 'new-password' : 'off')}
          spellCheck={false}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/** Splits a list typed by hand: commas, spaces or lines */
export const splitList = (s: string) =>
  s
    .split(/[\s,;]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** A confirmation shown in place: the question, the dangerous button and Cancel */
export function Confirm({ children, action, busy, busyLabel, onConfirm, onCancel }: { children: ReactNode; action: string; busy: boolean; busyLabel: string; onConfirm(): void; onCancel(): void }) {
  return (
    <div className="notice warn confirm" role="alertdialog" aria-label={action}>
      <div>{children}</div>
      <div className="actions">
        <BusyButton type="button" className="danger" busy={busy} busyLabel={busyLabel} onClick={onConfirm}>
          {action}
        </BusyButton>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** The non-secret settings of something (a provider, a backend) as a short list */
export function SettingsList({ settings }: { settings: Record<string, unknown> }) {
  const entries = Object.entries(settings).filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0));
  if (!entries.length) return <span className="muted">—</span>;
  return (
    <ul className="settings-list">
      {entries.map(([k, v]) => (
        <li key={k}>
          <span className="muted">{k}</span> <code>{Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v)}</code>
        </li>
      ))}
    </ul>
  );
}


/** A settings table's header: its column names, then an actions column named for screen readers only */
export function TableHead({ columns, actions = true }: { columns: string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {columns.map((name) => (
          <th scope="col" key={name}>
            {name}
          </th>
        ))}
        {actions && (
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        )}
      </tr>
    </thead>
  );
}
