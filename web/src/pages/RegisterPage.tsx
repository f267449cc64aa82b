import { Link, useNavigate } from 'react-router-dom';
import { isApiError } from '../api/errors';
import { useAuth } from '../auth/AuthContext';
import { TextField } from '../components/Field';
import { type FieldErrors, Form, useForm } from '../components/Form';
import { AuthCard } from '../components/Layout';
import { usePageTitle } from '../lib/hooks';

const MIN_PASSWORD = 8;

const TITLES: Record<number, string> = { 403: 'Registration is closed', 409: 'Already taken' };

export function RegisterPage() {
  usePageTitle('Create an account');
  const { register } = useAuth();
  const navigate = useNavigate();
  const form = useForm({
    initial: { username: '', email: '', password: '', confirm: '' },
    send: async ({ username, email, password }) => {
      await register({ username: username.trim(), email: email.trim(), password });
      navigate('/', { replace: true });
    },
    validate: (v) => {
      const errs: FieldErrors = {};
      if (!v.username.trim()) errs.username = 'Choose a username.';
      if (!/^\S+@\S+\.\S+$/.test(v.email)) errs.email = 'Enter a valid email address.';
      if (v.password.length < MIN_PASSWORD) errs.password = `Use at least ${MIN_PASSWORD} characters.`;
      if (v.password !== v.confirm) errs.confirm = 'The passwords do not match.';
      return errs;
    },
  });

  return (
    <AuthCard title="Create an account" footer={<AlreadyRegistered />}>
      <Form
        state={form}
        errorTitle={isApiError(form.error) ? TITLES[form.error.status] : undefined}
        submitLabel="Create account"
        pendingLabel="Creating account…"
        submitClassName="btn btn-primary btn-block"
      >
        <TextField label="Username" required autoComplete="username" {...form.field('username')} />
        <TextField label="Email" required type="email" autoComplete="email" {...form.field('email')} />
        <TextField
          label="Password"
          required
          hint={`At least ${MIN_PASSWORD} characters.`}
          type="password"
          autoComplete="new-password"
          {...form.field('password')}
        />
        <TextField
          label="Confirm password"
          required
          type="password"
          autoComplete="new-password"
          {...form.field('confirm')}
        />
      </Form>
    </AuthCard>
  );
}

function AlreadyRegistered() {
  return (
    <>
      Already registered? <Link to="/login">Sign in</Link>
    </>
  );
}
