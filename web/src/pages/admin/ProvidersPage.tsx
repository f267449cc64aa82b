import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api } from '../../api/client';
import type { Provider } from '../../api/types';
import { ConfirmButton } from '../../components/ConfirmButton';
import { AsyncTable } from '../../components/DataTable';
import { AddButton, Card, PageHeader } from '../../components/Layout';
import { ErrorMessage, Loading, StatusBadge } from '../../components/Status';
import { useAction, useAsync, usePageTitle } from '../../lib/hooks';
import { ProviderForm } from './ProviderForm';
import { ProviderTestButton } from './ProviderTestButton';

export function ProvidersPage() {
  usePageTitle('Providers');
  const navigate = useNavigate();
  const providers = useAsync((s) => api.listProviders(s), []);
  const types = useAsync((s) => api.taskTypes(s), []);
  const [adding, setAdding] = useState(false);
  const toggle = useAction(async (p: Provider) => {
    const next = await api.updateProvider(p.id, { status: p.status === 'active' ? 'disabled' : 'active' });
    providers.setData((prev) => ({
      items: (prev?.items ?? []).map((x) => (x.id === p.id ? { ...x, ...next } : x)),
    }));
  });
  const remove = useAction(async (p: Provider) => {
    await api.deleteProvider(p.id);
    providers.reload({ silent: true });
  });

  return (
    <section className="stack">
      <PageHeader title="Providers">
        <AddButton label="Add provider" open={adding} onOpen={() => setAdding(true)} />
      </PageHeader>
      {adding && (
        <Card title="New provider">
          {types.loading && !types.data ? (
            <Loading label="Loading task types…" />
          ) : (
            <ProviderForm
              taskTypes={types.data?.items ?? []}
              submitLabel="Create provider"
              onCancel={() => setAdding(false)}
              onSubmit={async (input) => {
                const created = await api.createProvider(input);
                navigate(`/admin/providers/${created.id}`);
              }}
            />
          )}
        </Card>
      )}
      {toggle.error !== null && <ErrorMessage error={toggle.error} title="Status not changed" />}
      {remove.error !== null && <ErrorMessage error={remove.error} title="Not deleted" />}
      <AsyncTable
        state={providers}
        loadingLabel="Loading providers…"
        empty="No providers yet. Add one to start routing tasks."
        caption="AI providers"
        testId="providers-table"
        rowKey={(p) => p.id}
        rowProps={(p) => ({ 'data-provider': p.name })}
        columns={[
          {
            header: 'Name',
            rowHeader: true,
            cell: (p) => <Link to={`/admin/providers/${p.id}`}>{p.name}</Link>,
          },
          { header: 'Kind', cell: (p) => p.kind },
          { header: 'Tier', cell: (p) => p.tier },
          { header: 'Status', cell: (p) => <StatusBadge status={p.status} /> },
          { header: 'Models', cell: (p) => (p.models.length ? p.models.join(', ') : '—') },
          {
            header: 'Actions',
            hiddenHeader: true,
            className: 'actions',
            cell: (p) => (
              <>
                <Link
                  to={`/admin/providers/${p.id}`}
                  className="btn btn-sm btn-ghost"
                  aria-label={`Manage ${p.name}`}
                >
                  Manage
                </Link>
                <ProviderTestButton providerId={p.id} providerName={p.name} />
                <button
                  type="button"
                  className="btn btn-sm"
                  onClick={() => toggle.run(p)}
                  disabled={toggle.pending}
                  aria-label={`${p.status === 'active' ? 'Disable' : 'Enable'} ${p.name}`}
                >
                  {p.status === 'active' ? 'Disable' : 'Enable'}
                </button>
                <ConfirmButton
                  label="Delete"
                  accessibleName={`Delete ${p.name}`}
                  question={`Delete ${p.name} and its accounts?`}
                  onConfirm={() => remove.run(p)}
                />
              </>
            ),
          },
        ]}
      />
    </section>
  );
}
