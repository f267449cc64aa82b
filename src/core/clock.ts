/**
 * Core's one time source. A service that needs the time takes `now?: Clock` in its deps (tests pass
 * a fixed one) and falls back to `systemClock`; it never calls `Date.now()` for decisions itself.
 */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
