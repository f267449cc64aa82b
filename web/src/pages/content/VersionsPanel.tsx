import { api } from '../../api/client';
import type { ContentDetail } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
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
      <div className="table-wrap">
        <table className="table responsive" data-testid="versions-table">
          <caption>
            {versions.length} version{versions.length === 1 ? '' : 's'}, newest first
          </caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Created</th>
              <th scope="col">How</th>
              <th scope="col">By</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => {
              const current = v.version === content.version;
              return (
                <tr key={v.version} className={current ? 'row-highlight' : ''}>
                  <th scope="row" data-label="Version">
                    v{v.version}
                    {current && (
                      <>
                        {' '}
                        <span className="badge badge-current">current</span>
                      </>
                    )}
                  </th>
                  <td data-label="Created">{formatDateTime(v.createdAt)}</td>
                  <td data-label="How">{humanize(v.source || 'unknown')}</td>
                  <td data-label="By">
                    {v.createdBy ? (v.createdBy === user?.id ? 'You' : shortId(v.createdBy)) : 'System'}
                  </td>
                  <td data-label="Actions" className="actions">
                    <button
                      type="button"
                      className="btn btn-sm btn-ghost"
                      onClick={() => onView(v.version)}
                      aria-label={`View version ${v.version}`}
                    >
                      View
                    </button>
                    {!current && (
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
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="hint">Restoring copies an old version's text into a new version; nothing is lost.</p>
    </div>
  );
}
