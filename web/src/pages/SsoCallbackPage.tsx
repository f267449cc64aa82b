import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/AuthContext';
import { safeNext } from '../auth/guards';
import { AuthCard } from '../components/Layout';
import { ErrorMessage, Loading } from '../components/Status';
import { usePageTitle } from '../lib/hooks';

/**
 * Where the server sends the browser after an identity provider: the fragment holds a one-time code
 * (traded here for a session) or the reason the sign-in failed. Fragments never reach a server.
 */
export function SsoCallbackPage() {
  usePageTitle('Signing in');
  const { signInWithCode } = useAuth();
  const navigate = useNavigate();
  const [failure, setFailure] = useState<unknown>(null);
  const started = useRef(false);
  const params = new URLSearchParams(window.location.hash.slice(1));
  const code = params.get('code');
  const message = params.get('message');
  const next = safeNext(params.get('next'));

  useEffect(() => {
    if (!code || started.current) return;
    started.current = true;
    window.history.replaceState(null, '', window.location.pathname);
    signInWithCode(code).then(
      () => navigate(next, { replace: true }),
      (e: unknown) => setFailure(e),
    );
  }, [code, next, navigate, signInWithCode]);

  if (code && !failure) return <Loading label="Signing you in…" />;
  return (
    <AuthCard title="Sign-in failed" footer={<Link to="/login">Back to sign in</Link>}>
      {failure ? (
        <ErrorMessage title="The sign-in could not be completed" error={failure} />
      ) : (
        <p role="alert">{message ?? 'The sign-in could not be completed; start again.'}</p>
      )}
    </AuthCard>
  );
}
