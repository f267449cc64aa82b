import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import { fieldErrors } from '../api/errors';
import type { UpdateMeInput } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { Field } from '../components/Field';
import { PageHeader } from '../components/Layout';
import { ErrorMessage, Notice } from '../components/Status';
import { formatDateTime } from '../lib/format';
import { usePageTitle } from '../lib/hooks';

export function ProfilePage() {
  usePageTitle('Profile');
  const { user, setUser } = useAuth();
  const [username, setUsername] = useState(user?.username ?? '');
  const [email, setEmail] = useState(user?.email ?? '');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [currentPassword, setCurrentPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  if (!user) return null;

  const emailChanged = email.trim() !== (user.email ?? '');
  const needsCurrent = emailChanged || password.length > 0;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const errs: Record<string, string> = {};
    if (!username.trim()) errs.username = 'Username cannot be empty.';
    if (password && password.length < 8) errs.password = 'Use at least 8 characters.';
    if (password !== confirm) errs.confirm = 'The passwords do not match.';
    if (needsCurrent && !currentPassword)
      errs.currentPassword = 'Enter your current password to change your email or password.';
    setLocal(errs);
    if (Object.keys(errs).length) return;
    const input: UpdateMeInput = {};
    if (username.trim() !== user.username) input.username = username.trim();
    if (emailChanged) input.email = email.trim();
    if (password) input.password = password;
    if (needsCurrent) input.currentPassword = currentPassword;
    if (Object.keys(input).length === 0) {
      setSaved(true);
      return;
    }
    setPending(true);
    setError(null);
    try {
      const next = await api.updateMe(input);
      setUser(next);
      setPassword('');
      setConfirm('');
      setCurrentPassword('');
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  };

  const errs = { ...fieldErrors(error), ...local };
  return (
    <section className="stack narrow">
      <PageHeader title="Profile" />
      <dl className="facts card">
        <div>
          <dt>Role</dt>
          <dd>{user.role}</dd>
        </div>
        <div>
          <dt>Member since</dt>
          <dd>{formatDateTime(user.createdAt)}</dd>
        </div>
        <div>
          <dt>Last sign-in</dt>
          <dd>{formatDateTime(user.lastLogin)}</dd>
        </div>
      </dl>
      <form className="card stack" onSubmit={onSubmit} noValidate aria-label="Update profile">
        {error !== null && <ErrorMessage error={error} title="Not saved" />}
        {saved && <Notice>Your profile is up to date.</Notice>}
        <Field label="Username" error={errs.username}>
          {(p) => (
            <input
              {...p}
              className="input"
              name="username"
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          )}
        </Field>
        <Field label="Email" error={errs.email}>
          {(p) => (
            <input
              {...p}
              className="input"
              type="email"
              name="email"
              autoComplete="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <fieldset className="fieldset">
          <legend>Change password</legend>
          <Field label="New password" error={errs.password} hint="Leave blank to keep your current password.">
            {(p) => (
              <input
                {...p}
                className="input"
                type="password"
                name="newPassword"
                autoComplete="new-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
          <Field label="Confirm new password" error={errs.confirm}>
            {(p) => (
              <input
                {...p}
                className="input"
                type="password"
                name="confirmPassword"
                autoComplete="new-password"
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
              />
            )}
          </Field>
        </fieldset>
        {needsCurrent && (
          <Field
            label="Current password"
            required
            error={errs.currentPassword}
            hint="Required to change your email or password."
          >
            {(p) => (
              <input
                {...p}
                className="input"
                type="password"
                name="currentPassword"
                autoComplete="current-password"
                value={currentPassword}
                onChange={(e) => setCurrentPassword(e.target.value)}
              />
            )}
          </Field>
        )}
        <div>
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? 'Saving…' : 'Save profile'}
          </button>
        </div>
      </form>
    </section>
  );
}
