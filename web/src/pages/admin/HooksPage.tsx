import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../../api/client';
import {
  PRIORITIES,
  type Priority,
  type Webhook,
  type WebhookCreated,
  type WebhookInput,
} from '../../api/types';
import { ConfirmButton } from '../../components/ConfirmButton';
import { CopyButton } from '../../components/CopyButton';
import { AsyncTable, AsyncView } from '../../components/DataTable';
import { Facts } from '../../components/Facts';
import { SelectField, TextAreaField, TextField } from '../../components/Field';
import { type FieldErrors, Form, useForm } from '../../components/Form';
import { AddButton, Card, PageHeader } from '../../components/Layout';
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

  return (
    <section className="stack">
      <PageHeader title="Inbound webhooks">
        <AddButton label="New webhook" open={adding} onOpen={() => setAdding(true)} />
      </PageHeader>
      <p>
        Let other tools create tasks by posting signed JSON to a webhook URL. Each delivery becomes a task
        built from the prompt template.
      </p>
      {adding && (
        <Card title="New webhook">
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
        </Card>
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
      <AsyncView state={hooks} loadingLabel="Loading webhooks…">
        {({ items }) =>
          items.length === 0 ? (
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
                  <Facts
                    items={{
                      URL: (
                        <>
                          <code>{hookUrl(h.id, h.url)}</code>{' '}
                          <CopyButton
                            text={hookUrl(h.id, h.url)}
                            label="Copy URL"
                            accessibleName={`Copy URL of ${h.name}`}
                          />
                        </>
                      ),
                      'Task type': humanize(h.taskType),
                      Priority: h.priority,
                      Callback: h.callbackUrl ?? 'none',
                      'Prompt template': <pre className="template">{h.promptTemplate}</pre>,
                    }}
                    dd={{ URL: { className: 'break' }, Callback: { className: 'break' } }}
                  />
                  {openDeliveries === h.id && <Deliveries hookId={h.id} />}
                </li>
              ))}
            </ul>
          )
        }
      </AsyncView>
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
  const create = useForm({
    initial: {
      name: '',
      taskType: taskTypes[0]?.id ?? '',
      promptTemplate: '',
      priority: 'normal' as Priority,
      callbackUrl: '',
    },
    send: async (v) => {
      const res = await api.createWebhook({
        name: v.name.trim(),
        // One of the ids /api/task-types listed.
        taskType: v.taskType as WebhookInput['taskType'],
        promptTemplate: v.promptTemplate,
        priority: v.priority,
        ...(v.callbackUrl.trim() ? { callbackUrl: v.callbackUrl.trim() } : {}),
      });
      onCreated(res, v.name.trim());
    },
    validate: (v) => {
      const errs: FieldErrors = {};
      if (!v.name.trim()) errs.name = 'Name the webhook.';
      if (!v.taskType) errs.taskType = 'Choose a task type.';
      if (!v.promptTemplate.trim()) errs.promptTemplate = 'Write the prompt template.';
      return errs;
    },
  });
  return (
    <Form
      state={create}
      aria-label="New webhook"
      errorTitle="Not created"
      submitLabel="Create webhook"
      pendingLabel="Creating…"
      onCancel={onCancel}
    >
      <div className="grid-2">
        <TextField label="Name" required {...create.field('name')} name="hookName" />
        <SelectField
          label="Task type"
          required
          options={taskTypes.map((t) => ({ value: t.id, label: t.name || humanize(t.id) }))}
          {...create.field('taskType')}
        />
        <SelectField label="Priority" options={PRIORITIES} {...create.field('priority')} />
        <TextField
          label="Callback URL"
          hint="Optional. Where to POST the signed result."
          type="url"
          {...create.field('callbackUrl')}
        />
      </div>
      <TextAreaField
        label="Prompt template"
        required
        hint="The prompt for each task, filled in from the delivery's JSON body."
        mono
        rows={5}
        {...create.field('promptTemplate')}
      />
    </Form>
  );
}

function Deliveries({ hookId }: { hookId: string }) {
  const deliveries = useAsync((s) => api.webhookDeliveries(hookId, { limit: 50 }, s), [hookId]);
  const dash = (v: string | number | null) => v ?? '—';
  return (
    <section className="stack" aria-label="Delivery history">
      <div className="row-between">
        <h3 className="h4">Delivery history</h3>
        <button type="button" className="btn btn-sm btn-ghost" onClick={() => deliveries.reload()}>
          Refresh
        </button>
      </div>
      <AsyncTable
        state={deliveries}
        loadingLabel="Loading deliveries…"
        empty="No deliveries yet."
        caption="Deliveries, newest first"
        compact
        rowKey={(d) => d.id}
        columns={[
          { header: 'When', cell: (d) => formatDateTime(d.createdAt) },
          { header: 'Event', cell: (d) => dash(d.event) },
          { header: 'Status', cell: (d) => (d.status ? <StatusBadge status={d.status} /> : '—') },
          { header: 'HTTP', cell: (d) => dash(d.responseStatus) },
          { header: 'Attempt', cell: (d) => dash(d.attempt) },
          { header: 'Duration', cell: (d) => formatMs(d.durationMs) },
          { header: 'Task', cell: (d) => (d.taskId ? <Link to={`/tasks/${d.taskId}`}>open</Link> : '—') },
          { header: 'Error', cell: (d) => dash(d.error) },
        ]}
      />
    </section>
  );
}
