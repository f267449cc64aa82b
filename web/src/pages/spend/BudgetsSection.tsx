import { useState } from 'react';
import { api } from '../../api/client';
import type { CreateBudgetInput, SpendBudget, Team, UpdateBudgetInput } from '../../api/types';
import { LimitBar } from '../../components/BudgetBar';
import { ConfirmButton } from '../../components/ConfirmButton';
import { AddButton, Card } from '../../components/Layout';
import { Empty, ErrorMessage, Loading, RelativeTime } from '../../components/Status';
import { formatNumber, humanize } from '../../lib/format';
import { useAction, useAsync } from '../../lib/hooks';
import { formatUsd } from '../../lib/money';
import { BudgetEditor } from './BudgetEditor';
import { ForecastChart } from './ForecastChart';

/** Site admins manage every budget; team owners and admins their team's; everyone else reads. */
export function canManageBudget(b: Pick<SpendBudget, 'teamId'>, isAdmin: boolean, teams: Team[]): boolean {
  if (isAdmin) return true;
  if (!b.teamId) return false;
  const t = teams.find((x) => x.id === b.teamId);
  return t?.role === 'owner' || t?.role === 'admin';
}

export function budgetTitle(b: SpendBudget, teams: Team[]): string {
  const team = b.teamId ? teams.find((t) => t.id === b.teamId)?.name : undefined;
  const what = b.scope === 'team' && team ? `Team ${team}` : humanize(b.scope);
  return b.name ? `${b.name} (${what})` : team && b.scope !== 'team' ? `${what} of ${team}` : what;
}

function Forecast({ budget }: { budget: SpendBudget }) {
  const f = useAsync((s) => api.budgetForecast(budget.id, s), [budget.id, budget.updatedAt]);
  if (f.error) return <ErrorMessage error={f.error} onRetry={() => f.reload()} />;
  if (!f.data) return <Loading label="Loading the forecast…" />;
  return <ForecastChart budget={budget} forecast={f.data} />;
}

function BudgetCard({
  budget,
  teams,
  manage,
  isAdmin,
  onSaved,
  onDeleted,
}: {
  budget: SpendBudget;
  teams: Team[];
  manage: boolean;
  isAdmin: boolean;
  onSaved: (b: SpendBudget) => void;
  onDeleted: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const del = useAction(async () => {
    await api.deleteBudget(budget.id);
    onDeleted();
  });
  const title = budgetTitle(budget, teams);
  return (
    <Card title={title} className="card stack" titleClassName="h3">
      {budget.limitMicros !== null && (
        <LimitBar
          label={`Money budget: ${title}`}
          used={budget.spentMicros}
          reserved={budget.reservedMicros}
          limit={budget.limitMicros}
          format={formatUsd}
        />
      )}
      {budget.limitTokens !== null && (
        <LimitBar
          label={`Token budget: ${title}`}
          used={budget.spentTokens}
          reserved={budget.reservedTokens}
          limit={budget.limitTokens}
          format={(n) => `${formatNumber(n)} tokens`}
        />
      )}
      {budget.limitMicros === null && budget.limitTokens === null && (
        <p className="small">{formatUsd(budget.spentMicros)} spent, no limit (alerts only).</p>
      )}
      <dl className="facts">
        <div>
          <dt>When exceeded</dt>
          <dd>{humanize(budget.action)}</dd>
        </div>
        <div>
          <dt>Period</dt>
          <dd>
            {humanize(budget.period)} <span className="muted">({budget.timeZone})</span>
          </dd>
        </div>
        <div>
          <dt>Resets</dt>
          <dd>{budget.resetsAt ? <RelativeTime iso={budget.resetsAt} /> : 'Never'}</dd>
        </div>
        <div>
          <dt>Alerts at</dt>
          <dd>{budget.alertThresholds.map((t) => `${t}%`).join(', ') || '—'}</dd>
        </div>
      </dl>
      <Forecast budget={budget} />
      {manage && !editing && (
        <div className="row">
          <button type="button" className="btn" onClick={() => setEditing(true)}>
            Edit
          </button>
          <ConfirmButton
            label="Delete"
            question={`Delete the budget “${title}”?`}
            onConfirm={() => del.run()}
            pending={del.pending}
            accessibleName={`Delete budget ${title}`}
          />
        </div>
      )}
      {del.error ? <ErrorMessage error={del.error} title="Not deleted" /> : null}
      {editing && (
        <BudgetEditor
          budget={budget}
          isAdmin={isAdmin}
          teamId={budget.teamId}
          onCancel={() => setEditing(false)}
          onSubmit={async (body) => {
            const saved = await api.updateBudget(budget.id, body as UpdateBudgetInput);
            setEditing(false);
            onSaved(saved);
          }}
        />
      )}
    </Card>
  );
}

/** The budgets the caller may see, each with its bar and forecast; an editor for those they manage. */
export function BudgetsSection({ isAdmin, teamId }: { isAdmin: boolean; teamId: string | null }) {
  const budgets = useAsync((s) => api.listBudgets(s), []);
  const teamsState = useAsync((s) => api.listTeams(s), []);
  const teams = teamsState.data?.items ?? [];
  const [adding, setAdding] = useState(false);
  const mayCreate = isAdmin || teams.some((t) => t.role === 'owner' || t.role === 'admin');
  const items = budgets.data?.items ?? [];

  return (
    <Card title="Budgets">
      {mayCreate && (
        <div className="row">
          <AddButton label="New budget" open={adding} onOpen={() => setAdding(true)} />
        </div>
      )}
      {adding && (
        <BudgetEditor
          isAdmin={isAdmin}
          teamId={teamId}
          onCancel={() => setAdding(false)}
          onSubmit={async (body) => {
            const created = await api.createBudget(body as CreateBudgetInput);
            setAdding(false);
            budgets.setData((prev) => ({ items: [...(prev?.items ?? []), created] }));
          }}
        />
      )}
      {budgets.error ? (
        <ErrorMessage error={budgets.error} onRetry={() => budgets.reload()} />
      ) : budgets.loading && !budgets.data ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty>No budgets you can see.</Empty>
      ) : (
        <ul className="stack budget-list" aria-label="Budgets">
          {items.map((b) => (
            <li key={b.id}>
              <BudgetCard
                budget={b}
                teams={teams}
                isAdmin={isAdmin}
                manage={canManageBudget(b, isAdmin, teams)}
                onSaved={(saved) =>
                  budgets.setData((prev) => ({
                    items: (prev?.items ?? []).map((x) => (x.id === saved.id ? saved : x)),
                  }))
                }
                onDeleted={() =>
                  budgets.setData((prev) => ({ items: (prev?.items ?? []).filter((x) => x.id !== b.id) }))
                }
              />
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
