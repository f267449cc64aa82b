import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api } from '../../api/client';
import { isApiError } from '../../api/errors';
import type { ProviderAccount } from '../../api/types';
import { BudgetBar } from '../../components/BudgetBar';
import { ConfirmButton } from '../../components/ConfirmButton';
import { PageHeader } from '../../components/Layout';
import { Empty, ErrorMessage, Loading, StatusBadge } from '../../components/Status';
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

  if (provider.loading && !p) return <Loading label="Loading provider…" />;
  if (provider.error && !p) {
    return (
      <section className="stack">
        <h1>Provider</h1>
        <ErrorMessage
          error={provider.error}
          onRetry={
            isApiError(provider.error) && provider.error.status === 404 ? undefined : () => provider.reload()
          }
        />
        <Link to="/admin/providers">Back to providers</Link>
      </section>
    );
  }
  if (!p) return null;

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
        <button type="button" className="btn" onClick={() => toggle.run()} disabled={toggle.pending}>
          {p.status === 'active' ? 'Disable' : 'Enable'}
        </button>
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
        <section className="card" aria-labelledby="about-h">
          <h2 id="about-h" className="h3">
            About
          </h2>
          <dl className="facts">
            <div>
              <dt>Status</dt>
              <dd>
                <StatusBadge status={p.status} />
              </dd>
            </div>
            <div>
              <dt>Kind</dt>
              <dd>{p.kind}</dd>
            </div>
            <div>
              <dt>Tier</dt>
              <dd>{p.tier}</dd>
            </div>
            <div>
              <dt>Endpoint</dt>
              <dd className="break">{p.apiEndpoint ?? 'default'}</dd>
            </div>
            <div>
              <dt>Models</dt>
              <dd>{p.models.length ? p.models.join(', ') : '—'}</dd>
            </div>
            <div>
              <dt>Competencies</dt>
              <dd>
                {Object.keys(p.competencies).length === 0
                  ? 'none'
                  : Object.entries(p.competencies)
                      .map(([k, v]) => `${k} ${v}`)
                      .join(', ')}
              </dd>
            </div>
          </dl>
        </section>
        <section className="card" aria-labelledby="health-h">
          <h2 id="health-h" className="h3">
            Health
          </h2>
          {status.loading && !status.data ? (
            <Loading label="Loading health…" />
          ) : status.error ? (
            <ErrorMessage error={status.error} onRetry={() => status.reload()} />
          ) : health ? (
            <dl className="facts">
              <div>
                <dt>Circuit</dt>
                <dd>
                  <StatusBadge
                    status={`circuit_${health.circuit}`}
                    label={health.circuit.replace('_', ' ')}
                  />
                </dd>
              </div>
              <div>
                <dt>Error rate</dt>
                <dd>{formatPercent(health.errorRate)}</dd>
              </div>
              <div>
                <dt>p50 latency</dt>
                <dd>{formatMs(health.p50LatencyMs)}</dd>
              </div>
              <div>
                <dt>Last checked</dt>
                <dd>{formatDateTime(health.lastCheckedAt)}</dd>
              </div>
              <div>
                <dt>Last error</dt>
                <dd className="break">{health.lastError ?? 'none'}</dd>
              </div>
            </dl>
          ) : (
            <Empty>No health data yet.</Empty>
          )}
        </section>
      </div>

      {editing && (
        <section className="card stack" aria-labelledby="edit-provider-h">
          <h2 id="edit-provider-h">Edit provider</h2>
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
        </section>
      )}

      <section className="stack" aria-labelledby="accounts-h">
        <div className="page-header">
          <h2 id="accounts-h">Accounts</h2>
          {!addingAccount && (
            <button type="button" className="btn btn-primary" onClick={() => setAddingAccount(true)}>
              Add account
            </button>
          )}
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
