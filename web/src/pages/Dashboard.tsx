import { useDeferredValue, useMemo, useState } from 'react';
import type { Installation, InstallationHealth } from '../api';
import { Link } from '../router';
import { Empty, ErrorBox, Loading, PageTitle, Status, useApi } from '../components/ui';

export function Dashboard() {
  const { data, error, loading, reload } = useApi<{ installations: Installation[] }>('/api/installations', { refreshMs: 5000 });
  // Health comes from the health monitor's last probes; a dashboard without it still works.
  const { data: healthData } = useApi<{ health: Record<string, InstallationHealth> }>('/api/health/installations', { refreshMs: 5000 });
  const health = healthData?.health ?? {};
  const [filter, setFilter] = useState('');
  const q = useDeferredValue(filter.trim().toLowerCase());
  const list = data?.installations;
  const shown = useMemo(() => (list ?? []).filter((i) => !q || `${i.name} ${i.app} ${i.domain} ${i.status}`.toLowerCase().includes(q)), [list, q]);
  return (
    <>
      <div className="page-head">
        <PageTitle>Your apps</PageTitle>
        <Link to="/catalog" className="button primary">
          Install an app
        </Link>
      </div>
      {error && <ErrorBox error={error} retry={reload} />}
      {!list && loading && <Loading what="your apps" />}
      {list && list.length === 0 && (
        <Empty title="Nothing installed yet">
          <p>Pick an app in the catalog: a calendar, a wiki, a blog… Freehold installs it on this machine at its own address.</p>
          <Link to="/catalog" className="button primary">
            Browse the catalog
          </Link>
        </Empty>
      )}
      {list && list.length > 0 && (
        <>
          {list.length > 8 && (
            <div className="toolbar">
              <label htmlFor="filter">Filter</label>
              <input id="filter" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="name, app or status" />
              <span className="muted">
                {shown.length} of {list.length}
              </span>
            </div>
          )}
          <table className="installations" data-testid="installations">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">App</th>
                <th scope="col">Version</th>
                <th scope="col">Status</th>
                <th scope="col">Health</th>
                <th scope="col">Address</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((i) => (
                <tr key={i.id} data-name={i.name}>
                  <td data-label="Name">
                    <Link to={`/installations/${encodeURIComponent(i.name)}`}>{i.name}</Link>
                  </td>
                  <td data-label="App">{i.app}</td>
                  <td data-label="Version">
                    {i.version}
                    {i.updateAvailable && (
                      <Link to={`/installations/${encodeURIComponent(i.name)}/update`} className="badge update" title={`Update available: ${i.updateAvailable}`}>
                        update: {i.updateAvailable}
                      </Link>
                    )}
                  </td>
                  <td data-label="Status">
                    <Status status={i.status} />
                  </td>
                  <td data-label="Health">
                    <Health health={health[i.name]} />
                  </td>
                  <td data-label="Address">
                    <a href={i.url} target="_blank" rel="noreferrer">
                      {i.domain}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

const HEALTH_LABEL: Record<InstallationHealth['state'], string> = { healthy: 'healthy', failing: 'failing', unhealthy: 'unhealthy', unknown: '–' };

function Health({ health }: { health?: InstallationHealth }) {
  if (!health) return <span className="muted">–</span>;
  const title = health.error ? `${health.component}: ${health.error} (since ${health.since})` : health.checkedAt ? `checked ${health.checkedAt}` : 'not checked yet';
  return (
    <span className={`badge health-${health.state}`} title={title} data-health={health.state}>
      {HEALTH_LABEL[health.state]}
    </span>
  );
}
