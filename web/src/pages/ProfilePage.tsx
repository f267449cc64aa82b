import { api } from '../api/client';
import type { UpdateMeInput } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { Facts } from '../components/Facts';
import { TextField } from '../components/Field';
import { type FieldErrors, Form, useForm } from '../components/Form';
import { PageHeader } from '../components/Layout';
import { Notice } from '../components/Status';
import { formatDateTime } from '../lib/format';
import { usePageTitle } from '../lib/hooks';

const NO_PASSWORDS = { password: '', confirm: '', currentPassword: '' };
type Values = typeof NO_PASSWORDS & { username: string; email: string };

export function ProfilePage() {
  usePageTitle('Profile');
  const { user, setUser } = useAuth();
  const changes = (v: Values) => {
    const emailChanged = v.email.trim() !== (user?.email ?? '');
    return { emailChanged, needsCurrent: emailChanged || v.password.length > 0 };
  };
  const form = useForm({
    initial: { username: user?.username ?? '', email: user?.email ?? '', ...NO_PASSWORDS } as Values,
    send: async (v) => {
      if (!user) return;
      const { emailChanged, needsCurrent } = changes(v);
      const input: UpdateMeInput = {};
      if (v.username.trim() !== user.username) input.username = v.username.trim();
      if (emailChanged) input.email = v.email.trim();
      if (v.password) input.password = v.password;
      if (needsCurrent) input.currentPassword = v.currentPassword;
      if (Object.keys(input).length === 0) return;
      setUser(await api.updateMe(input));
      form.setValues((prev) => ({ ...prev, ...NO_PASSWORDS }));
    },
    validate: (v) => {
      const errs: FieldErrors = {};
      if (!v.username.trim()) errs.username = 'Username cannot be empty.';
      if (v.password && v.password.length < 8) errs.password = 'Use at least 8 characters.';
      if (v.password !== v.confirm) errs.confirm = 'The passwords do not match.';
      if (changes(v).needsCurrent && !v.currentPassword)
        errs.currentPassword = 'Enter your current password to change your email or password.';
      return errs;
    },
  });
  if (!user) return null;

  return (
    <section className="stack narrow">
      <PageHeader title="Profile" />
      <Facts
        className="facts card"
        items={{
          Role: user.role,
          'Member since': formatDateTime(user.createdAt),
          'Last sign-in': formatDateTime(user.lastLogin),
        }}
      />
      <Form
        state={form}
        className="card stack"
        aria-label="Update profile"
        errorTitle="Not saved"
        notice={form.done && <Notice>Your profile is up to date.</Notice>}
        submitLabel="Save profile"
      >
        <TextField label="Username" autoComplete="username" {...form.field('username')} />
        <TextField label="Email" type="email" autoComplete="email" {...form.field('email')} />
        <fieldset className="fieldset">
          <legend>Change password</legend>
          <TextField
            label="New password"
            hint="Leave blank to keep your current password."
            type="password"
            autoComplete="new-password"
            {...form.field('password')}
            name="newPassword"
          />
          <TextField
            label="Confirm new password"
            type="password"
            autoComplete="new-password"
            {...form.field('confirm')}
            name="confirmPassword"
          />
        </fieldset>
        {changes(form.values).needsCurrent && (
          <TextField
            label="Current password"
            required
            hint="Required to change your email or password."
            type="password"
            autoComplete="current-password"
            {...form.field('currentPassword')}
          />
        )}
      </Form>
    </section>
  );
}
