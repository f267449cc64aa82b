import { api } from '../api/client';
import type { UpdateMeInput } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { ConfirmButton } from '../components/ConfirmButton';
import { Facts } from '../components/Facts';
import { TextField } from '../components/Field';
import { type FieldErrors, Form, useForm } from '../components/Form';
import { Card, PageHeader } from '../components/Layout';
import { ErrorMessage, Notice } from '../components/Status';
import { formatDateTime } from '../lib/format';
import { useAction, useAsync, usePageTitle } from '../lib/hooks';
import { microsToDollarString, parseDollars } from '../lib/money';

const NO_PASSWORDS = { password: '', confirm: '', currentPassword: '' };
type Values = typeof NO_PASSWORDS & { username: string; email: string; confirmAbove: string };

/** The confirm threshold as typed: blank is the server default (null). */
const thresholdOf = (s: string) =>
  s.trim() === '' ? ({ ok: true, micros: null } as const) : parseDollars(s);

export function ProfilePage() {
  usePageTitle('Profile');
  const { user, setUser } = useAuth();
  const changes = (v: Values) => {
    const emailChanged = v.email.trim() !== (user?.email ?? '');
    return { emailChanged, needsCurrent: emailChanged || v.password.length > 0 };
  };
  const form = useForm({
    initial: {
      username: user?.username ?? '',
      email: user?.email ?? '',
      confirmAbove:
        user?.estimateConfirmThresholdMicros == null
          ? ''
          : microsToDollarString(user.estimateConfirmThresholdMicros),
      ...NO_PASSWORDS,
    } as Values,
    send: async (v) => {
      if (!user) return;
      const { emailChanged, needsCurrent } = changes(v);
      const input: UpdateMeInput = {};
      if (v.username.trim() !== user.username) input.username = v.username.trim();
      if (emailChanged) input.email = v.email.trim();
      if (v.password) input.password = v.password;
      if (needsCurrent) input.currentPassword = v.currentPassword;
      const threshold = thresholdOf(v.confirmAbove);
      if (threshold.ok && threshold.micros !== (user.estimateConfirmThresholdMicros ?? null))
        input.estimateConfirmThresholdMicros = threshold.micros;
      if (Object.keys(input).length === 0) return;
      setUser(await api.updateMe(input));
      form.setValues((prev) => ({ ...prev, ...NO_PASSWORDS }));
    },
    validate: (v) => {
      const errs: FieldErrors = {};
      if (!v.username.trim()) errs.username = 'Username cannot be empty.';
      if (v.password && v.password.length < 8) errs.password = 'Use at least 8 characters.';
      if (v.password !== v.confirm) errs.confirm = 'The passwords do not match.';
      const threshold = thresholdOf(v.confirmAbove);
      if (!threshold.ok) errs.confirmAbove = threshold.error;
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
        <TextField
          label="Confirm tasks estimated above ($)"
          hint="New task and chat generate show the estimated cost and ask before running a task above this. Leave blank for the server default."
          inputMode="decimal"
          {...form.field('confirmAbove')}
        />
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
      <SignInIdentities />
    </section>
  );
}

/** The identities this account signs in with (GitHub, Google, Slack, Discord, the organisation's SSO). */
function SignInIdentities() {
  const identities = useAsync((s) => api.identities(s), []);
  const providers = useAsync((s) => api.ssoProviders(s), []);
  const linked = window.location.hash.startsWith('#linked=') ? window.location.hash.slice(8) : null;
  const link = useAction(async (provider: string) => {
    const { url } = await api.linkIdentity(provider);
    window.location.assign(url);
  });
  const unlink = useAction(async (id: string) => {
    await api.unlinkIdentity(id);
    identities.reload({ silent: true });
  });
  const names = new Map((providers.data ?? []).map((p) => [p.id as string, p.name]));
  const items = identities.data ?? [];
  if (items.length === 0 && (providers.data ?? []).length === 0) return null;
  return (
    <Card title="Sign-in identities" titleClassName="h3">
      {linked && <Notice>Linked {names.get(linked) ?? linked}.</Notice>}
      {items.length === 0 ? (
        <p className="muted">No identity provider is linked to this account.</p>
      ) : (
        <ul className="stack" aria-label="Sign-in identities">
          {items.map((i) => (
            <li key={i.id} className="row">
              <strong>{names.get(i.provider) ?? i.provider}</strong>
              <span>{i.email ?? i.displayName ?? ''}</span>
              <span className="muted">linked {formatDateTime(i.createdAt)}</span>
              <ConfirmButton
                label="Unlink"
                question={`Unlink ${names.get(i.provider) ?? i.provider}?`}
                onConfirm={() => unlink.run(i.id)}
                pending={unlink.pending}
              />
            </li>
          ))}
        </ul>
      )}
      {unlink.error !== null && <ErrorMessage error={unlink.error} title="Not unlinked" />}
      {(providers.data ?? []).length > 0 && (
        <div className="row">
          {(providers.data ?? []).map((p) => (
            <button key={p.id} type="button" className="btn btn-sm" onClick={() => link.run(p.id)}>
              Link {p.name}
            </button>
          ))}
        </div>
      )}
      {link.error !== null && <ErrorMessage error={link.error} title="Could not start linking" />}
    </Card>
  );
}
