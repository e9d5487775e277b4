import { useMemo } from 'react';
import type { AppSummary } from '../api';
import { Link, navigate, type Location } from '../router';
import { Empty, ErrorBox, Loading, PageTitle, useApi } from '../components/ui';

export function Catalog({ loc }: { loc: Location }) {
  const { data, error, loading, reload } = useApi<{ apps: AppSummary[]; problems: { error: string }[] }>('/api/catalog');
  const q = loc.query.get('q') ?? '';
  const tag = loc.query.get('tag') ?? '';
  const setQuery = (next: { q?: string; tag?: string }) => {
    const p = new URLSearchParams();
    const nq = next.q ?? q;
    const nt = next.tag ?? tag;
    if (nq) p.set('q', nq);
    if (nt) p.set('tag', nt);
    const s = p.toString();
    navigate(`/catalog${s ? `?${s}` : ''}`, { replace: true });
  };
  const apps = data?.apps;
  const tags = useMemo(() => [...new Set((apps ?? []).flatMap((a) => a.tags ?? []))].sort(), [apps]);
  const shown = useMemo(() => {
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    return (apps ?? []).filter((a) => {
      if (tag && !(a.tags ?? []).includes(tag)) return false;
      const text = `${a.id} ${a.title} ${a.description} ${(a.tags ?? []).join(' ')}`.toLowerCase();
      return words.every((w) => text.includes(w));
    });
  }, [apps, q, tag]);

  return (
    <>
      <PageTitle>Catalog</PageTitle>
      <form className="toolbar" role="search" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="catalog-search">Search apps</label>
        <input id="catalog-search" type="search" value={q} placeholder="calendar, wiki, blog…" onChange={(e) => setQuery({ q: e.target.value })} />
      </form>
      {tags.length > 0 && (
        <div className="chips" role="group" aria-label="Categories">
          <button type="button" aria-pressed={!tag} onClick={() => setQuery({ tag: '' })}>
            All
          </button>
          {tags.map((t) => (
            <button type="button" key={t} aria-pressed={tag === t} onClick={() => setQuery({ tag: tag === t ? '' : t })}>
              {t}
            </button>
          ))}
        </div>
      )}
      {error && <ErrorBox error={error} retry={reload} />}
      {!apps && loading && <Loading what="the catalog" />}
      {apps && apps.length === 0 && (
        <Empty title="The catalog is empty">
          <p>Freehold found no apps. Start it with a catalog directory ("freehold up --catalog &lt;dir&gt;"), or check the problems below.</p>
        </Empty>
      )}
      {apps && apps.length > 0 && shown.length === 0 && (
        <Empty title="No app matches">
          <p>Try other words, or another category.</p>
          <button type="button" onClick={() => setQuery({ q: '', tag: '' })}>
            Show every app
          </button>
        </Empty>
      )}
      <ul className="cards">
        {shown.map((a) => (
          <li key={a.id} className="card app-card" data-app={a.id}>
            <h2>
              <Link to={`/catalog/${encodeURIComponent(a.id)}`}>{a.title}</Link>
            </h2>
            <p>{a.description}</p>
            <p className="muted">
              {a.version} · {a.license}
              {a.addons.length > 0 && <> · needs {a.addons.join(', ')}</>}
            </p>
            {(a.tags ?? []).length > 0 && (
              <p className="tags">
                {a.tags!.map((t) => (
                  <span key={t} className="tag">
                    {t}
                  </span>
                ))}
              </p>
            )}
          </li>
        ))}
      </ul>
      {data && data.problems.length > 0 && (
        <details className="problems">
          <summary>{data.problems.length} app(s) in the catalog could not be read</summary>
          <ul>
            {data.problems.map((p, i) => (
              <li key={i}>
                <pre>{p.error}</pre>
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}
