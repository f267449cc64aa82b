import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { LinkCode } from '../api/types';
import { ActionButton } from '../components/ActionButton';
import { ConfirmButton } from '../components/ConfirmButton';
import { CopyButton } from '../components/CopyButton';
import { AsyncTable } from '../components/DataTable';
import { Card, PageHeader } from '../components/Layout';
import { ErrorMessage } from '../components/Status';
import { formatDateTime, humanize } from '../lib/format';
import { useAction, useAsync, usePageTitle } from '../lib/hooks';

export const PLATFORM_COMMANDS = [
  {
    platform: 'Slack',
    command: (code: string) => `/sy link ${code}`,
    where: 'in any channel or DM where the Switchyard app is installed',
  },
  {
    platform: 'Discord',
    command: (code: string) => `/link code:${code}`,
    where: 'in a server with the Switchyard bot (type /link and fill in the code option)',
  },
  {
    platform: 'Telegram',
    command: (code: string) => `/link ${code}`,
    where: 'in a chat with the Switchyard bot',
  },
];

function useCountdown(expiresAt: string | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!expiresAt) return;
    const id = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(id);
  }, [expiresAt]);
  if (!expiresAt) return null;
  return Math.max(0, Math.floor((new Date(expiresAt).getTime() - now) / 1000));
}

export function LinksPage() {
  usePageTitle('Linked accounts');
  const links = useAsync((s) => api.listLinks(s), []);
  const [code, setCode] = useState<LinkCode | null>(null);
  const generate = useAction(async () => setCode(await api.createLinkCode()));
  const remove = useAction(async (id: string) => {
    await api.deleteLink(id);
    links.reload({ silent: true });
  });
  const left = useCountdown(code?.expiresAt ?? null);
  const expired = left === 0;

  return (
    <section className="stack">
      <PageHeader title="Linked accounts" />
      <p>
        Link your chat accounts so tasks you start in Slack, Discord or Telegram show up here, under your
        account.
      </p>

      <Card title="Link a chat account">
        <div className="row">
          <ActionButton
            action={generate}
            className="btn btn-primary"
            label={code ? 'Generate a new code' : 'Generate link code'}
            pendingLabel="Generating…"
          />
        </div>
        {generate.error !== null && <ErrorMessage error={generate.error} title="No code was generated" />}
        {code && (
          <div className="stack">
            <p>
              Your code:{' '}
              <code className="link-code" data-testid="link-code">
                {code.code}
              </code>{' '}
              <CopyButton text={code.code} accessibleName="Copy link code" />
            </p>
            <p className={expired ? 'field-error' : 'muted'} aria-live="polite">
              {expired
                ? 'This code has expired. Generate a new one.'
                : `Single use. Expires at ${formatDateTime(code.expiresAt)}${left !== null ? ` (${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left)` : ''}.`}
            </p>
            {!expired && (
              <ul className="instructions">
                {PLATFORM_COMMANDS.map((p) => (
                  <li key={p.platform}>
                    <strong>{p.platform}</strong>: send{' '}
                    <code data-testid={`link-command-${p.platform.toLowerCase()}`}>
                      {p.command(code.code)}
                    </code>{' '}
                    {p.where}.{' '}
                    <CopyButton
                      text={p.command(code.code)}
                      label="Copy command"
                      accessibleName={`Copy ${p.platform} command`}
                    />
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </Card>

      <Card title="Linked identities">
        {remove.error !== null && <ErrorMessage error={remove.error} title="Could not remove the link" />}
        <AsyncTable
          state={links}
          loadingLabel="Loading linked accounts…"
          empty="No chat accounts are linked yet."
          caption="Linked chat identities"
          rowKey={(l) => l.id}
          columns={[
            { header: 'Platform', cell: (l) => humanize(l.platform) },
            { header: 'Name', cell: (l) => l.displayName ?? l.platformUserId },
            { header: 'Workspace', cell: (l) => l.workspaceId || '—' },
            { header: 'Linked', cell: (l) => formatDateTime(l.linkedAt) },
            {
              header: 'Actions',
              hiddenHeader: true,
              cell: (l) => (
                <ConfirmButton
                  label="Remove"
                  accessibleName={`Remove ${humanize(l.platform)} link ${l.displayName ?? l.platformUserId}`}
                  question="Unlink this account?"
                  onConfirm={() => remove.run(l.id)}
                />
              ),
            },
          ]}
        />
      </Card>
    </section>
  );
}
