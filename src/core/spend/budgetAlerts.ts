import { type Clock, systemClock } from '../clock.js';
import type { Log } from '../log.js';
import { deriveCallbackSecret } from '../webhooks/callbackSecret.js';
import type { PostOptions, PostResult } from '../webhooks/httpPost.js';
import { signPayload } from '../webhooks/signature.js';
import type { BudgetRecord, CrossedBudget } from './ports.js';
import { formatUsd } from './pricing.js';

/** The alert as the portal, Slack and the webhook receive it. */
export function alertPayload(b: BudgetRecord, threshold: number) {
  return {
    event: 'budget.threshold',
    budgetId: b.id,
    scope: b.scope,
    scopeId: b.scopeId,
    name: b.name,
    threshold,
    limitMicros: b.limitMicros,
    limitTokens: b.limitTokens,
    spentMicros: b.spentMicros,
    spentTokens: b.spentTokens,
    resetsAt: b.resetsAt?.toISOString() ?? null,
  };
}

export function alertText(b: BudgetRecord, threshold: number): string {
  const label = b.name ? `Budget "${b.name}"` : `The ${b.scope.replace('_', ' ')} budget`;
  const used =
    b.limitMicros !== null
      ? `${formatUsd(b.spentMicros)} of ${formatUsd(b.limitMicros)}`
      : `${b.spentTokens} of ${b.limitTokens} tokens`;
  const reset = b.resetsAt ? `; it resets at ${b.resetsAt.toISOString()}` : '';
  return `${label} has reached ${threshold}% (${used})${reset}.`;
}

/**
 * Sends the alerts for thresholds crossed for the first time in a period (the store's unique row per
 * budget, period and threshold makes each one once): a portal notification for the budget's
 * managers, a Slack message when the budget names a channel, a webhook signed like task callbacks
 * (X-Switchyard-Signature with the budget creator's callback secret) when it names a URL.
 * A channel that fails is logged; the others are still sent.
 */
export function createBudgetAlerter(deps: {
  recipients(b: BudgetRecord): Promise<string[]>;
  notify(userIds: string[], kind: string, payload: Record<string, unknown>): Promise<void>;
  slack?: (channel: string, text: string) => Promise<void>;
  post: (
    url: string,
    body: string,
    headers: Record<string, string>,
    opts: PostOptions,
  ) => Promise<PostResult>;
  masterKey: Buffer;
  allowPrivate: boolean;
  log: Log;
  now?: Clock;
}) {
  const attempt = async (what: string, b: BudgetRecord, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      deps.log.warn(`Budget alert not sent (${what})`, {
        budgetId: b.id,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  };
  return async (crossed: CrossedBudget[]): Promise<void> => {
    for (const { budget: b, thresholds } of crossed) {
      for (const threshold of thresholds) {
        const payload = alertPayload(b, threshold);
        await attempt('notification', b, async () =>
          deps.notify(await deps.recipients(b), 'budget_alert', {
            ...payload,
            text: alertText(b, threshold),
          }),
        );
        const channel = b.alertTargets.slackChannel;
        if (channel && deps.slack) {
          const slack = deps.slack;
          await attempt('slack', b, () => slack(channel, alertText(b, threshold)));
        }
        const url = b.alertTargets.webhookUrl;
        const signer = b.createdBy ?? b.ownerUserId;
        if (url && signer) {
          const body = JSON.stringify(payload);
          await attempt('webhook', b, async () => {
            const res = await deps.post(
              url,
              body,
              {
                'x-switchyard-signature': signPayload(
                  deriveCallbackSecret(deps.masterKey, signer),
                  body,
                  (deps.now ?? systemClock)().getTime(),
                ),
                'x-switchyard-event': 'budget.threshold',
              },
              { timeoutMs: 10_000, allowPrivate: deps.allowPrivate },
            );
            if (res.status < 200 || res.status >= 300) throw new Error(`the receiver answered ${res.status}`);
          });
        }
      }
    }
  };
}
