import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api/client';
import type { TaskEstimate } from '../api/types';
import { formatMicros, NewTaskPage } from './NewTaskPage';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const estimate = (max: number, threshold = 10_000): TaskEstimate => ({
  estimatedCostMicros: { min: 40, max },
  estimatedTokens: 1060,
  thresholdMicros: threshold,
  exceedsThreshold: max > threshold,
  budgets: [],
});

function setup(e: TaskEstimate) {
  vi.spyOn(api, 'taskTypes').mockResolvedValue({
    items: [{ id: 'article', name: 'Article', description: 'An article', defaultMaxTokens: 1000 }],
  } as never);
  vi.spyOn(api, 'listProviders').mockResolvedValue({ items: [] } as never);
  const est = vi.spyOn(api, 'estimateTask').mockResolvedValue(e);
  const create = vi.spyOn(api, 'createTask').mockResolvedValue({ id: 't1' } as never);
  render(
    <MemoryRouter>
      <NewTaskPage />
    </MemoryRouter>,
  );
  return { est, create };
}

describe('<NewTaskPage> cost estimate', () => {
  it('formats micro-dollars', () => {
    expect(formatMicros(0)).toBe('$0.00');
    expect(formatMicros(40)).toBe('$0.00004');
    expect(formatMicros(52_000)).toBe('$0.052');
    expect(formatMicros(2_500_000)).toBe('$2.50');
  });

  it('shows the range once the prompt is typed, and submits without asking below the threshold', async () => {
    const { est, create } = setup(estimate(5_000));
    fireEvent.change(await screen.findByLabelText(/Prompt/), { target: { value: 'A haiku' } });
    expect((await screen.findByTestId('task-estimate')).textContent).toContain('$0.00004 – $0.005');
    expect(est).toHaveBeenLastCalledWith(
      expect.objectContaining({ description: 'A haiku', taskType: 'article' }),
      expect.anything(),
    );
    expect(screen.queryByRole('checkbox')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Submit task' }));
    await waitFor(() => expect(create).toHaveBeenCalledTimes(1));
  });

  it('above the threshold, submits only once the estimate is confirmed', async () => {
    const { create } = setup(estimate(52_000));
    fireEvent.change(await screen.findByLabelText(/Prompt/), { target: { value: 'A long report' } });
    const box = await screen.findByRole('checkbox');
    fireEvent.click(screen.getByRole('button', { name: 'Submit task' }));
    expect(await screen.findByText(/confirm the estimate to submit it/)).toBeTruthy();
    expect(create).not.toHaveBeenCalled();
    fireEvent.click(box);
    fireEvent.click(screen.getByRole('button', { name: 'Submit task' }));
    await waitFor(() => expect(create).toHaveBeenCalledTimes(1));
  });
});
