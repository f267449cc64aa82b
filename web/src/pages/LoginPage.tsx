import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api } from '../api/client';
import { isApiError } from '../api/errors';
import { useAuth } from '../auth/AuthContext';
import { safeNext } from '../auth/guards';
import { TextField } from '../components/Field';
import { Form, useForm } from '../components/Form';
import { AuthCard } from '../components/Layout';
import { useAsync, usePageTitle } from '../lib/hooks';

export function LoginPage() {
  usePageTitle('Sign in');
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const form = useForm({
    initial: { username: '', password: '' },
    send: async (v) => {
      await signIn(v.username, v.password);
      navigate(safeNext(params.get('next')), { replace: true });
    },
  });
  const { username, password } = form.values;

  return (
    <AuthCard title="Sign in" footer={<NoAccount />}>
      <SsoButtons next={safeNext(params.get('next'))} />
      <Form
        state={form}
        errorTitle={isApiError(form.error) && form.error.status === 403 ? 'Account unavailable' : undefined}
        submitLabel="Sign in"
        pendingLabel="Signing in…"
        disabled={!username || !password}
        submitClassName="btn btn-primary btn-block"
      >
        <TextField label="Username or email" required autoComplete="username" {...form.field('username')} />
        <TextField
          label="Password"
          required
          type="password"
          autoComplete="current-password"
          {...form.field('password')}
        />
      </Form>
    </AuthCard>
  );
}

/** One button per configured identity provider; each leads through the server to the provider. */
export function SsoButtons({ next }: { next: string }) {
  const providers = useAsync((s) => api.ssoProviders(s), []);
  const items = providers.data ?? [];
  if (items.length === 0) return null;
  return (
    <nav className="stack sso-buttons" aria-label="Sign in with">
      {items.map((p) => (
        <a key={p.id} className="btn btn-block" href={api.ssoStartUrl(p.id, next)}>
          Sign in with {p.name}
        </a>
      ))}
      <p className="muted center">or with your password</p>
    </nav>
  );
}

function NoAccount() {
  return (
    <>
      No account yet? <Link to="/register">Create one</Link>
    </>
  );
}
