import type { CatalogApp } from '../api';
import { Link } from '../router';
import { ErrorBox, Loading, PageTitle, useApi } from '../components/ui';

const ADDON_NAMES: Record<string, string> = {
  postgres: 'a PostgreSQL database',
  mysql: 'a MariaDB database',
  redis: 'a Redis store',
  volume: 'a data volume',
  s3: 'S3 storage (not provided yet)',
  smtp: 'an email account (not provided yet)',
  oidc: 'single sign-on (not provided yet)',
};

export function AppPage({ id }: { id: string }) {
  const { data: app, error, loading } = useApi<CatalogApp>(`/api/catalog/${encodeURIComponent(id)}`);
  if (error)
    return (
      <>
        <PageTitle>App {id}</PageTitle>
        <ErrorBox error={error}>
          <Link to="/catalog">Back to the catalog</Link>
        </ErrorBox>
      </>
    );
  if (!app || loading) return <Loading what="the app" />;
  const m = app.manifest;
  const screenshots = (m.screenshots ?? []).filter((s) => /^https?:\/\//.test(s));
  const options = Object.entries((m.config?.schema?.properties ?? {}) as Record<string, { title?: string; description?: string; default?: unknown }>);
  const required = (m.config?.schema?.required ?? []) as string[];
  return (
    <article className="app-page">
      <p className="crumbs">
        <Link to="/catalog">Catalog</Link> /
      </p>
      <div className="page-head">
        <PageTitle>{app.title}</PageTitle>
        <Link to={`/catalog/${encodeURIComponent(app.id)}/install`} className="button primary">
          Install {app.title}
        </Link>
      </div>
      <p className="lead">{app.description}</p>
      <dl className="facts">
        <dt>Version</dt>
        <dd data-testid="app-version">
          {app.version} (package {app.packageVersion})
        </dd>
        <dt>License</dt>
        <dd>{app.license}</dd>
        {app.website && (
          <>
            <dt>Website</dt>
            <dd>
              <a href={app.website} target="_blank" rel="noreferrer">
                {app.website}
              </a>
            </dd>
          </>
        )}
        <dt>Needs</dt>
        <dd>{app.addons.length ? app.addons.map((a) => ADDON_NAMES[a] ?? a).join(', ') : 'nothing besides its own data volume'}</dd>
        {(app.tags ?? []).length > 0 && (
          <>
            <dt>Categories</dt>
            <dd>
              {app.tags!.map((t) => (
                <Link key={t} to={`/catalog?tag=${encodeURIComponent(t)}`} className="tag">
                  {t}
                </Link>
              ))}
            </dd>
          </>
        )}
        <dt>Versions in the catalog</dt>
        <dd>{app.versions.map((v) => `${v.version}${v.packageVersion > 1 ? `-${v.packageVersion}` : ''}`).join(', ')}</dd>
      </dl>
      {screenshots.length > 0 && (
        <section>
          <h2>Screenshots</h2>
          <div className="screenshots">
            {screenshots.map((s) => (
              <img key={s} src={s} alt={`Screenshot of ${app.title}`} loading="lazy" />
            ))}
          </div>
        </section>
      )}
      {options.length > 0 && (
        <section>
          <h2>Settings you can choose</h2>
          <ul className="options">
            {options.map(([k, o]) => (
              <li key={k}>
                <strong>{o.title ?? k}</strong> <code>{k}</code>
                {required.includes(k) && <span className="badge neutral">required</span>}
                {o.description && <> — {o.description}</>}
                {o.default !== undefined && <span className="muted"> (default {JSON.stringify(o.default)})</span>}
              </li>
            ))}
          </ul>
        </section>
      )}
    </article>
  );
}
