import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { api } from '../api/client';
import { ApiError } from '../api/errors';
import type { BudgetForecast, PriceRow, SpendBudget, Team, User } from '../api/types';
import { AuthProvider } from '../auth/AuthContext';
import { stubResizeObserver } from '../lib/testing';
import { SpendPage } from './SpendPage';
import { BudgetsSection } from './spend/BudgetsSection';
import { ForecastChart, formatDay } from './spend/ForecastChart';
import { PriceTable } from './spend/PriceTable';

beforeAll(stubResizeObserver);
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  window.localStorage.clear();
});

/** A built-in price row (from the genai-prices package). */
const GPT_4O: PriceRow = {
  providerKind: 'openai',
  model: 'gpt-4o',
  inputPerMTokUsd: 2.5,
  outputPerMTokUsd: 10,
  cachedInputPerMTokUsd: 1.25,
  source: '@pydantic/genai-prices@0.1.8',
};

const TEAM_ID = '11111111-1111-4111-8111-111111111111';
const team = (role: Team['role']): Team => ({
  id: TEAM_ID,
  name: 'Growth',
  slug: 'growth',
  createdAt: '2026-01-01T00:00:00.000Z',
  role,
});

const budget = (over: Partial<SpendBudget> = {}): SpendBudget => ({
  id: 'b1',
  scope: 'team',
  scopeId: TEAM_ID,
  teamId: TEAM_ID,
  name: 'Growth monthly',
  limitMicros: 100_000_000,
  limitTokens: null,
  period: 'monthly',
  timeZone: 'UTC',
  resetsAt: '2026-02-01T00:00:00.000Z',
  spentMicros: 40_000_000,
  spentTokens: 1000,
  reservedMicros: 2_500_000,
  reservedTokens: 0,
  alertThresholds: [50, 80, 100],
  alertTargets: {},
  action: 'block',
  createdAt: '2025-12-01T00:00:00.000Z',
  updatedAt: '2026-01-10T00:00:00.000Z',
  ...over,
});

const forecast: BudgetForecast = {
  windowDays: 7,
  burnRatePerDayMicros: 5_000_000,
  runsOutAt: '2026-01-26T12:00:00.000Z',
  projectedPeriodSpendMicros: 122_500_000,
};

const user = (role: User['role']) =>
  ({ id: 'u1', username: 'alice', email: 'alice@example.com', role }) as unknown as User;

function mockApi(opts: { role: User['role']; teams?: Team[]; budgets?: SpendBudget[] }) {
  vi.spyOn(api, 'hasSession').mockReturnValue(true);
  vi.spyOn(api, 'me').mockResolvedValue(user(opts.role));
  vi.spyOn(api, 'listTeams').mockResolvedValue({ items: opts.teams ?? [] });
  vi.spyOn(api, 'listBudgets').mockResolvedValue({ items: opts.budgets ?? [budget()] });
  vi.spyOn(api, 'budgetForecast').mockResolvedValue(forecast);
  vi.spyOn(api, 'notifications').mockResolvedValue({ items: [] } as never);
  vi.spyOn(api, 'listPrices').mockResolvedValue({ items: [GPT_4O] });
  return vi.spyOn(api, 'usageReport').mockResolvedValue({
    items: [
      {
        key: 't1',
        label: 'Growth',
        tasks: 3,
        completed: 3,
        failed: 0,
        tokens: 900,
        costMicros: 1_234_560_000,
        p50LatencyMs: 1,
        p95LatencyMs: 2,
      },
      {
        key: 't2',
        label: 'Support',
        tasks: 1,
        completed: 1,
        failed: 0,
        tokens: 100,
        costMicros: 290_000,
        p50LatencyMs: 1,
        p95LatencyMs: 2,
      },
    ],
  });
}

function renderPage() {
  return render(
    <AuthProvider>
      <MemoryRouter>
        <SpendPage />
      </MemoryRouter>
    </AuthProvider>,
  );
}

