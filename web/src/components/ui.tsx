/** Small shared pieces: loading and error states, badges, page titles, data loading. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { api, ApiError, errorMessage, type FieldError } from '../api';

export function useApi<T>(path: string | null, opts: { refreshMs?: number } = {}) {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<ApiError | Error | undefined>();
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    if (path === null) return;
    const ctrl = new AbortController();
    setLoading(true);
    api<T>('GET', path, undefined, { signal: ctrl.signal })
      .then((d) => {
        setData(d);
        setError(undefined);
      })
      .catch((err) => {
        if (!ctrl.signal.aborted) setError(err);
      })
      .finally(() => {
        if (!ctrl.signal.aborted) setLoading(false);
      });
    return () => ctrl.abort();
  }, [path, tick]);
  useEffect(() => {
    if (!opts.refreshMs || path === null) return;
    const t = setInterval(reload, opts.refreshMs);
    return () => clearInterval(t);
  }, [opts.refreshMs, path, reload]);
  return { data, error, loading, reload };
}

/** The page's main heading; it takes the focus when the page opens, for keyboard and screen reader users */
export function PageTitle({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

/** An error as the API said it, with its field details, and what to do next; `retry` adds a "Try again" button */
export function ErrorBox({ error, title, retry, children }: { error: unknown; title?: string; retry?: () => void; children?: ReactNode }) {
  const details: FieldError[] = error instanceof ApiError ? error.details : [];
  return (
    <div className="error-box" role="alert">
      {title && <strong>{title}</strong>}
      <p className="error-message">{errorMessage(error)}</p>
      {details.length > 0 && (
        <ul className="error-details">
          {details.map((d, i) => (
            <li key={i}>
              <code>{d.path}</code> {d.message}
            </li>
          ))}
        </ul>
      )}
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
      {children}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

const STATUS_CLASS: Record<string, string> = {
  running: 'ok',
  succeeded: 'ok',
  failed: 'bad',
  rolled_back: 'bad',
  installing: 'busy',
  updating: 'busy',
  queued: 'busy',
  rolling_back: 'busy',
  uninstalling: 'busy',
  restoring: 'busy',
};

export function Status({ status }: { status: string }) {
  return <span className={`badge ${STATUS_CLASS[status] ?? 'neutral'}`}>{status.replace(/_/g, ' ')}</span>;
}

export function when(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v));

/** Field errors from the API whose path starts with a prefix, keyed by the rest of the path */
export function fieldErrors(details: FieldError[], prefix = ''): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of details) {
    if (prefix && !d.path.startsWith(prefix)) continue;
    const key = d.path.slice(prefix.length) || '(form)';
    (out[key] ??= []).push(d.message);
  }
  return out;
}
