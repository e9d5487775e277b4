/** Settings: the infrastructure Freehold uses, one section per concern (issue 5). */
import { Link } from '../../router';
import { Empty, PageTitle } from '../../components/ui';
import { Domains, DomainDetail } from './Domains';
import { IpPools } from './IpPools';
import { Certificates } from './Certificates';
import { Hosts } from './Hosts';
import { SecretsBackend } from './SecretsBackend';

export const SECTIONS = [
  { id: 'domains', label: 'Domains' },
  { id: 'ip-pools', label: 'IP pools' },
  { id: 'certificates', label: 'Certificates' },
  { id: 'hosts', label: 'Hosts' },
  { id: 'secrets', label: 'Secrets backend' },
];

/** /settings/:section?/:item? (the domains section has a page per domain) */
export function Settings({ section, item }: { section: string; item?: string }) {
  const current = section || 'domains';
  const known = SECTIONS.some((s) => s.id === current);
  return (
    <div className="settings">
      <PageTitle>Settings</PageTitle>
      <nav className="tabs" aria-label="Settings sections">
        {SECTIONS.map((s) => (
          <Link key={s.id} to={`/settings/${s.id}`} aria-current={current === s.id ? 'page' : undefined}>
            {s.label}
          </Link>
        ))}
      </nav>
      <section className="tab-body">
        {current === 'domains' && (item ? <DomainDetail key={item} name={item} /> : <Domains />)}
        {current === 'ip-pools' && <IpPools />}
        {current === 'certificates' && <Certificates />}
        {current === 'hosts' && <Hosts />}
        {current === 'secrets' && <SecretsBackend />}
        {!known && (
          <Empty title="No such section">
            <Link to="/settings">Go to the settings</Link>
          </Empty>
        )}
      </section>
    </div>
  );
}
