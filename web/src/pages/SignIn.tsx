import { useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage, setToken, TOKEN_HINT } from '../api';
import { navigate } from '../router';
import { PageTitle } from '../components/ui';

export function SignIn({ message, next }: { message?: string | null; next: string }) {
  const [token, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return setError(`Paste the admin token. ${TOKEN_HINT}`);
    setBusy(true);
    setError(null);
    try {
      await api('GET', '/api/hosts', undefined, { token: t });
      setToken(t);
      navigate(next.startsWith('/') && !next.startsWith('/signin') ? next : '/', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? `Freehold did not accept this token. ${TOKEN_HINT}` : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="signin">
      <PageTitle>Sign in to Freehold</PageTitle>
      <p>Freehold runs your apps on your own machine. Sign in with its admin token.</p>
      {message && !error && (
        <div className="notice warn" role="alert" data-testid="signin-message">
          {message}
        </div>
      )}
      <form onSubmit={submit} className="card">
        <label htmlFor="token">Admin token</label>
        <input id="token" name="token" type="password" autoComplete="current-password" autoFocus value={token} onChange={(e) => setValue(e.target.value)} aria-describedby="token-help" aria-invalid={error ? true : undefined} />
        <p id="token-help" className="help">
          {TOKEN_HINT}
        </p>
        {error && (
          <p className="field-error" role="alert" data-testid="signin-error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
