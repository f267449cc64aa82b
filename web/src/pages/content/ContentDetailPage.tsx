import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api } from '../../api/client';
import type { ContentDetail } from '../../api/types';
import { ActionButton } from '../../components/ActionButton';
import { ConfirmButton } from '../../components/ConfirmButton';
import { PageHeader } from '../../components/Layout';
import { ContentBody } from '../../components/Markdown';
import { ErrorMessage, Loading, Notice, NotLoaded, StatusBadge } from '../../components/Status';
import { Tabs } from '../../components/Tabs';
import { ValueView } from '../../components/ValueView';
import { formatDateTime } from '../../lib/format';
import { useAction, useAsync, usePageTitle } from '../../lib/hooks';
import { ActivityPanel } from './ActivityPanel';
import { ComparePanel } from './ComparePanel';
import { DiscussionPanel } from './DiscussionPanel';
import { EditPanel } from './EditPanel';
import { ExportPanel } from './ExportPanel';
import { RegeneratePanel } from './RegeneratePanel';
import { SharePanel } from './SharePanel';
import { VersionsPanel } from './VersionsPanel';

const TABS = [
  { id: 'read', label: 'Read' },
  { id: 'edit', label: 'Edit' },
  { id: 'versions', label: 'Versions' },
  { id: 'compare', label: 'Compare' },
  { id: 'export', label: 'Export' },
  { id: 'share', label: 'Share' },
  { id: 'discussion', label: 'Discussion' },
  { id: 'activity', label: 'Activity' },
];

export function ContentDetailPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const tab = TABS.some((t) => t.id === params.get('tab')) ? (params.get('tab') as string) : 'read';
  const viewVersion = Number(params.get('v')) || null;

  const content = useAsync((s) => api.getContent(id, s), [id]);
  const c = content.data;
  usePageTitle(c?.title ?? 'Content');
  const remove = useAction(async () => {
    await api.deleteContent(id);
    navigate('/content', { replace: true });
  });

  const setTab = (next: string, extra: Record<string, string> = {}) => {
    const p = new URLSearchParams();
    if (next !== 'read') p.set('tab', next);
    for (const [k, v] of Object.entries(extra)) p.set(k, v);
    setParams(p, { replace: true });
  };

  if (!c)
    return <NotLoaded state={content} title="Content" back={<Link to="/content">Back to content</Link>} />;

  /** Replace the content after a change; versions come only with GET, so re-read them. */
  const onChanged = () => content.reload({ silent: true });

  return (
    <section className="stack">
      <p className="breadcrumb">
        <Link to="/content">Content</Link> / {c.title || 'Untitled'}
      </p>
      <PageHeader title={c.title || 'Untitled'}>
        <RegeneratePanel contentId={c.id} onDone={onChanged} />
        <ConfirmButton
          label="Delete"
          accessibleName="Delete content"
          question="Delete this content and all its versions?"
          onConfirm={() => remove.run()}
          pending={remove.pending}
        />
      </PageHeader>
      {remove.error !== null && <ErrorMessage error={remove.error} title="Could not delete" />}
      <p className="meta-line">
        <StatusBadge status={c.status} /> <span data-testid="current-version">Version {c.version}</span> ·{' '}
        {c.versions?.length ?? 1} version
        {(c.versions?.length ?? 1) === 1 ? '' : 's'} · updated {formatDateTime(c.updatedAt)}
        {c.taskId && (
          <>
            {' '}
            · <Link to={`/tasks/${c.taskId}`}>from task</Link>
          </>
        )}
      </p>
      <Tabs tabs={TABS} active={tab} onChange={(t) => setTab(t)} label="Content views">
        {tab === 'read' && (
          <ReadPanel
            content={c}
            viewVersion={viewVersion}
            onBack={() => setTab('read')}
            onRestored={onChanged}
          />
        )}
        {tab === 'edit' && <EditPanel content={c} onSaved={onChanged} />}
        {tab === 'versions' && (
          <VersionsPanel
            content={c}
            onView={(v) => setTab('read', { v: String(v) })}
            onCompare={(from, to) => setTab('compare', { from: String(from), to: String(to) })}
            onRestored={onChanged}
          />
        )}
        {tab === 'compare' && (
          <ComparePanel
            content={c}
            initialFrom={Number(params.get('from')) || null}
            initialTo={Number(params.get('to')) || null}
          />
        )}
        {tab === 'export' && <ExportPanel content={c} />}
        {tab === 'share' && <SharePanel content={c} />}
        {tab === 'discussion' && <DiscussionPanel content={c} onChanged={onChanged} />}
        {tab === 'activity' && <ActivityPanel content={c} />}
      </Tabs>
    </section>
  );
}

function ReadPanel({
  content,
  viewVersion,
  onBack,
  onRestored,
}: {
  content: ContentDetail;
  viewVersion: number | null;
  onBack: () => void;
  onRestored: () => void;
}) {
  const old = viewVersion !== null && viewVersion !== content.version;
  const version = useAsync(
    (s) => (old ? api.getContentVersion(content.id, viewVersion, s) : Promise.resolve(null)),
    [content.id, viewVersion, old],
  );
  const restore = useAction(async () => {
    if (viewVersion === null) return;
    await api.restoreContent(content.id, viewVersion);
    onRestored();
    onBack();
  });
  if (old && version.loading) return <Loading label={`Loading version ${viewVersion}…`} />;
  if (old && version.error) return <ErrorMessage error={version.error} onRetry={() => version.reload()} />;
  const body = old && version.data ? version.data.contentData : content.contentData;
  const meta = old && version.data?.metadata ? version.data.metadata : content.metadata;
  return (
    <div className="stack">
      {old && (
        <div className="alert alert-info" role="status">
          <p>
            You are viewing version {viewVersion}. The current version is {content.version}.
          </p>
          <div className="row">
            <ActionButton
              action={restore}
              className="btn btn-sm"
              label={`Restore version ${viewVersion}`}
              pendingLabel="Restoring…"
            />
            <button type="button" className="btn btn-sm btn-ghost" onClick={onBack}>
              Back to current
            </button>
          </div>
        </div>
      )}
      {restore.error !== null && <ErrorMessage error={restore.error} title="Could not restore" />}
      <article className="card">
        <ContentBody source={body} contentType={version.data?.contentType ?? content.contentType} />
      </article>
      {meta && Object.keys(meta).length > 0 && (
        <details className="card disclosure">
          <summary>Provenance</summary>
          <ValueView value={meta} />
        </details>
      )}
      {!old && content.status === 'archived' && <Notice kind="info">This content is archived.</Notice>}
    </div>
  );
}
