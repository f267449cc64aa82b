import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { fieldErrors, isApiError } from '../api/errors';
import { useAuth } from '../auth/AuthContext';
import { Field } from '../components/Field';
import { ErrorMessage } from '../components/Status';
import { usePageTitle } from '../lib/hooks';

const MIN_PASSWORD = 8;

export function RegisterPage() {
  usePageTitle('Create an account');
  const { register } = useAuth();
  const navigate = useNavigate();
  const [form, setForm] = useState({ username: '', email: '', password: '', confirm: '' });
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});

  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!form.username.trim()) errs.username = 'Choose a username.';
    if (!/^\S+@\S+\.\S+$/.test(form.email)) errs.email = 'Enter a valid email address.';
    if (form.password.length < MIN_PASSWORD) errs.password = `Use at least ${MIN_PASSWORD} characters.`;
    if (form.password !== form.confirm) errs.confirm = 'The passwords do not match.';
    setLocalErrors(errs);
    if (Object.keys(errs).length) return;
    setPending(true);
    setError(null);
    try {
      await register({ username: form.username.trim(), email: form.email.trim(), password: form.password });
      navigate('/', { replace: true });
    } catch (err) {
      setError(err);
      setPending(false);
    }
  };

  const serverErrors = fieldErrors(error);
  const errs = { ...serverErrors, ...localErrors };
  const closed = isApiError(error) && error.status === 403;

  return (
    <div className="auth-page">
      <main id="main" className="auth-card card">
        <p className="brand auth-brand">
          <span className="brand-mark" aria-hidden="true">
            ⇄
          </span>{' '}
          Switchyard
        </p>
        <h1>Create an account</h1>
        <form onSubmit={onSubmit} className="stack" noValidate>
          {error !== null && (
            <ErrorMessage
              error={error}
              title={
                closed
                  ? 'Registration is closed'
                  : isApiError(error) && error.status === 409
                    ? 'Already taken'
                    : undefined
              }
            />
          )}
          <Field label="Username" required error={errs.username}>
            {(p) => (
              <input
                {...p}
                className="input"
                name="username"
                autoComplete="username"
                value={form.username}
                onChange={set('username')}
              />
            )}
          </Field>
          <Field label="Email" required error={errs.email}>
            {(p) => (
              <input
                {...p}
                className="input"
                type="email"
                name="email"
                autoComplete="email"
                value={form.email}
                onChange={set('email')}
              />
            )}
          </Field>
          <Field
            label="Password"
            required
            error={errs.password}
            hint={`At least ${MIN_PASSWORD} characters.`}
          >
            {(p) => (
              <input
                {...p}
                className="input"
                type="password"
                name="password"
                autoComplete="new-password"
                value={form.password}
                onChange={set('password')}
              />
            )}
          </Field>
          <Field label="Confirm password" required error={errs.confirm}>
            {(p) => (
              <input
                {...p}
                className="input"
                type="password"
                name="confirm"
                autoComplete="new-password"
                value={form.confirm}
                onChange={set('confirm')}
              />
            )}
          </Field>
          <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
            {pending ? 'Creating account…' : 'Create account'}
          </button>
        </form>
        <p className="muted">
          Already registered? <Link to="/login">Sign in</Link>
        </p>
      </main>
    </div>
  );
}
