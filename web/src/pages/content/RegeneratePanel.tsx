import { useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../../api/client';
import type { Task } from '../../api/types';
import { ActionButton } from '../../components/ActionButton';
import { InlineSelect } from '../../components/Field';
import { ErrorMessage, StatusBadge } from '../../components/Status';
import { useAction, useAsync, usePoll } from '../../lib/hooks';

/** "Regenerate" button with an optional provider; follows the new task until it finishes. */
export function RegeneratePanel({ contentId, onDone }: { contentId: string; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [providerId, setProviderId] = useState('');
  const [task, setTask] = useState<Task | null>(null);
  const popId = useId();
  const providers = useAsync((s) => (open ? api.listProviders(s) : Promise.resolve(null)), [open]);
  const start = useAction(async () => {
    setTask(await api.regenerateContent(contentId, providerId || undefined));
    setOpen(false);
  });
  const running = task !== null && (task.status === 'queued' || task.status === 'running');
  const onDoneRef = useRef(onDone);
  onDoneRef.current = onDone;

  usePoll(
    async () => {
      if (!task) return;
      try {
        const s = await api.taskStatus(task.id);
        setTask((t) => (t ? { ...t, status: s.status } : t));
      } catch {
        setTask((t) => (t ? { ...t } : t)); // re-arm the poll
      }
    },
    2000,
    running,
    task,
  );

  useEffect(() => {
    if (task?.status === 'completed') onDoneRef.current();
  }, [task?.status]);

  return (
    <div className="popover-wrap">
      <button
        type="button"
        className="btn"
        aria-expanded={open}
        aria-controls={popId}
        onClick={() => setOpen((o) => !o)}
        disabled={running}
      >
        {running ? 'Regenerating…' : 'Regenerate'}
      </button>
      {open && (
        <div id={popId} className="popover card stack">
          <InlineSelect
            label="Provider"
            value={providerId}
            onChange={setProviderId}
            emptyOption="Automatic (best match)"
            options={(providers.data?.items ?? [])
              .filter((p) => p.status === 'active')
              .map((p) => ({ value: p.id, label: p.name }))}
          />
          <div className="row">
            <ActionButton
              action={start}
              className="btn btn-primary btn-sm"
              label="Start regeneration"
              pendingLabel="Starting…"
            />
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
          <p className="hint">The result becomes the next version of this content.</p>
        </div>
      )}
      {start.error !== null && <ErrorMessage error={start.error} title="Could not regenerate" />}
      {task && (
        <p className="small" role="status">
          Regeneration <StatusBadge status={task.status} /> <Link to={`/tasks/${task.id}`}>view task</Link>
        </p>
      )}
    </div>
  );
}
