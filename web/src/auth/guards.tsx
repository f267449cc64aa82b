import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { ErrorMessage, Loading } from '../components/Status';
import { useAuth } from './AuthContext';

function FullPage({ children }: { children: ReactNode }) {
  return <div className="full-page">{children}</div>;
}

/** Only for signed-in users; others go to /login and come back afterwards. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { status, error, retry } = useAuth();
  const location = useLocation();
  if (status === 'loading')
    return (
      <FullPage>
        <Loading label="Restoring your session…" />
      </FullPage>
    );
  if (status === 'error')
    return (
      <FullPage>
        <ErrorMessage title="Could not restore your session" error={error} onRetry={retry} />
      </FullPage>
    );
  if (status === 'signedOut') {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

/** Only for admins; the API also answers 403, this just avoids a page of errors. */
export function RequireAdmin({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  if (user?.role !== 'admin') {
    return (
      <section className="stack">
        <h1>Administrators only</h1>
        <p>You need an administrator account to open this page.</p>
      </section>
    );
  }
  return <>{children}</>;
}

/** Sign-in and registration pages send signed-in users on to where they were going. */
export function PublicOnly({ children }: { children: ReactNode }) {
  const { status } = useAuth();
  const location = useLocation();
  if (status === 'loading')
    return (
      <FullPage>
        <Loading label="Restoring your session…" />
      </FullPage>
    );
  if (status === 'signedIn') {
    const next = new URLSearchParams(location.search).get('next');
    return <Navigate to={safeNext(next)} replace />;
  }
  return <>{children}</>;
}

/** Only same-app paths: never an absolute URL or protocol-relative "//host". */
export function safeNext(next: string | null): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}
