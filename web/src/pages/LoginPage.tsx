import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { isApiError } from '../api/errors';
import { useAuth } from '../auth/AuthContext';
import { safeNext } from '../auth/guards';
import { TextField } from '../components/Field';
import { Form, useForm } from '../components/Form';
import { AuthCard } from '../components/Layout';
import { usePageTitle } from '../lib/hooks';

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

function NoAccount() {
  return (
    <>
      No account yet? <Link to="/register">Create one</Link>
    </>
  );
}
