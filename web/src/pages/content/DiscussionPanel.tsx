import { useState } from 'react';
import { api } from '../../api/client';
import type { Comment, ContentDetail } from '../../api/types';
import { ContentBody } from '../../components/Markdown';
import { ErrorMessage, RelativeTime, StatusBadge } from '../../components/Status';
import { useAction, useAsync } from '../../lib/hooks';

type ReviewAction = 'submit' | 'approve' | 'request_changes' | 'publish';
const REVIEW_BUTTONS: Record<string, Array<{ action: ReviewAction; label: string }>> = {
  draft: [{ action: 'submit', label: 'Submit for review' }],
  changes_requested: [{ action: 'submit', label: 'Submit again' }],
  in_review: [
    { action: 'approve', label: 'Approve' },
    { action: 'request_changes', label: 'Request changes' },
  ],
  approved: [{ action: 'publish', label: 'Publish' }],
  published: [],
};

/** The review state with its actions, and the comment threads of a content item. */
export function DiscussionPanel({ content, onChanged }: { content: ContentDetail; onChanged: () => void }) {
  const comments = useAsync((s) => api.listComments(content.id, s), [content.id]);
  const [body, setBody] = useState('');
  const [reviewers, setReviewers] = useState('');
  const [note, setNote] = useState('');
  const add = useAction(async () => {
    await api.addComment(content.id, { body, version: content.version });
    setBody('');
    comments.reload({ silent: true });
  });
  const resolve = useAction(async (c: Comment) => {
    await api.updateComment(content.id, c.id, { resolved: !c.resolved });
    comments.reload({ silent: true });
  });
  const review = useAction(async (action: ReviewAction) => {
    const names = reviewers.split(/[\s,]+/).filter(Boolean);
    await api.reviewContent(content.id, {
      action,
      ...(action === 'submit' && names.length ? { reviewers: names } : {}),
      ...(note.trim() ? { note: note.trim() } : {}),
    });
    setNote('');
    onChanged();
  });

  return (
    <div className="stack">
      <section aria-label="Review">
        <p>
          Review: <StatusBadge status={content.reviewState} label={content.reviewState.replace('_', ' ')} />
          {content.publishedVersion !== null && <> · published version {content.publishedVersion}</>}
        </p>
        {content.reviewState === 'draft' && (
          <label>
            Reviewers (usernames)
            <input value={reviewers} onChange={(e) => setReviewers(e.target.value)} />
          </label>
        )}
        <label>
          Note
          <input value={note} onChange={(e) => setNote(e.target.value)} />
        </label>
        <div className="row">
          {(REVIEW_BUTTONS[content.reviewState] ?? []).map((b) => (
            <button
              key={b.action}
              type="button"
              className="btn"
              disabled={review.pending}
              onClick={() => review.run(b.action)}
            >
              {b.label}
            </button>
          ))}
        </div>
        {review.error ? <ErrorMessage error={review.error} /> : null}
      </section>
      <section aria-label="Comments">
        {comments.error ? <ErrorMessage error={comments.error} onRetry={() => comments.reload()} /> : null}
        {(comments.data?.items ?? []).map((t) => (
          <article key={t.id} className={`comment card${t.resolved ? ' resolved' : ''}`}>
            <CommentView c={t} />
            {t.replies.map((r) => (
              <div key={r.id} className="comment-reply">
                <CommentView c={r} />
              </div>
            ))}
            <button type="button" className="btn btn-sm" onClick={() => resolve.run(t)}>
              {t.resolved ? 'Reopen' : 'Resolve'}
            </button>
          </article>
        ))}
        <label>
          Comment (markdown; @username notifies)
          <textarea value={body} onChange={(e) => setBody(e.target.value)} rows={3} />
        </label>
        <button
          type="button"
          className="btn"
          disabled={!body.trim() || add.pending}
          onClick={() => add.run()}
        >
          Add comment
        </button>
        {add.error ? <ErrorMessage error={add.error} /> : null}
      </section>
    </div>
  );
}

function CommentView({ c }: { c: Comment | Comment['replies'][number] }) {
  return (
    <div>
      <p className="muted">
        {c.authorUsername ?? 'someone'} · version {c.version} · <RelativeTime iso={c.createdAt} />
      </p>
      {c.quote && <blockquote>{c.quote}</blockquote>}
      <ContentBody source={c.body} />
    </div>
  );
}
