import type { RoutingSettings } from '../src/core/routing/types.js';

/**
 * How the router scores providers (src/core/routing/router.ts), as data.
 *
 * Each kept candidate gets six terms in 0..1 (higher is better):
 * - `competency`: the provider's competency for the task type;
 * - `budget`: the share of the chosen account's limit still free after this task's reservation;
 * - `load`: 1 / (1 + assignments in flight on the provider);
 * - `latency`: latencyRefMs / (latencyRefMs + p50 latency of recent successful attempts), 0.5 if unknown;
 * - `reliability`: 1 − error rate of recent attempts (rate limits, 5xx, timeouts, connection errors);
 * - `cost`: costRefUsd / (costRefUsd + the task's worst-case cost from the provider's prices).
 *
 * The score is the weighted mean of the terms. The task's priority picks the weights: urgent work
 * favours quality and speed, low-priority work favours cheap providers and plentiful budget.
 */
export const ROUTING_SETTINGS: RoutingSettings = {
  weights: {
    urgent: { competency: 0.35, budget: 0.05, load: 0.1, latency: 0.3, reliability: 0.15, cost: 0.05 },
    high: { competency: 0.35, budget: 0.1, load: 0.1, latency: 0.2, reliability: 0.15, cost: 0.1 },
    normal: { competency: 0.3, budget: 0.15, load: 0.1, latency: 0.1, reliability: 0.15, cost: 0.2 },
    low: { competency: 0.15, budget: 0.3, load: 0.05, latency: 0.02, reliability: 0.08, cost: 0.4 },
  },
  /** A provider whose competency for the task type is below this (or missing) cannot run it. */
  minCompetency: 0.05,
  latencyRefMs: 2_000,
  costRefUsd: 0.01,
  /** Provider calls in one run of a task (the job's retries with backoff come on top). */
  maxAttemptsPerRun: 4,
  /**
   * `prefer`: a pinned provider goes first when it can serve; otherwise (or when it fails) the task
   * falls back to the others and the decision records why. `strict`: only the pinned provider.
   */
  pinnedPolicy: 'prefer',
  /**
   * The input estimate uses OpenAI's tokenizer; other vendors count differently, so their input
   * estimate is padded by this factor before it is reserved (output is already capped by maxTokens).
   */
  inputSafetyFactor: { openai: 1.05, xai: 1.25, anthropic: 1.3, manus: 1.3, openai_compatible: 1.3, mock: 1 },
  /** Recent-attempt window for latency and error rate. */
  statsWindowSeconds: 900,
  circuit: {
    /** Open after this many failures in a row… */
    failureThreshold: 5,
    /** …or when at least `minSamples` attempts in the window failed at this rate. */
    errorRateThreshold: 0.5,
    minSamples: 10,
    windowSeconds: 300,
    /** Open for this long, then one probe is let through (half-open). */
    cooldownSeconds: 30,
  },
};
