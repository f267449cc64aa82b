import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { Settings, SettingValue } from '../../api/types';
import { Facts } from '../../components/Facts';
import { ChoiceField } from '../../components/Field';
import { Form } from '../../components/Form';
import { Card, PageHeader } from '../../components/Layout';
import { ErrorMessage, Loading, Notice } from '../../components/Status';
import { ValueView } from '../../components/ValueView';
import { humanize } from '../../lib/format';
import { useAction, useAsync, usePageTitle } from '../../lib/hooks';

const REGISTRATION = 'registration';
const REQUIRE_LINK = 'chat.requireLinkedAccount';

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
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    const values: Settings = {
      [REGISTRATION]: registrationValue(open, settings.data?.[REGISTRATION]),
      [REQUIRE_LINK]: requireLink,
    };
    const next = await api.updateSettings(values);
    settings.setData(Object.keys(next).length ? next : { ...(settings.data ?? {}), ...values });
    setSaved(true);
  });

  useEffect(() => {
    if (!settings.data) return;
    setOpen(registrationOpen(settings.data[REGISTRATION]));
    setRequireLink(settings.data[REQUIRE_LINK] === true || settings.data[REQUIRE_LINK] === 'true');
  }, [settings.data]);

  if (settings.loading && !settings.data) return <Loading label="Loading settings…" />;
  if (settings.error && !settings.data)
    return <ErrorMessage error={settings.error} onRetry={() => settings.reload()} />;
  const others = Object.entries(settings.data ?? {}).filter(
    ([k]) => k !== REGISTRATION && k !== REQUIRE_LINK,
  );

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
