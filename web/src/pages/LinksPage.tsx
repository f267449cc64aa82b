import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { LinkCode } from '../api/types';
import { ConfirmButton } from '../components/ConfirmButton';
import { CopyButton } from '../components/CopyButton';
import { PageHeader } from '../components/Layout';
import { Empty, ErrorMessage, Loading } from '../components/Status';
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
  const items = links.data?.items ?? [];

  return (
    <section className="stack">
      <PageHeader title="Linked accounts" />
      <p>
        Link your chat accounts so tasks you start in Slack, Discord or Telegram show up here, under your
        account.
      </p>

      <section className="card stack" aria-labelledby="code-h">
        <h2 id="code-h">Link a chat account</h2>
        <div className="row">
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => generate.run()}
            disabled={generate.pending}
          >
            {generate.pending ? 'Generating…' : code ? 'Generate a new code' : 'Generate link code'}
          </button>
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
      </section>

      <section className="card stack" aria-labelledby="linked-h">
        <h2 id="linked-h">Linked identities</h2>
        {remove.error !== null && <ErrorMessage error={remove.error} title="Could not remove the link" />}
        {links.loading && !links.data ? (
          <Loading label="Loading linked accounts…" />
        ) : links.error ? (
          <ErrorMessage error={links.error} onRetry={() => links.reload()} />
        ) : items.length === 0 ? (
          <Empty>No chat accounts are linked yet.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="table responsive">
              <caption className="visually-hidden">Linked chat identities</caption>
              <thead>
                <tr>
                  <th scope="col">Platform</th>
                  <th scope="col">Name</th>
                  <th scope="col">Workspace</th>
                  <th scope="col">Linked</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((l) => (
                  <tr key={l.id}>
                    <td data-label="Platform">{humanize(l.platform)}</td>
                    <td data-label="Name">{l.displayName ?? l.platformUserId}</td>
                    <td data-label="Workspace">{l.workspaceId || '—'}</td>
                    <td data-label="Linked">{formatDateTime(l.linkedAt)}</td>
                    <td data-label="Actions">
                      <ConfirmButton
                        label="Remove"
                        accessibleName={`Remove ${humanize(l.platform)} link ${l.displayName ?? l.platformUserId}`}
                        question="Unlink this account?"
                        onConfirm={() => remove.run(l.id)}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </section>
  );
}
