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

  it('a slow send pushes the next slots: a whole interval after the platform answered', () => {
    const pace = new PacePerKey(1000);
    expect(pace.take('C1', 'a', 0)).toBe(0);
    expect(pace.take('C1', 'b', 100)).toBe(900);
    // a's request took 300 ms: b, promised 1000, waits until 1300; c queues after it.
    pace.sent('C1', 300);
    expect(pace.take('C1', 'b', 1000)).toBe(300);
    expect(pace.take('C1', 'c', 1000)).toBe(1300);
    expect(pace.take('C1', 'b', 1300)).toBe(0);
    // b's request took 10 ms: c, promised 2300, goes a whole interval after b's answer.
    pace.sent('C1', 1310);
    expect(pace.take('C1', 'c', 2300)).toBe(10);
    expect(pace.take('C1', 'c', 2310)).toBe(0);
    // c's request was answered at 2320: d, promised 3310, goes at 3320.
    expect(pace.take('C1', 'd', 2310)).toBe(1000);
    pace.sent('C1', 2320);
    expect(pace.take('C1', 'd', 3310)).toBe(10);
  });

  it('a holder that comes late for its slot sends, and the next promise moves a whole interval after it', () => {
    const pace = new PacePerKey(1000);
    expect(pace.take('C1', 'a', 0)).toBe(0);
    expect(pace.take('C1', 'b', 10)).toBe(990);
    expect(pace.take('C1', 'a', 500)).toBe(1500);
    // b was promised 1000 but comes at 1950: it sends, and a (promised 2000) waits until 2950.
    expect(pace.take('C1', 'b', 1950)).toBe(0);
    expect(pace.take('C1', 'a', 2000)).toBe(950);
    expect(pace.take('C1', 'a', 2950)).toBe(0);
  });
});
