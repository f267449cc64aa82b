import { type FormEvent, useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../../api/client';
import { fieldErrors } from '../../api/errors';
import { PRIORITIES, type Priority, type Webhook, type WebhookCreated } from '../../api/types';
import { ConfirmButton } from '../../components/ConfirmButton';
import { CopyButton } from '../../components/CopyButton';
import { Field } from '../../components/Field';
import { PageHeader } from '../../components/Layout';
import { SecretReveal } from '../../components/SecretReveal';
import { Empty, ErrorMessage, Loading, StatusBadge } from '../../components/Status';
import { formatDateTime, formatMs, humanize } from '../../lib/format';
import { useAction, useAsync, usePageTitle } from '../../lib/hooks';
import { absoluteUrl } from '../content/SharePanel';

function hookUrl(id: string, url?: string): string {
  return absoluteUrl(url ?? `/api/webhooks/in/${id}`);
}

function SigningHelp() {
  return (
    <details className="disclosure">
      <summary>How to sign deliveries</summary>
      <p>
        Send <code>POST</code> with a JSON body and the header{' '}
        <code>X-Switchyard-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex&gt;</code>, where the hex is
        HMAC-SHA256 of <code>&lt;t&gt;.&lt;raw body&gt;</code> keyed with the secret. Signatures older than 5
        minutes are refused. Add an <code>Idempotency-Key</code> header to make retries safe.
      </p>
    </details>
  );
}

export function HooksPage() {
  usePageTitle('Webhooks');
  const hooks = useAsync((s) => api.listWebhooks(s), []);
  const types = useAsync((s) => api.taskTypes(s), []);
  const [adding, setAdding] = useState(false);
  const [created, setCreated] = useState<(WebhookCreated & { name: string }) | null>(null);
  const [rotated, setRotated] = useState<{ id: string; name: string; secret: string } | null>(null);
  const [openDeliveries, setOpenDeliveries] = useState<string | null>(null);
  const rotate = useAction(async (h: Webhook) => {
    const res = await api.rotateWebhook(h.id);
    setRotated({ id: h.id, name: h.name, secret: res.secret });
    setCreated(null);
  });
  const remove = useAction(async (h: Webhook) => {
    await api.deleteWebhook(h.id);
    if (rotated?.id === h.id) setRotated(null);
    if (created?.id === h.id) setCreated(null);
    hooks.reload({ silent: true });
  });
  const items = hooks.data?.items ?? [];

  return (
    <section className="stack">
      <PageHeader title="Inbound webhooks">
        {!adding && (
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            New webhook
          </button>
        )}
      </PageHeader>
      <p>
        Let other tools create tasks by posting signed JSON to a webhook URL. Each delivery becomes a task
        built from the prompt template.
      </p>
      {adding && (
        <section className="card stack" aria-labelledby="new-hook-h">
          <h2 id="new-hook-h">New webhook</h2>
          {types.loading && !types.data ? (
            <Loading label="Loading task types…" />
          ) : (
            <HookForm
              taskTypes={(types.data?.items ?? []).map((t) => ({ id: t.id, name: t.name }))}
              onCancel={() => setAdding(false)}
              onCreated={(res, name) => {
                setCreated({ ...res, name });
                setRotated(null);
                setAdding(false);
                hooks.reload({ silent: true });
              }}
            />
          )}
        </section>
      )}
      {created && (
        <section className="alert alert-success stack" aria-labelledby="created-hook-h">
          <h2 id="created-hook-h" className="h4">
            Webhook “{created.name}” created
          </h2>
          <p>
            URL: <code className="break">{hookUrl(created.id, created.url)}</code>{' '}
            <CopyButton
              text={hookUrl(created.id, created.url)}
              label="Copy URL"
              accessibleName="Copy webhook URL"
            />
          </p>
          <SecretReveal label="Signing secret" value={created.secret} testId="webhook-secret" />
          <SigningHelp />
        </section>
      )}
      {rotated && (
        <section className="alert alert-warning stack" aria-labelledby="rotated-hook-h">
          <h2 id="rotated-hook-h" className="h4">
            New secret for “{rotated.name}”
          </h2>
          <SecretReveal
            label="Signing secret"
            value={rotated.secret}
            testId="webhook-secret"
            note="Copy it now: it will not be shown again. Update the sending tool to use it."
          />
        </section>
      )}
      {rotate.error !== null && <ErrorMessage error={rotate.error} title="Secret not rotated" />}
      {remove.error !== null && <ErrorMessage error={remove.error} title="Not deleted" />}
      {hooks.loading && !hooks.data ? (
        <Loading label="Loading webhooks…" />
      ) : hooks.error ? (
        <ErrorMessage error={hooks.error} onRetry={() => hooks.reload()} />
      ) : items.length === 0 ? (
        <Empty>No inbound webhooks yet.</Empty>
      ) : (
        <ul className="account-list">
          {items.map((h) => (
            <li key={h.id} className="card stack" data-webhook={h.name}>
              <div className="row-between">
                <h2 className="h4">
                  {h.name} {h.status && <StatusBadge status={h.status} />}
                </h2>
                <span className="row">
                  <button
                    type="button"
                    className="btn btn-sm"
                    onClick={() => setOpenDeliveries(openDeliveries === h.id ? null : h.id)}
                    aria-expanded={openDeliveries === h.id}
                    aria-label={`Delivery history for ${h.name}`}
                  >
                    Deliveries
                  </button>
                  <ConfirmButton
                    label="Rotate secret"
                    className="btn btn-sm"
                    accessibleName={`Rotate secret for ${h.name}`}
                    question="Rotate? The old secret stops working."
                    confirmLabel="Yes, rotate"
                    onConfirm={() => rotate.run(h)}
                  />
                  <ConfirmButton
                    label="Delete"
                    accessibleName={`Delete webhook ${h.name}`}
                    question={`Delete ${h.name}?`}
                    onConfirm={() => remove.run(h)}
                  />
                </span>
              </div>
              <dl className="facts">
                <div>
                  <dt>URL</dt>
                  <dd className="break">
                    <code>{hookUrl(h.id, h.url)}</code>{' '}
                    <CopyButton
                      text={hookUrl(h.id, h.url)}
                      label="Copy URL"
                      accessibleName={`Copy URL of ${h.name}`}
                    />
                  </dd>
                </div>
                <div>
                  <dt>Task type</dt>
                  <dd>{humanize(h.taskType)}</dd>
                </div>
                <div>
                  <dt>Priority</dt>
                  <dd>{h.priority}</dd>
                </div>
                <div>
                  <dt>Callback</dt>
                  <dd className="break">{h.callbackUrl ?? 'none'}</dd>
                </div>
                <div>
                  <dt>Prompt template</dt>
                  <dd>
                    <pre className="template">{h.promptTemplate}</pre>
                  </dd>
                </div>
              </dl>
              {openDeliveries === h.id && <Deliveries hookId={h.id} />}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function HookForm({
  taskTypes,
  onCreated,
  onCancel,
}: {
  taskTypes: Array<{ id: string; name: string }>;
  onCreated: (res: WebhookCreated, name: string) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState('');
  const [taskType, setTaskType] = useState(taskTypes[0]?.id ?? '');
  const [promptTemplate, setPromptTemplate] = useState('');
  const [priority, setPriority] = useState<Priority>('normal');
  const [callbackUrl, setCallbackUrl] = useState('');
  const [local, setLocal] = useState<Record<string, string>>({});
  const create = useAction(async () => {
    const res = await api.createWebhook({
      name: name.trim(),
      taskType,
      promptTemplate,
      priority,
      ...(callbackUrl.trim() ? { callbackUrl: callbackUrl.trim() } : {}),
    });
    onCreated(res, name.trim());
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!name.trim()) errs.name = 'Name the webhook.';
    if (!taskType) errs.taskType = 'Choose a task type.';
    if (!promptTemplate.trim()) errs.promptTemplate = 'Write the prompt template.';
    setLocal(errs);
    if (!Object.keys(errs).length) create.run();
  };
  const errs = { ...fieldErrors(create.error), ...local };
  return (
    <form className="stack" onSubmit={onSubmit} noValidate aria-label="New webhook">
      {create.error !== null && <ErrorMessage error={create.error} title="Not created" />}
      <div className="grid-2">
        <Field label="Name" required error={errs.name}>
          {(p) => (
            <input
              {...p}
              className="input"
              name="hookName"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <Field label="Task type" required error={errs.taskType}>
          {(p) => (
            <select
              {...p}
              className="input"
              name="taskType"
              value={taskType}
              onChange={(e) => setTaskType(e.target.value)}
            >
              {taskTypes.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name || humanize(t.id)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Priority" error={errs.priority}>
          {(p) => (
            <select
              {...p}
              className="input"
              name="priority"
              value={priority}
              onChange={(e) => setPriority(e.target.value as Priority)}
            >
              {PRIORITIES.map((pr) => (
                <option key={pr} value={pr}>
                  {humanize(pr)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="Callback URL"
          error={errs.callbackUrl}
          hint="Optional. Where to POST the signed result."
        >
          {(p) => (
            <input
              {...p}
              className="input"
              type="url"
              name="callbackUrl"
              value={callbackUrl}
              onChange={(e) => setCallbackUrl(e.target.value)}
            />
          )}
        </Field>
      </div>
      <Field
        label="Prompt template"
        required
        error={errs.promptTemplate}
        hint="The prompt for each task, filled in from the delivery's JSON body."
      >
        {(p) => (
          <textarea
            {...p}
            className="input mono"
            name="promptTemplate"
            rows={5}
            value={promptTemplate}
            onChange={(e) => setPromptTemplate(e.target.value)}
          />
        )}
      </Field>
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={create.pending}>
          {create.pending ? 'Creating…' : 'Create webhook'}
        </button>
        <button type="button" className="btn btn-ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Deliveries({ hookId }: { hookId: string }) {
  const deliveries = useAsync((s) => api.webhookDeliveries(hookId, { limit: 50 }, s), [hookId]);
  const items = deliveries.data?.items ?? [];
  return (
    <section className="stack" aria-label="Delivery history">
      <div className="row-between">
        <h3 className="h4">Delivery history</h3>
        <button type="button" className="btn btn-sm btn-ghost" onClick={() => deliveries.reload()}>
          Refresh
        </button>
      </div>
      {deliveries.loading && !deliveries.data ? (
        <Loading label="Loading deliveries…" />
      ) : deliveries.error ? (
        <ErrorMessage error={deliveries.error} onRetry={() => deliveries.reload()} />
      ) : items.length === 0 ? (
        <Empty>No deliveries yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table responsive compact">
            <caption className="visually-hidden">Deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">HTTP</th>
                <th scope="col">Attempt</th>
                <th scope="col">Duration</th>
                <th scope="col">Task</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id}>
                  <td data-label="When">{formatDateTime(d.createdAt ?? d.receivedAt)}</td>
                  <td data-label="Event">{d.event ?? '—'}</td>
                  <td data-label="Status">{d.status ? <StatusBadge status={d.status} /> : '—'}</td>
                  <td data-label="HTTP">{d.responseStatus ?? '—'}</td>
                  <td data-label="Attempt">{d.attempt ?? '—'}</td>
                  <td data-label="Duration">{formatMs(d.durationMs)}</td>
                  <td data-label="Task">{d.taskId ? <Link to={`/tasks/${d.taskId}`}>open</Link> : '—'}</td>
                  <td data-label="Error">{d.error ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
