import { api } from '../../api/client';
import type { ContentDetail } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { DataTable } from '../../components/DataTable';
import { Empty, ErrorMessage } from '../../components/Status';
import { formatDateTime, humanize, shortId } from '../../lib/format';
import { useAction } from '../../lib/hooks';

export function VersionsPanel({
  content,
  onView,
  onCompare,
  onRestored,
}: {
  content: ContentDetail;
  onView: (version: number) => void;
  onCompare: (from: number, to: number) => void;
  onRestored: () => void;
}) {
  const { user } = useAuth();
  const restore = useAction(async (version: number) => {
    await api.restoreContent(content.id, version);
    onRestored();
    return version;
  });
  const versions = [...(content.versions ?? [])].sort((a, b) => b.version - a.version);
  if (versions.length === 0) return <Empty>No version history is available.</Empty>;
  return (
    <div className="stack">
      {restore.error !== null && <ErrorMessage error={restore.error} title="Could not restore" />}
      <DataTable
        rows={versions}
        showCaption
        caption={`${versions.length} version${versions.length === 1 ? '' : 's'}, newest first`}
        testId="versions-table"
        rowKey={(v) => v.version}
        rowProps={(v) => ({ className: v.version === content.version ? 'row-highlight' : '' })}
        columns={[
          {
            header: 'Version',
            rowHeader: true,
            cell: (v) => (
              <>
                v{v.version}
                {v.version === content.version && (
                  <>
                    {' '}
                    <span className="badge badge-current">current</span>
                  </>
                )}
              </>
            ),
          },
          { header: 'Created', cell: (v) => formatDateTime(v.createdAt) },
          { header: 'How', cell: (v) => humanize(v.source || 'unknown') },
          {
            header: 'By',
            cell: (v) => (v.createdBy ? (v.createdBy === user?.id ? 'You' : shortId(v.createdBy)) : 'System'),
          },
          {
            header: 'Actions',
            hiddenHeader: true,
            className: 'actions',
            cell: (v) => (
              <>
                <button
                  type="button"
                  className="btn btn-sm btn-ghost"
                  onClick={() => onView(v.version)}
                  aria-label={`View version ${v.version}`}
                >
                  View
                </button>
                {v.version !== content.version && (
                  <>
                    <button
                      type="button"
                      className="btn btn-sm btn-ghost"
                      onClick={() => onCompare(v.version, content.version)}
                      aria-label={`Compare version ${v.version} with the current version`}
                    >
                      Compare
                    </button>
                    <button
                      type="button"
                      className="btn btn-sm"
                      onClick={() => restore.run(v.version)}
                      disabled={restore.pending}
                      aria-label={`Restore version ${v.version}`}
                    >
                      Restore
                    </button>
                  </>
                )}
              </>
            ),
          },
        ]}
      />
      <p className="hint">Restoring copies an old version's text into a new version; nothing is lost.</p>
    </div>
  );
}
