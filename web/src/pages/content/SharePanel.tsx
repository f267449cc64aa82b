import { useState } from 'react';
import { api } from '../../api/client';
import type { ContentDetail, Share, ShareCreated } from '../../api/types';
import { ConfirmButton } from '../../components/ConfirmButton';
import { CopyButton } from '../../components/CopyButton';
import { AsyncTable } from '../../components/DataTable';
import { InlineSelect } from '../../components/Field';
import { Form } from '../../components/Form';
import { ErrorMessage, Notice, RelativeTime, StatusBadge } from '../../components/Status';
import { formatDateTime } from '../../lib/format';
import { useAction, useAsync } from '../../lib/hooks';
import { type VersionChoice, VersionSelect } from './VersionSelect';

const EXPIRY_CHOICES = [
  { value: 1, label: '1 hour' },
  { value: 24, label: '1 day' },
  { value: 24 * 7, label: '7 days' },
  { value: 24 * 30, label: '30 days' },
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

  const createdUrl = created ? absoluteUrl(created.url) : '';

  return (
    <div className="stack">
      <Form
        inline
        className="toolbar"
        aria-label="Create a share link"
        state={{ submit: () => create.run(), pending: create.pending, error: null }}
        submitLabel="Create share link"
        pendingLabel="Creating…"
      >
        <InlineSelect
          label="Expires after"
          value={hours}
          onChange={(v) => setHours(Number(v))}
          options={EXPIRY_CHOICES}
        />
        <VersionSelect content={content} label="Version" value={version} onChange={setVersion} />
      </Form>
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
      <AsyncTable
        state={shares}
        loadingLabel="Loading share links…"
        empty="No share links yet."
        caption="Share links"
        testId="shares-table"
        rowKey={(s) => s.id}
        columns={[
          { header: 'Created', cell: (s) => formatDateTime(s.createdAt) },
          { header: 'Version', cell: (s) => (s.version ? `v${s.version}` : 'current') },
          { header: 'Expires', cell: (s) => <RelativeTime iso={s.expiresAt} /> },
          { header: 'State', cell: (s) => <StatusBadge status={shareState(s)} /> },
          {
            header: 'Link',
            cell: (s) =>
              s.id === created?.id ? (
                <CopyButton text={createdUrl} label="Copy link" accessibleName="Copy this share link" />
              ) : (
                <span className="muted">shown only when created</span>
              ),
          },
          {
            header: 'Actions',
            hiddenHeader: true,
            cell: (s) =>
              shareState(s) === 'active' && (
                <ConfirmButton
                  label="Revoke"
                  accessibleName="Revoke share link"
                  question="Revoke this link?"
                  onConfirm={() => revoke.run(s.id)}
                />
              ),
          },
        ]}
      />
    </div>
  );
}
