import { useState } from 'react';
import { api } from '../api/client';
import type { CreatedApiToken } from '../api/types';
import { ConfirmButton } from '../components/ConfirmButton';
import { AsyncTable } from '../components/DataTable';
import { SelectField, TextField } from '../components/Field';
import { type FieldErrors, Form, useForm } from '../components/Form';
import { Card, PageHeader } from '../components/Layout';
import { SecretReveal } from '../components/SecretReveal';
import { ErrorMessage } from '../components/Status';
import { formatDateTime } from '../lib/format';
import { useAction, useAsync, usePageTitle } from '../lib/hooks';

const EXPIRY = [
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
];

const orNever = (iso: string | null) => (iso ? formatDateTime(iso) : 'Never');

export function TokensPage() {
  usePageTitle('API tokens');
  const tokens = useAsync((s) => api.listApiTokens(s), []);
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const create = useForm({
    initial: { name: '', expiresInDays: '' },
    send: async ({ name, expiresInDays }) => {
      const t = await api.createApiToken({
        name: name.trim(),
        ...(expiresInDays ? { expiresInDays: Number(expiresInDays) } : {}),
      });
      setCreated(t);
      create.setValues({ name: '', expiresInDays: '' });
      tokens.reload({ silent: true });
    },
    validate: (v): FieldErrors =>
      v.name.trim() ? {} : { name: 'Give the token a name, such as where it will be used.' },
  });
  const revoke = useAction(async (id: string) => {
    await api.revokeApiToken(id);
    if (created?.id === id) setCreated(null);
    tokens.reload({ silent: true });
  });

  return (
    <section className="stack">
      <PageHeader title="API tokens" />
      <p>
        Personal API tokens act as you when calling the Switchyard API (send them as a Bearer token). Treat
        them like passwords.
      </p>
      <Form
        state={create}
        className="card stack"
        aria-labelledby="new-token-h"
        heading={<h2 id="new-token-h">Create a token</h2>}
        errorTitle="No token was created"
        submitLabel="Create token"
        pendingLabel="Creating…"
        footer={
          created && (
            <SecretReveal
              label={`New token “${created.name}”`}
              value={created.token}
              testId="new-api-token"
            />
          )
        }
      >
        <div className="grid-2">
          <TextField label="Token name" required {...create.field('name')} name="tokenName" />
          <SelectField
            label="Expires in"
            emptyOption="Never"
            options={EXPIRY}
            {...create.field('expiresInDays')}
          />
        </div>
      </Form>

      <Card title="Your tokens">
        {revoke.error !== null && <ErrorMessage error={revoke.error} title="Could not revoke" />}
        <AsyncTable
          state={tokens}
          loadingLabel="Loading tokens…"
          empty="You have no API tokens."
          caption="API tokens"
          rowKey={(t) => t.id}
          columns={[
            { header: 'Name', rowHeader: true, cell: (t) => t.name },
            { header: 'Created', cell: (t) => formatDateTime(t.createdAt) },
            { header: 'Last used', cell: (t) => orNever(t.lastUsedAt) },
            { header: 'Expires', cell: (t) => orNever(t.expiresAt) },
            {
              header: 'Actions',
              hiddenHeader: true,
              cell: (t) => (
                <ConfirmButton
                  label="Revoke"
                  accessibleName={`Revoke token ${t.name}`}
                  question={`Revoke “${t.name}”?`}
                  onConfirm={() => revoke.run(t.id)}
                />
              ),
            },
          ]}
        />
      </Card>
    </section>
  );
}
