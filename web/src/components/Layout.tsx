import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { api } from '../api/client';
import { useAuth } from '../auth/AuthContext';
import { useCurrentTeam } from '../lib/currentTeam';
import { useAsync } from '../lib/hooks';
import { NotificationBell } from './NotificationBell';

const MAIN_LINKS = [
  { to: '/', label: 'Dashboard', end: true },
  { to: '/tasks/new', label: 'New task' },
  { to: '/content', label: 'Content' },
  { to: '/teams', label: 'Teams' },
  { to: '/reports', label: 'Reports' },
  { to: '/spend', label: 'Spend' },
  { to: '/links', label: 'Linked accounts' },
  { to: '/tokens', label: 'API tokens' },
];

const ADMIN_LINKS = [
  { to: '/admin/users', label: 'Users' },
  { to: '/admin/providers', label: 'Providers' },
  { to: '/admin/stats', label: 'Statistics' },
  { to: '/admin/logs', label: 'Audit log' },
  { to: '/admin/settings', label: 'Settings' },
  { to: '/admin/hooks', label: 'Webhooks' },
];

export function Layout() {
  const { user, signOut } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // After a client-side navigation, move focus to the new page so screen readers announce it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on path changes only
  useEffect(() => {
    setMenuOpen(false);
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const heading = mainRef.current?.querySelector<HTMLElement>('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: false });
    } else mainRef.current?.focus();
  }, [location.pathname]);

  const isAdmin = user?.role === 'admin';
  const linkClass = ({ isActive }: { isActive: boolean }) => `nav-link${isActive ? ' active' : ''}`;

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand" end>
          <span className="brand-mark" aria-hidden="true">
            ⇄
          </span>
          <span className="brand-text">Switchyard</span>
        </NavLink>
        <div className="user-menu">
          <TeamSwitcher />
          <NotificationBell />
          <NavLink to="/profile" className={linkClass}>
            <span className="visually-hidden">Profile: </span>
            <span className="user-name">{user?.username}</span>
            {isAdmin && <span className="badge badge-admin">admin</span>}
          </NavLink>
          <button
            type="button"
            className="btn btn-sm"
            disabled={signingOut}
            onClick={async () => {
              setSigningOut(true);
              await signOut();
              navigate('/login', { replace: true });
            }}
          >
            {signingOut ? 'Signing out…' : 'Sign out'}
          </button>
          <button
            type="button"
            className="btn btn-sm menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="site-nav"
            onClick={() => setMenuOpen((o) => !o)}
          >
            Menu
          </button>
        </div>
      </header>
      <div className="shell">
        <div id="site-nav" className={`sidebar${menuOpen ? ' open' : ''}`}>
          <nav aria-label="Main">
            <ul className="nav-list">
              {MAIN_LINKS.map((l) => (
                <li key={l.to}>
                  <NavLink to={l.to} end={l.end} className={linkClass}>
                    {l.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          {isAdmin && (
            <nav aria-labelledby="admin-nav-heading" className="admin-nav">
              <p className="nav-heading" id="admin-nav-heading">
                Administration
              </p>
              <ul className="nav-list">
                {ADMIN_LINKS.map((l) => (
                  <li key={l.to}>
                    <NavLink to={l.to} className={linkClass}>
                      {l.label}
                    </NavLink>
                  </li>
                ))}
              </ul>
            </nav>
          )}
        </div>
        <main id="main" ref={mainRef} tabIndex={-1} className="main">
          <Outlet />
        </main>
      </div>
    </div>
  );
}

/** Which team the portal shows (personal = no team); task and content lists filter by it. */
function TeamSwitcher() {
  const [current, setCurrent] = useCurrentTeam();
  const teams = useAsync((s) => api.listTeams(s), []);
  const items = teams.data?.items ?? [];
  // A team not in the list: reload once (it may just have been joined); still missing → the user
  // left it (or it is gone), so fall back to personal.
  const recheckedFor = useRef<string | null>(null);
  useEffect(() => {
    if (!current || !teams.data || items.some((t) => t.id === current)) return;
    if (recheckedFor.current !== current) {
      recheckedFor.current = current;
      teams.reload({ silent: true });
    } else setCurrent(null);
  }, [current, teams.data, items, setCurrent, teams.reload]);
  if (items.length === 0) return null;
  return (
    <label className="inline-field team-switcher">
      <span className="visually-hidden">Current team</span>
      <select
        className="input"
        value={current ?? ''}
        onChange={(e) => setCurrent(e.target.value || null)}
        data-testid="team-switcher"
      >
        <option value="">Personal</option>
        {items.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
    </label>
  );
}

export function PageHeader({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children && <div className="page-actions">{children}</div>}
    </div>
  );
}

/** The sign-in and registration card, outside the app's layout. */
export function AuthCard({
  title,
  children,
  footer,
}: {
  title: string;
  children: ReactNode;
  footer: ReactNode;
}) {
  return (
    <div className="auth-page">
      <main id="main" className="auth-card card">
        <p className="brand auth-brand">
          <span className="brand-mark" aria-hidden="true">
            ⇄
          </span>{' '}
          Switchyard
        </p>
        <h1>{title}</h1>
        {children}
        <p className="muted">{footer}</p>
      </main>
    </div>
  );
}

/** A card that is a region of the page, named by its heading. */
export function Card({
  title,
  children,
  className = 'card stack',
  titleClassName,
}: {
  title: ReactNode;
  children: ReactNode;
  className?: string;
  titleClassName?: string;
}) {
  const id = useId();
  return (
    <section className={className} aria-labelledby={id}>
      <h2 id={id} className={titleClassName}>
        {title}
      </h2>
      {children}
    </section>
  );
}

/** The button that opens an "add" form; hidden while the form is open. */
export function AddButton({ label, open, onOpen }: { label: string; open: boolean; onOpen: () => void }) {
  if (open) return null;
  return (
    <button type="button" className="btn btn-primary" onClick={onOpen}>
      {label}
    </button>
  );
}
