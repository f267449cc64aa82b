import { describe, expect, it } from 'vitest';
import { Coalescer, sharedCalls } from '../../src/core/coalescer.js';

describe('Coalescer: items queued together go out in one call', () => {
  it('sends items queued while a call is on its way in the next call, in order, one call at a time', async () => {
    const calls: number[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const c = new Coalescer<number>(async (items) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      calls.push(items);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    });
    const first = [c.push(1), c.push(2)];
    await new Promise((r) => setImmediate(r)); // the first call is on its way
    const later = [c.push(3), c.push(4), c.push(5)];
    await Promise.all([...first, ...later]);
    expect(calls).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    expect(maxInFlight).toBe(1);
  });

  it('splits at `max` items and rejects only the pushes of a call that failed', async () => {
    const calls: string[][] = [];
    const c = new Coalescer<string>(
      async (items) => {
        calls.push(items);
        if (items.includes('bad')) throw new Error('refused');
      },
      { max: 2 },
    );
    const results = await Promise.allSettled([
      c.push('a'),
      c.push('b'),
      c.push('bad'),
      c.push('c'),
      c.push('d'),
    ]);
    expect(calls).toEqual([['a', 'b'], ['bad', 'c'], ['d']]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
  });

  it('with minIntervalMs, gathers what is queued within the interval after a call into the next call', async () => {
    const calls: number[][] = [];
    const c = new Coalescer<number>(async (items) => void calls.push(items), { minIntervalMs: 30 });
    await c.push(1); // after a quiet spell: at once
    const later = [c.push(2)];
    await new Promise((r) => setImmediate(r)); // without the interval, 2 would be on its way alone by now
    later.push(c.push(3));
    await Promise.all(later);
    expect(calls).toEqual([[1], [2, 3]]);
  });
});

describe('sharedCalls: one call for items queued together, each fault its own', () => {
  it('shares a call, runs each item of a failed call alone, and runs an item whose key waits alone', async () => {
    const calls: string[][] = [];
    const run = async (items: string[]) => {
      calls.push(items);
      await new Promise((r) => setTimeout(r, 2));
      if (items.length > 1 && items.includes('bad')) throw new Error('refused');
      if (items.includes('bad')) throw new Error('bad alone');
      return new Set(items);
    };
    const call = sharedCalls(run, (item) => item.split('#')[0]!);

    const [a, b] = await Promise.all([call('a'), call('b')]);
    expect([a.has('a'), b.has('b')]).toEqual([true, true]);
    expect(calls).toEqual([['a', 'b']]);

    calls.length = 0;
    const settled = await Promise.allSettled([call('x'), call('bad'), call('y')]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls[0]).toEqual(['x', 'bad', 'y']);
    expect(calls.slice(1).sort()).toEqual([['bad'], ['x'], ['y']]);

    calls.length = 0;
    await Promise.all([call('k#1'), call('k#2')]);
    expect(calls).toContainEqual(['k#2']);
    expect(calls.every((c) => c.filter((i) => i.startsWith('k#')).length <= 1)).toBe(true);
  });
});
