import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api } from '../../api/client';
import type { ProviderAccount } from '../../api/types';
import { ActionButton } from '../../components/ActionButton';
import { BudgetBar } from '../../components/BudgetBar';
import { ConfirmButton } from '../../components/ConfirmButton';
import { Facts } from '../../components/Facts';
import { AddButton, Card, PageHeader } from '../../components/Layout';
import { Empty, ErrorMessage, Loading, NotLoaded, StatusBadge } from '../../components/Status';
import { formatDateTime, formatMs, formatPercent } from '../../lib/format';
import { useAction, useAsync, usePageTitle } from '../../lib/hooks';
import { AccountForm } from './AccountForm';
import { ProviderForm } from './ProviderForm';
import { ProviderTestButton } from './ProviderTestButton';

export function ProviderDetailPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const provider = useAsync((s) => api.getProvider(id, s), [id]);
  const status = useAsync((s) => api.providerStatus(id, s), [id]);
  const types = useAsync((s) => api.taskTypes(s), []);
  const [editing, setEditing] = useState(false);
  const [addingAccount, setAddingAccount] = useState(false);
  const [editingAccount, setEditingAccount] = useState<string | null>(null);
  const p = provider.data;
  usePageTitle(p ? `Provider ${p.name}` : 'Provider');

  const refresh = () => {
    provider.reload({ silent: true });
    status.reload({ silent: true });
  };
  const toggle = useAction(async () => {
    if (!p) return;
    await api.updateProvider(p.id, { status: p.status === 'active' ? 'disabled' : 'active' });
    refresh();
  });
  const remove = useAction(async () => {
    await api.deleteProvider(id);
    navigate('/admin/providers', { replace: true });
  });
  const removeAccount = useAction(async (accountId: string) => {
    await api.deleteAccount(id, accountId);
    refresh();
  });

  if (!p)
    return (
      <NotLoaded
        state={provider}
        title="Provider"
        back={<Link to="/admin/providers">Back to providers</Link>}
      />
    );

  // The status endpoint carries the live budgets (and reservations); prefer its figures.
  const live = new Map((status.data?.accounts ?? []).map((a) => [a.id, a]));
  const accounts: ProviderAccount[] = (p.accounts ?? []).map((a) => ({ ...a, ...(live.get(a.id) ?? {}) }));
  const health = status.data?.health;

  return (
    <section className="stack">
      <p className="breadcrumb">
        <Link to="/admin/providers">Providers</Link> / {p.name}
      </p>
      <PageHeader title={p.name}>
        <ProviderTestButton providerId={p.id} providerName={p.name} />
        <button type="button" className="btn" onClick={() => setEditing((e) => !e)} aria-expanded={editing}>
          {editing ? 'Close editor' : 'Edit provider'}
        </button>
        <ActionButton action={toggle} label={p.status === 'active' ? 'Disable' : 'Enable'} />
        <ConfirmButton
          label="Delete"
          accessibleName={`Delete ${p.name}`}
          question="Delete this provider and its accounts?"
          onConfirm={() => remove.run()}
          pending={remove.pending}
        />
      </PageHeader>
      {toggle.error !== null && <ErrorMessage error={toggle.error} title="Status not changed" />}
      {remove.error !== null && <ErrorMessage error={remove.error} title="Not deleted" />}

      <div className="grid-2">
        <Card title="About" className="card" titleClassName="h3">
          <Facts
            items={{
              Status: <StatusBadge status={p.status} />,
              Kind: p.kind,
              Tier: p.tier,
              Endpoint: p.apiEndpoint ?? 'default',
              Models: p.models.length ? p.models.join(', ') : '—',
              Competencies:
                Object.entries(p.competencies)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ') || 'none',
            }}
            dd={{ Endpoint: { className: 'break' } }}
          />
        </Card>
        <Card title="Health" className="card" titleClassName="h3">
          {status.loading && !status.data ? (
            <Loading label="Loading health…" />
          ) : status.error ? (
            <ErrorMessage error={status.error} onRetry={() => status.reload()} />
          ) : health ? (
            <Facts
              items={{
                Circuit: (
                  <StatusBadge
                    status={`circuit_${health.circuit}`}
                    label={health.circuit.replace('_', ' ')}
                  />
                ),
                'Error rate': formatPercent(health.errorRate),
                'p50 latency': formatMs(health.p50LatencyMs),
                'Last checked': formatDateTime(health.lastCheckedAt),
                'Last error': health.lastError ?? 'none',
              }}
              dd={{ 'Last error': { className: 'break' } }}
            />
          ) : (
            <Empty>No health data yet.</Empty>
          )}
        </Card>
      </div>

      {editing && (
        <Card title="Edit provider">
          <ProviderForm
            provider={p}
            taskTypes={types.data?.items ?? []}
            submitLabel="Save provider"
            onCancel={() => setEditing(false)}
            onSubmit={async (input) => {
              await api.updateProvider(p.id, input);
              setEditing(false);
              refresh();
            }}
          />
        </Card>
      )}

      <section className="stack" aria-labelledby="accounts-h">
        <div className="page-header">
          <h2 id="accounts-h">Accounts</h2>
          <AddButton label="Add account" open={addingAccount} onOpen={() => setAddingAccount(true)} />
        </div>
        {addingAccount && (
          <div className="card stack">
            <h3>New account</h3>
            <AccountForm
              submitLabel="Create account"
              onCancel={() => setAddingAccount(false)}
              onSubmit={async (input) => {
                await api.createAccount(p.id, input);
                setAddingAccount(false);
                refresh();
              }}
            />
          </div>
        )}
        {removeAccount.error !== null && (
          <ErrorMessage error={removeAccount.error} title="Account not deleted" />
        )}
        {accounts.length === 0 ? (
          <Empty>
            No accounts. Add one with an API key and a token budget so tasks can use this provider.
          </Empty>
        ) : (
          <ul className="account-list">
            {accounts.map((a) => (
              <li key={a.id} className="card stack" data-account={a.accountName}>
                <div className="row-between">
                  <h3 className="h4">
                    {a.accountName} <StatusBadge status={a.status} />
                  </h3>
                  <span className="row">
                    <button
                      type="button"
                      className="btn btn-sm"
                      onClick={() => setEditingAccount(editingAccount === a.id ? null : a.id)}
                      aria-expanded={editingAccount === a.id}
                      aria-label={`Edit account ${a.accountName}`}
                    >
                      Edit
                    </button>
                    <ConfirmButton
                      label="Delete"
                      accessibleName={`Delete account ${a.accountName}`}
                      question="Delete this account?"
                      onConfirm={() => removeAccount.run(a.id)}
                    />
                  </span>
                </div>
                <BudgetBar account={a} />
                {editingAccount === a.id && (
                  <AccountForm
                    account={a}
                    submitLabel="Save account"
                    onCancel={() => setEditingAccount(null)}
                    onSubmit={async (input) => {
                      await api.updateAccount(p.id, a.id, input);
                      setEditingAccount(null);
                      refresh();
                    }}
                  />
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}
