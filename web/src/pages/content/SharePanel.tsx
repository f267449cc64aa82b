import { type FormEvent, useState } from 'react';
import { api } from '../../api/client';
import type { ContentDetail, Share, ShareCreated } from '../../api/types';
import { ConfirmButton } from '../../components/ConfirmButton';
import { CopyButton } from '../../components/CopyButton';
import { Empty, ErrorMessage, Loading, Notice, StatusBadge } from '../../components/Status';
import { formatDateTime, formatRelative } from '../../lib/format';
import { useAction, useAsync } from '../../lib/hooks';
import { type VersionChoice, VersionSelect } from './VersionSelect';

const EXPIRY_CHOICES = [
  { hours: 1, label: '1 hour' },
  { hours: 24, label: '1 day' },
  { hours: 24 * 7, label: '7 days' },
  { hours: 24 * 30, label: '30 days' },
];

/** The API may answer a path; people need a full URL to paste elsewhere. */
export function absoluteUrl(url: string): string {
  try {
    return new URL(url, window.location.origin).toString();
  } catch {
    return url;
  }
}

function shareState(s: Share, now = Date.now()): 'active' | 'expired' | 'revoked' {
  if (s.revokedAt) return 'revoked';
  if (new Date(s.expiresAt).getTime() <= now) return 'expired';
  return 'active';
}

export function SharePanel({ content }: { content: ContentDetail }) {
  const shares = useAsync((s) => api.listShares(content.id, s), [content.id]);
  const [hours, setHours] = useState(24 * 7);
  const [version, setVersion] = useState<VersionChoice>('');
  const [created, setCreated] = useState<ShareCreated | null>(null);
  const create = useAction(async () => {
    const share = await api.shareContent(content.id, {
      expiresInHours: hours,
      ...(version === '' ? {} : { version }),
    });
    setCreated(share);
    shares.reload({ silent: true });
  });
  const revoke = useAction(async (shareId: string) => {
    await api.revokeShare(content.id, shareId);
    if (created?.id === shareId) setCreated(null);
    shares.reload({ silent: true });
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.run();
  };
  const items = shares.data?.items ?? [];
  const createdUrl = created ? absoluteUrl(created.url) : '';

  return (
    <div className="stack">
      <form className="toolbar" onSubmit={onSubmit} aria-label="Create a share link">
        <label className="inline-field">
          <span>Expires after</span>
          <select className="input" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {EXPIRY_CHOICES.map((c) => (
              <option key={c.hours} value={c.hours}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <VersionSelect content={content} label="Version" value={version} onChange={setVersion} />
        <button type="submit" className="btn btn-primary" disabled={create.pending}>
          {create.pending ? 'Creating…' : 'Create share link'}
        </button>
      </form>
      {create.error !== null && <ErrorMessage error={create.error} title="No link was created" />}
      {created && (
        <Notice>
          <p className="alert-title">Share link created</p>
          <p>
            Anyone with this link can read this content until {formatDateTime(created.expiresAt)}, without
            signing in.
          </p>
          <div className="secret-row">
            <a
              href={createdUrl}
              target="_blank"
              rel="noopener noreferrer"
              className="share-url"
              data-testid="share-url"
            >
              {createdUrl}
            </a>
            <CopyButton text={createdUrl} label="Copy link" accessibleName="Copy share link" />
          </div>
        </Notice>
      )}
      <h3 className="h4">Existing links</h3>
      {revoke.error !== null && <ErrorMessage error={revoke.error} title="Could not revoke" />}
      {shares.loading && !shares.data ? (
        <Loading label="Loading share links…" />
      ) : shares.error ? (
        <ErrorMessage error={shares.error} onRetry={() => shares.reload()} />
      ) : items.length === 0 ? (
        <Empty>No share links yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table responsive" data-testid="shares-table">
            <caption className="visually-hidden">Share links</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Version</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col">Link</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((s) => {
                const state = shareState(s);
                const url = s.url ? absoluteUrl(s.url) : s.id === created?.id ? createdUrl : null;
                return (
                  <tr key={s.id}>
                    <td data-label="Created">{formatDateTime(s.createdAt)}</td>
                    <td data-label="Version">{s.version ? `v${s.version}` : 'current'}</td>
                    <td data-label="Expires">
                      <time dateTime={s.expiresAt} title={formatDateTime(s.expiresAt)}>
                        {formatRelative(s.expiresAt)}
                      </time>
                    </td>
                    <td data-label="State">
                      <StatusBadge status={state} />
                    </td>
                    <td data-label="Link">
                      {url ? (
                        <CopyButton text={url} label="Copy link" accessibleName="Copy this share link" />
                      ) : (
                        <span className="muted">shown only when created</span>
                      )}
                    </td>
                    <td data-label="Actions">
                      {state === 'active' && (
                        <ConfirmButton
                          label="Revoke"
                          accessibleName="Revoke share link"
                          question="Revoke this link?"
                          onConfirm={() => revoke.run(s.id)}
                        />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
