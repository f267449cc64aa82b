import { api } from '../../api/client';
import type { ActivityItem, ContentDetail } from '../../api/types';
import { ErrorMessage, Loading, RelativeTime } from '../../components/Status';
import { useAsync } from '../../lib/hooks';

function describe(a: ActivityItem): string {
  const d = a.details as Record<string, string | number | null | undefined>;
  switch (a.kind) {
    case 'version':
      return `version ${d.version} (${d.source})`;
    case 'comment':
      return `commented: ${d.excerpt ?? ''}`;
    case 'review':
      return `${String(d.action).replace(/_/g, ' ')} (${d.from} → ${d.to})`;
    case 'export':
      return `exported version ${d.version} as ${d.format}`;
    default:
      return d.action === 'content.share.revoke' ? 'revoked a share link' : 'created a share link';
  }
}

/** The content's timeline: versions, comments, review actions, exports and shares. */
export function ActivityPanel({ content }: { content: ContentDetail }) {
  const activity = useAsync((s) => api.contentActivity(content.id, s), [content.id, content.version]);
  if (activity.error) return <ErrorMessage error={activity.error} onRetry={() => activity.reload()} />;
  if (!activity.data) return <Loading />;
  return (
    <ol className="timeline">
      {activity.data.items.map((a) => (
        <li key={`${a.at}-${a.kind}-${JSON.stringify(a.details)}`}>
          <RelativeTime iso={a.at} /> — <strong>{a.actorUsername ?? 'someone'}</strong> {describe(a)}
        </li>
      ))}
    </ol>
  );
}
