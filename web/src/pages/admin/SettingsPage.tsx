import { type FormEvent, useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { Settings, SettingValue } from '../../api/types';
import { PageHeader } from '../../components/Layout';
import { ErrorMessage, Loading, Notice } from '../../components/Status';
import { ValueView } from '../../components/ValueView';
import { humanize } from '../../lib/format';
import { useAsync, usePageTitle } from '../../lib/hooks';

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
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    if (!settings.data) return;
    setOpen(registrationOpen(settings.data[REGISTRATION]));
    setRequireLink(settings.data[REQUIRE_LINK] === true || settings.data[REQUIRE_LINK] === 'true');
  }, [settings.data]);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    setSaved(false);
    try {
      const values: Settings = {
        [REGISTRATION]: registrationValue(open, settings.data?.[REGISTRATION]),
        [REQUIRE_LINK]: requireLink,
      };
      const next = await api.updateSettings(values);
      settings.setData(Object.keys(next).length ? next : { ...(settings.data ?? {}), ...values });
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  };

  if (settings.loading && !settings.data) return <Loading label="Loading settings…" />;
  if (settings.error && !settings.data)
    return <ErrorMessage error={settings.error} onRetry={() => settings.reload()} />;
  const others = Object.entries(settings.data ?? {}).filter(
    ([k]) => k !== REGISTRATION && k !== REQUIRE_LINK,
  );

  return (
    <section className="stack narrow">
      <PageHeader title="Settings" />
      <form className="card stack" onSubmit={onSubmit} aria-label="Settings">
        {error !== null && <ErrorMessage error={error} title="Settings not saved" />}
        {saved && <Notice>Settings saved.</Notice>}
        <fieldset className="fieldset">
          <legend>Registration</legend>
          <label className="choice">
            <input
              type="radio"
              name="registration"
              value="open"
              checked={open}
              onChange={() => setOpen(true)}
            />
            <span>
              Open <span className="muted">— anyone can create an account</span>
            </span>
          </label>
          <label className="choice">
            <input
              type="radio"
              name="registration"
              value="closed"
              checked={!open}
              onChange={() => setOpen(false)}
            />
            <span>
              Closed <span className="muted">— only administrators create accounts</span>
            </span>
          </label>
        </fieldset>
        <fieldset className="fieldset">
          <legend>Chat</legend>
          <label className="choice">
            <input
              type="checkbox"
              name="requireLinkedAccount"
              checked={requireLink}
              onChange={(e) => setRequireLink(e.target.checked)}
            />
            <span>
              Require a linked account for chat commands
              <span className="hint block">
                When off, people who have not linked an account get a guest identity.
              </span>
            </span>
          </label>
        </fieldset>
        <div>
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? 'Saving…' : 'Save settings'}
          </button>
        </div>
      </form>
      {others.length > 0 && (
        <section className="card stack" aria-labelledby="other-settings-h">
          <h2 id="other-settings-h" className="h3">
            Other settings
          </h2>
          <dl className="kv">
            {others.map(([k, v]) => (
              <div key={k}>
                <dt>{humanize(k)}</dt>
                <dd>
                  <ValueView value={v} />
                </dd>
              </div>
            ))}
          </dl>
        </section>
      )}
    </section>
  );
}
