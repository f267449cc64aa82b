import { useAuth } from '../auth/AuthContext';
import { PageHeader } from '../components/Layout';
import { useCurrentTeam } from '../lib/currentTeam';
import { usePageTitle } from '../lib/hooks';
import { BudgetsSection } from './spend/BudgetsSection';
import { PriceTable } from './spend/PriceTable';
import { UsageSection } from './spend/UsageSection';

/**
 * Spend (API.md § Spend): cost per team, user or provider over a period; the budgets the caller may
 * see with their forecasts (and an editor for those they manage); the price table.
 */
export function SpendPage() {
  usePageTitle('Spend');
  const { user } = useAuth();
  const [team] = useCurrentTeam();
  const isAdmin = user?.role === 'admin';
  return (
    <>
      <PageHeader title="Spend" />
      <div className="stack">
        <UsageSection teamId={team} isAdmin={isAdmin} />
        <BudgetsSection teamId={team} isAdmin={isAdmin} />
        <PriceTable isAdmin={isAdmin} />
      </div>
    </>
  );
}
