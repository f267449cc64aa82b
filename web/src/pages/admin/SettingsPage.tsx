import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { Settings, SettingValue } from '../../api/types';
import { Facts } from '../../components/Facts';
import { ChoiceField, TextField } from '../../components/Field';
import { Form } from '../../components/Form';
import { Card, PageHeader } from '../../components/Layout';
import { ErrorMessage, Loading, Notice } from '../../components/Status';
import { ValueView } from '../../components/ValueView';
import { humanize } from '../../lib/format';
import { useAction, useAsync, usePageTitle } from '../../lib/hooks';

const REGISTRATION = 'registration';
const REQUIRE_LINK = 'chat.requireLinkedAccount';
const PASSWORD_LOGIN = 'auth.passwordLogin';
const ALLOWED_DOMAINS = 'auth.allowedEmailDomains';
const EDITED = new Set([REGISTRATION, REQUIRE_LINK, PASSWORD_LOGIN, ALLOWED_DOMAINS]);

const parseDomains = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);

/**
 * `registration` is assumed to be "open" | "closed"; if the server stores a boolean instead,
 * the same type is sent back.
 */
function registrationOpen(v: SettingValue | undefined): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v.toLowerCase() !== 'closed';
  return true;
}
function registrationValue(open: boolean, previous: SettingValue | undefined): SettingValue {
  return typeof previous === 'boolean' ? open : open ? 'open' : 'closed';
}

export function SettingsPage() {
  usePageTitle('Settings');
  const settings = useAsync((s) => api.settings(s), []);
  const [open, setOpen] = useState(true);
  const [requireLink, setRequireLink] = useState(false);
  const [passwordLogin, setPasswordLogin] = useState(true);
  const [domains, setDomains] = useState('');
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    const values: Settings = {
      [REGISTRATION]: registrationValue(open, settings.data?.[REGISTRATION]),
      [REQUIRE_LINK]: requireLink,
      [PASSWORD_LOGIN]: passwordLogin,
      [ALLOWED_DOMAINS]: parseDomains(domains),
    };
    const next = await api.updateSettings(values);
    settings.setData(Object.keys(next).length ? next : { ...(settings.data ?? {}), ...values });
    setSaved(true);
  });

  useEffect(() => {
    if (!settings.data) return;
    setOpen(registrationOpen(settings.data[REGISTRATION]));
    setRequireLink(settings.data[REQUIRE_LINK] === true || settings.data[REQUIRE_LINK] === 'true');
    setPasswordLogin(settings.data[PASSWORD_LOGIN] !== false);
    const list = settings.data[ALLOWED_DOMAINS];
    setDomains(Array.isArray(list) ? list.join(', ') : '');
  }, [settings.data]);

  if (settings.loading && !settings.data) return <Loading label="Loading settings…" />;
  if (settings.error && !settings.data)
    return <ErrorMessage error={settings.error} onRetry={() => settings.reload()} />;
  const others = Object.entries(settings.data ?? {}).filter(([k]) => !EDITED.has(k));

  return (
    <section className="stack narrow">
      <PageHeader title="Settings" />
      <Form
        className="card stack"
        aria-label="Settings"
        state={{
          ...save,
          submit: () => {
            setSaved(false);
            save.run();
          },
        }}
        errorTitle="Settings not saved"
        notice={saved && <Notice>Settings saved.</Notice>}
        submitLabel="Save settings"
      >
        <fieldset className="fieldset">
          <legend>Registration</legend>
          <ChoiceField
            type="radio"
            name="registration"
            value="open"
            checked={open}
            onChange={() => setOpen(true)}
          >
            Open <span className="muted">— anyone can create an account</span>
          </ChoiceField>
          <ChoiceField
            type="radio"
            name="registration"
            value="closed"
            checked={!open}
            onChange={() => setOpen(false)}
          >
            Closed <span className="muted">— only administrators create accounts</span>
          </ChoiceField>
        </fieldset>
        <fieldset className="fieldset">
          <legend>Chat</legend>
          <ChoiceField
            type="checkbox"
            name="requireLinkedAccount"
            checked={requireLink}
            onChange={setRequireLink}
          >
            Require a linked account for chat commands
            <span className="hint block">
              When off, people who have not linked an account get a guest identity.
            </span>
          </ChoiceField>
        </fieldset>
        <fieldset className="fieldset">
          <legend>Sign-in</legend>
          <ChoiceField
            type="checkbox"
            name="passwordLogin"
            checked={passwordLogin}
            onChange={setPasswordLogin}
          >
            Allow password sign-in and registration
            <span className="hint block">
              When off, people sign in only with the configured identity providers. Make sure an admin can
              sign in with one first.
            </span>
          </ChoiceField>
          <TextField
            label="Domains allowed to sign up with an identity provider"
            hint="Comma-separated, e.g. example.com. Empty: the registration setting decides."
            value={domains}
            onChange={setDomains}
            name="allowedEmailDomains"
          />
        </fieldset>
      </Form>
      {others.length > 0 && (
        <Card title="Other settings" titleClassName="h3">
          <Facts
            className="kv"
            items={Object.fromEntries(others.map(([k, v]) => [humanize(k), <ValueView key={k} value={v} />]))}
          />
        </Card>
      )}
    </section>
  );
}
