import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { BudgetBar } from '../components/BudgetBar';
import { budget } from './budget';

afterEach(cleanup);

describe('budget maths', () => {
  it('splits the limit into used, reserved and remaining', () => {
    const b = budget({ tokenLimit: 1000, tokenUsed: 250, tokenReserved: 100, tokensRemaining: 650 });
    expect(b).toMatchObject({
      limit: 1000,
      used: 250,
      reserved: 100,
      remaining: 650,
      usedPct: 25,
      reservedPct: 10,
      remainingPct: 65,
      level: 'ok',
      overCommitted: false,
    });
  });

  it('infers the reservation from tokensRemaining when tokenReserved is absent', () => {
    const b = budget({ tokenLimit: 1000, tokenUsed: 600, tokensRemaining: 200 });
    expect(b.reserved).toBe(200);
    expect(b.remaining).toBe(200);
    expect(b.usedPct + b.reservedPct).toBe(80);
    expect(b.level).toBe('warn');
  });

  it('treats tokensRemaining = limit - used as no reservation', () => {
    expect(budget({ tokenLimit: 1000, tokenUsed: 400, tokensRemaining: 600 }).reserved).toBe(0);
  });

  it('never exceeds 100 % when over-committed', () => {
    const b = budget({ tokenLimit: 1000, tokenUsed: 900, tokenReserved: 300 });
    expect(b.usedPct).toBe(90);
    expect(b.reservedPct).toBe(10);
    expect(b.remainingPct).toBe(0);
    expect(b.remaining).toBe(0);
    expect(b.overCommitted).toBe(true);
    expect(b.level).toBe('critical');
  });

  it('handles a zero limit and junk input', () => {
    expect(budget({ tokenLimit: 0, tokenUsed: 0 })).toMatchObject({
      usedPct: 0,
      reservedPct: 0,
      remainingPct: 100,
      level: 'critical',
    });
    expect(budget({ tokenLimit: Number.NaN, tokenUsed: -5, tokenReserved: null })).toMatchObject({
      limit: 0,
      used: 0,
      reserved: 0,
    });
    expect(budget({ tokenLimit: 1000, tokenUsed: 2000 })).toMatchObject({
      usedPct: 100,
      reservedPct: 0,
      remainingPct: 0,
    });
  });

  it('keeps one decimal and the segments adding up to 100', () => {
    const b = budget({ tokenLimit: 3, tokenUsed: 1, tokenReserved: 1 });
    expect(b.usedPct).toBe(33.3);
    expect(b.reservedPct).toBe(33.3);
    expect(b.remainingPct).toBe(33.4);
  });
});

describe('<BudgetBar>', () => {
  it('renders a labelled meter with the figures', () => {
    render(
      <BudgetBar
        account={{
          accountName: 'main',
          tokenLimit: 1000,
          tokenUsed: 250,
          tokenReserved: 100,
          tokensRemaining: 650,
          resetDate: null,
          resetPeriod: 'none',
        }}
      />,
    );
    const meter = screen.getByRole('meter', { name: 'Token budget for main' });
    expect(meter.getAttribute('aria-valuenow')).toBe('35');
    expect(meter.getAttribute('aria-valuetext')).toMatch(
      /250 used, 100 reserved, 650 remaining of 1,000 tokens/,
    );
    expect((meter.querySelector('.budget-used') as HTMLElement).style.width).toBe('25%');
    expect((meter.querySelector('.budget-reserved') as HTMLElement).style.width).toBe('10%');
    expect(screen.getByText('Never (no reset period)')).toBeTruthy();
  });
});
