import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { isApiError } from '../api/errors';
import { useAuth } from '../auth/AuthContext';
import { safeNext } from '../auth/guards';
import { Field } from '../components/Field';
import { ErrorMessage } from '../components/Status';
import { usePageTitle } from '../lib/hooks';

export function LoginPage() {
  usePageTitle('Sign in');
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [identifier, setIdentifier] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      await signIn(identifier, password);
      navigate(safeNext(params.get('next')), { replace: true });
    } catch (err) {
      setError(err);
      setPending(false);
    }
  };

  const suspended = isApiError(error) && error.status === 403;
  return (
    <div className="auth-page">
      <main id="main" className="auth-card card">
        <p className="brand auth-brand">
          <span className="brand-mark" aria-hidden="true">
            ⇄
          </span>{' '}
          Switchyard
        </p>
        <h1>Sign in</h1>
        <form onSubmit={onSubmit} className="stack" noValidate>
          {error !== null && (
            <ErrorMessage error={error} title={suspended ? 'Account unavailable' : undefined} />
          )}
          <Field label="Username or email" required>
            {(p) => (
              <input
                {...p}
                className="input"
                name="username"
                autoComplete="username"
                required
                value={identifier}
                onChange={(e) => setIdentifier(e.target.value)}
              />
            )}
          </Field>
          <Field label="Password" required>
            {(p) => (
              <input
                {...p}
                className="input"
                type="password"
                name="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
          <button
            type="submit"
            className="btn btn-primary btn-block"
            disabled={pending || !identifier || !password}
          >
            {pending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="muted">
          No account yet? <Link to="/register">Create one</Link>
        </p>
      </main>
    </div>
  );
}