describe('<SpendPage>', () => {
  it('shows cost per group in dollars with a total, the budgets and the price table', async () => {
    const report = mockApi({ role: 'admin', teams: [team(null)] });
    renderPage();
    expect(await screen.findByRole('rowheader', { name: 'Growth' })).toBeTruthy();
    expect(screen.getByText('$1,234.56')).toBeTruthy();
    expect(screen.getByTestId('spend-total').textContent).toBe('$1,234.85');
    expect(report.mock.lastCall?.[0]).toMatchObject({ groupBy: 'team' });

    fireEvent.click(screen.getByRole('radio', { name: 'Provider' }));
    await waitFor(() => expect(report.mock.lastCall?.[0]).toMatchObject({ groupBy: 'provider' }));
    fireEvent.change(screen.getByLabelText('Period'), { target: { value: 'custom' } });
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-01-03' } });
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2026-01-05' } });
    await waitFor(() =>
      expect(report.mock.lastCall?.[0]).toMatchObject({ from: '2026-01-03', to: '2026-01-06' }),
    );

    const meter = await screen.findByRole('meter', { name: 'Money budget: Growth monthly (Team Growth)' });
    expect(meter.getAttribute('aria-valuetext')).toBe('$40.00 spent, $2.50 reserved, $57.50 left of $100.00');
    expect(await screen.findByTestId('runs-out')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Edit' })).toBeTruthy();
    expect(await screen.findByRole('cell', { name: '@pydantic/genai-prices@0.1.8' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Override openai gpt-4o' })).toBeTruthy();
  });

  it('a team member reads the budget but cannot change it, and is not asked for site-wide spend', async () => {
    const report = mockApi({ role: 'user', teams: [team('member')] });
    renderPage();
    expect(await screen.findByRole('meter', { name: /Money budget/ })).toBeTruthy();
    expect(screen.getByText(/Pick a team you administer/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'New budget' })).toBeNull();
    expect(screen.queryByRole('button', { name: /^Override/ })).toBeNull();
    expect(report).not.toHaveBeenCalled();
  });
});

describe('budget editor', () => {
  it('posts the exact micro-dollars and the rest of the budget', async () => {
    mockApi({ role: 'user', teams: [team('admin')], budgets: [] });
    const create = vi
      .spyOn(api, 'createBudget')
      .mockImplementation(async (body) => budget({ ...body, id: 'b2', name: body.name ?? null } as never));
    render(<BudgetsSection isAdmin={false} teamId={null} />);
    fireEvent.click(await screen.findByRole('button', { name: 'New budget' }));
    const form = screen.getByRole('form', { name: 'New budget' });
    const f = within(form);
    await waitFor(() => expect(f.getByRole('option', { name: 'Growth' })).toBeTruthy());
    fireEvent.change(f.getByLabelText(/Applies to/), { target: { value: TEAM_ID } });
    fireEvent.change(f.getByLabelText('Name'), { target: { value: 'Launch' } });
    fireEvent.change(f.getByLabelText('Limit (USD)'), { target: { value: '8.2' } });
    fireEvent.change(f.getByLabelText('Token limit'), { target: { value: '50000' } });
    fireEvent.change(f.getByLabelText('Period'), { target: { value: 'weekly' } });
    fireEvent.change(f.getByLabelText('Time zone'), { target: { value: 'Europe/Paris' } });
    fireEvent.change(f.getByLabelText('Alert thresholds (%)'), { target: { value: '90, 50' } });
    fireEvent.change(f.getByLabelText('When exceeded'), { target: { value: 'approve' } });
    fireEvent.click(f.getByRole('button', { name: 'Create budget' }));
    await waitFor(() => expect(create).toHaveBeenCalledTimes(1));
    // 8.2 * 1e6 is 8199999.999999999 in floating point; the body must say 8200000.
    expect(create.mock.calls[0][0]).toEqual({
      scope: 'team',
      scopeId: TEAM_ID,
      name: 'Launch',
      limitMicros: 8_200_000,
      limitTokens: 50_000,
      period: 'weekly',
      timeZone: 'Europe/Paris',
      alertThresholds: [50, 90],
      action: 'approve',
    });
    expect(await screen.findByRole('heading', { name: 'Launch (Team Growth)' })).toBeTruthy();
  });

  it('a team admin is offered only what they may budget', async () => {
    const other: Team = { ...team('member'), id: '22222222-2222-4222-8222-222222222222', name: 'Sales' };
    mockApi({ role: 'user', teams: [team('owner'), other], budgets: [] });
    const create = vi.spyOn(api, 'createBudget');
    // The switcher is on a team the user only belongs to: it is not preset behind the picker.
    render(<BudgetsSection isAdmin={false} teamId={other.id} />);
    fireEvent.click(await screen.findByRole('button', { name: 'New budget' }));
    const form = within(screen.getByRole('form', { name: 'New budget' }));
    const scopes = [...(form.getByLabelText('Scope') as HTMLSelectElement).options].map((o) => o.value);
    expect(scopes).not.toContain('user');
    await waitFor(() => expect(form.getByRole('option', { name: 'Growth' })).toBeTruthy());
    expect(form.queryByRole('option', { name: 'Sales' })).toBeNull();
    await waitFor(() => expect((form.getByLabelText(/Applies to/) as HTMLSelectElement).value).toBe(''));
    fireEvent.change(form.getByLabelText('Limit (USD)'), { target: { value: '5' } });
    fireEvent.click(form.getByRole('button', { name: 'Create budget' }));
    expect(await form.findByText('Choose what the budget applies to.')).toBeTruthy();
    expect(create).not.toHaveBeenCalled();
  });

  it('an edit of the limit sends only the limit (a period in the body would reset the spend)', async () => {
    mockApi({ role: 'admin' });
    const update = vi.spyOn(api, 'updateBudget').mockResolvedValue(budget({ limitMicros: 19_990_000 }));
    render(<BudgetsSection isAdmin teamId={null} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit' }));
    const form = screen.getByRole('form', { name: 'Edit budget Growth monthly' });
    expect((within(form).getByLabelText('Limit (USD)') as HTMLInputElement).value).toBe('100');
    fireEvent.change(within(form).getByLabelText('Limit (USD)'), { target: { value: '19.99' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save budget' }));
    await waitFor(() => expect(update).toHaveBeenCalledWith('b1', { limitMicros: 19_990_000 }));
  });

  it('shows what the API refused, next to the field', async () => {
    mockApi({ role: 'admin', teams: [team(null)], budgets: [] });
    vi.spyOn(api, 'createBudget').mockRejectedValue(
      new ApiError({
        status: 400,
        code: 'validation_failed',
        message: 'Invalid body',
        details: [{ field: 'body.timeZone', message: 'must be an IANA time zone such as Europe/Paris' }],
      }),
    );
    render(<BudgetsSection isAdmin teamId={TEAM_ID} />);
    fireEvent.click(await screen.findByRole('button', { name: 'New budget' }));
    const form = screen.getByRole('form', { name: 'New budget' });
    await waitFor(() => expect(within(form).getByRole('option', { name: 'Growth' })).toBeTruthy());
    fireEvent.change(within(form).getByLabelText('Limit (USD)'), { target: { value: '5' } });
    fireEvent.change(within(form).getByLabelText('Time zone'), { target: { value: 'Mars/Olympus' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Create budget' }));
    expect(await within(form).findByRole('alert')).toBeTruthy();
    expect(within(form).getByText('must be an IANA time zone such as Europe/Paris')).toBeTruthy();
  });

  it('refuses an amount that is not exact to the micro-dollar before sending', async () => {
    mockApi({ role: 'admin', budgets: [] });
    const create = vi.spyOn(api, 'createBudget');
    render(<BudgetsSection isAdmin teamId={TEAM_ID} />);
    fireEvent.click(await screen.findByRole('button', { name: 'New budget' }));
    const form = screen.getByRole('form', { name: 'New budget' });
    fireEvent.change(within(form).getByLabelText('Limit (USD)'), { target: { value: '0.0000001' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Create budget' }));
    expect(await within(form).findByText(/at most 6 decimal places/)).toBeTruthy();
    expect(create).not.toHaveBeenCalled();
  });
});

describe('forecast chart', () => {
  it('marks the run-out date on the chart and says it in words', () => {
    const { container } = render(
      <ForecastChart
        budget={budget()}
        forecast={forecast}
        now={new Date('2026-01-15T12:00:00.000Z').getTime()}
        width={640}
      />,
    );
    const day = formatDay('2026-01-26T12:00:00.000Z');
    expect(screen.getByTestId('runs-out').textContent).toBe(`Runs out on ${day}.`);
    expect(
      screen.getByText(/Burning \$5\.00 a day \(last 7 days\); projected \$122\.50 this period of \$100\.00/),
    ).toBeTruthy();
    // The reference line's label is drawn in the SVG.
    const labels = [...container.querySelectorAll('svg text')].map((t) => t.textContent);
    expect(labels).toContain(`Runs out ${day}`);
  });

  it('says when the budget does not run out before its reset', () => {
    render(
      <ForecastChart
        budget={budget()}
        forecast={{ ...forecast, runsOutAt: null, projectedPeriodSpendMicros: 60_000_000 }}
        now={new Date('2026-01-15T12:00:00.000Z').getTime()}
        width={640}
      />,
    );
    expect(screen.queryByTestId('runs-out')).toBeNull();
    expect(screen.getByText(/Does not run out before the reset/)).toBeTruthy();
  });
});

describe('price table', () => {
  it('a site admin overrides a row; the other overrides are kept', async () => {
    const kept: PriceRow = {
      providerKind: 'anthropic',
      model: '*',
      inputPerMTokUsd: 3,
      outputPerMTokUsd: 15,
      cachedInputPerMTokUsd: null,
      source: 'admin override',
    };
    vi.spyOn(api, 'listPrices').mockResolvedValue({ items: [kept, GPT_4O] });
    const put = vi.spyOn(api, 'replacePriceOverrides').mockImplementation(async ({ items }) => ({
      items: items.map((i) => ({
        ...i,
        cachedInputPerMTokUsd: i.cachedInputPerMTokUsd ?? null,
        source: 'admin override',
      })),
    }));
    render(<PriceTable isAdmin />);
    fireEvent.click(await screen.findByRole('button', { name: 'Override openai gpt-4o' }));
    const form = screen.getByRole('form', { name: 'Override the price of openai gpt-4o' });
    fireEvent.change(within(form).getByLabelText('Output (USD / M tokens)'), { target: { value: '8' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save override' }));
    await waitFor(() => expect(put).toHaveBeenCalledTimes(1));
    expect(put.mock.calls[0][0]).toEqual({
      items: [
        {
          providerKind: 'anthropic',
          model: '*',
          inputPerMTokUsd: 3,
          outputPerMTokUsd: 15,
          cachedInputPerMTokUsd: null,
        },
        {
          providerKind: 'openai',
          model: 'gpt-4o',
          inputPerMTokUsd: 2.5,
          outputPerMTokUsd: 8,
          cachedInputPerMTokUsd: 1.25,
        },
      ],
    });
    expect(await screen.findByRole('button', { name: 'Remove the override of openai gpt-4o' })).toBeTruthy();
  });
});
