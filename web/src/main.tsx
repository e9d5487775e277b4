import { lazy, StrictMode, Suspense, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { clearToken, getToken, onUnauthorized } from './api';
import { Link, match, navigate, useLocation } from './router';
import { SignIn } from './pages/SignIn';
import { Dashboard } from './pages/Dashboard';
import { Catalog } from './pages/Catalog';
import { AppPage } from './pages/AppPage';
import { Install } from './pages/Install';
import { InstallationPage } from './pages/InstallationPage';
import { Empty, Loading, PageTitle } from './components/ui';
import './styles.css';

// The settings pages are loaded when first opened, so the first load stays small.
const Settings = lazy(() => import('./pages/settings/Settings').then((m) => ({ default: m.Settings })));

function App() {
  const loc = useLocation();
  const [authMessage, setAuthMessage] = useState<string | null>(null);
  const signedIn = getToken() !== null;

  useEffect(() => {
    onUnauthorized((message) => {
      setAuthMessage(message);
      if (location.pathname !== '/signin') navigate(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    });
  }, []);
  useEffect(() => {
    if (!signedIn && loc.path !== '/signin') navigate(`/signin?next=${encodeURIComponent(loc.path + (loc.query.toString() ? `?${loc.query}` : ''))}`, { replace: true });
  }, [signedIn, loc]);

  if (loc.path === '/signin' || !signedIn) return <SignIn message={authMessage} next={loc.query.get('next') ?? '/'} />;

  let page;
  let m: Record<string, string> | null;
  if (loc.path === '/') page = <Dashboard />;
  else if (loc.path === '/catalog') page = <Catalog loc={loc} />;
  else if ((m = match('/catalog/:id/install', loc.path))) page = <Install key={m.id} id={m.id} />;
  else if ((m = match('/catalog/:id', loc.path))) page = <AppPage key={m.id} id={m.id} />;
  else if ((m = match('/installations/:name/:tab?', loc.path))) page = <InstallationPage key={m.name} name={m.name} tab={m.tab ?? ''} />;
  else if ((m = match('/settings/:section?/:item?', loc.path))) page = (
      <Suspense fallback={<Loading what="the settings" />}>
        <Settings section={m.section ?? ''} item={m.item} />
      </Suspense>
    );
  else
    page = (
      <>
        <PageTitle>Not found</PageTitle>
        <Empty title={`Nothing at ${loc.path}`}>
          <Link to="/">Go to your apps</Link>
        </Empty>
      </>
    );

  const section = loc.path.startsWith('/catalog') ? 'catalog' : loc.path === '/' || loc.path.startsWith('/installations') ? 'apps' : loc.path.startsWith('/settings') ? 'settings' : '';
  return (
    <>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          Freehold
        </Link>
        <nav aria-label="Main">
          <Link to="/" aria-current={section === 'apps' ? 'page' : undefined}>
            Your apps
          </Link>
          <Link to="/catalog" aria-current={section === 'catalog' ? 'page' : undefined}>
            Catalog
          </Link>
          {/* Named apart from an installation's own "Settings" tab */}
          <Link to="/settings" aria-current={section === 'settings' ? 'page' : undefined} aria-label="Freehold settings">
            Settings
          </Link>
          <a href="/docs" target="_blank" rel="noreferrer">
            API
          </a>
          <button
            type="button"
            className="link"
            onClick={() => {
              clearToken();
              setAuthMessage('You signed out.');
              navigate('/signin', { replace: true });
            }}
          >
            Sign out
          </button>
        </nav>
      </header>
      <main id="main">{page}</main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
