import { describe, expect, it } from 'vitest';
import { PacePerKey } from '../../src/core/commands/liveEdits.js';

/** The per-channel pace shared by live edit sessions (Slack: one edit a second per channel). */
describe('PacePerKey', () => {
  it('lets one holder through per interval and reserves the next slots in arrival order', () => {
    const pace = new PacePerKey(1000);
    expect(pace.take('C1', 'a', 10_000)).toBe(0);
    // b and c come while the channel is busy: each gets the next free slot, reserved.
    expect(pace.take('C1', 'b', 10_200)).toBe(800);
    expect(pace.take('C1', 'c', 10_300)).toBe(1700);
    // a comes back: after them.
    expect(pace.take('C1', 'a', 11_000)).toBe(2000);
    // Their slots come: each goes through once, nothing twice.
    expect(pace.take('C1', 'b', 11_000)).toBe(0);
    expect(pace.take('C1', 'c', 11_500)).toBe(500);
    expect(pace.take('C1', 'c', 12_000)).toBe(0);
    expect(pace.take('C1', 'a', 13_000)).toBe(0);
    // Another channel has its own pace.
    expect(pace.take('C2', 'a', 13_000)).toBe(0);
  });

  it('a 429 holds the channel for its Retry-After, for everyone', () => {
    const pace = new PacePerKey(1000);
    expect(pace.take('C1', 'a', 0)).toBe(0);
    expect(pace.take('C1', 'b', 100)).toBe(900);
    pace.block('C1', 5000, 200);
    expect(pace.take('C1', 'b', 1000)).toBe(4200);
    expect(pace.take('C1', 'a', 1100)).toBe(5100);
    expect(pace.take('C1', 'b', 5200)).toBe(0);
  });
});
