import type { IdentityDirectory } from './ports.js';

/** What a ledger key was already used for. */
export type LedgerClaim =
  | { claimed: true }
  | {
      claimed: false;
      /** The task the key led to (null: it made none, or it is still being handled). */
      taskId: string | null;
      /** What was recorded when it was settled; null while the first request is still in flight. */
      response: Record<string, unknown> | null;
    };

/**
 * Extra keys in the one inbound_deliveries ledger, for intake paths that must deduplicate on more
 * than one key (an unsigned Idempotency-Key or X-GitHub-Delivery besides what the signature
 * covers). Tasks claim their main key atomically with the insert (TaskCommands.submit's dedupe);
 * these are claimed just before and settled just after.
 */
export interface IntakeLedger {
  /**
   * Claims (source, deliveryId). A key already held (within `windowSeconds`, or for as long as the
   * ledger keeps it when unset) is not claimed again: the answer says what it led to. A claim never
   * settled for a minute (its request crashed) may be taken over.
   */
  claim(source: string, deliveryId: string, opts?: { windowSeconds?: number }): Promise<LedgerClaim>;
  /** Records what a claimed key led to. */
  settle(
    source: string,
    deliveryId: string,
    outcome: { taskId?: string | null; response: Record<string, unknown> },
  ): Promise<void>;
  /** Gives up an unsettled claim (the request failed; a retry may try again). */
  release(source: string, deliveryId: string): Promise<void>;
}

/** A user as intake needs to know them: may tasks still be made for them, and on whose authority. */
export interface IntakeUser {
  id: string;
  status: 'active' | 'suspended';
  role: 'admin' | 'user';
  isGuest: boolean;
}

export interface IntakeUsers {
  get(id: string): Promise<IntakeUser | null>;
}

/** A GitHub sender as a Switchyard user, with what intake must check before making a task. */
export interface GithubSender {
  userId: string;
  isGuest: boolean;
  status: 'active' | 'suspended';
}

/** IdentityDirectory, plus a look-up that does not make a guest (for `chat.requireLinkedAccount`). */
export interface GithubIdentityDirectory extends IdentityDirectory {
  resolve(identity: {
    platform: 'github';
    platformUserId: string;
    displayName: string;
  }): Promise<GithubSender>;
  find(identity: { platform: 'github'; platformUserId: string }): Promise<GithubSender | null>;
}

/** Runs `submit` under an extra ledger key: a repeat of the key answers with what it led to. */
export async function underExtraKey<T extends { taskId: string; duplicate: boolean }>(
  ledger: IntakeLedger,
  key: { source: string; deliveryId: string; windowSeconds?: number },
  submit: () => Promise<T>,
  inFlight: () => Error,
): Promise<T | { taskId: string; duplicate: true }> {
  const c = await ledger.claim(key.source, key.deliveryId, { windowSeconds: key.windowSeconds });
  if (!c.claimed) {
    const taskId = c.taskId ?? (typeof c.response?.taskId === 'string' ? c.response.taskId : null);
    if (taskId) return { taskId, duplicate: true };
    throw inFlight();
  }
  let out: T;
  try {
    out = await submit();
  } catch (e) {
    await ledger.release(key.source, key.deliveryId).catch(() => {});
    throw e;
  }
  await ledger.settle(key.source, key.deliveryId, { taskId: out.taskId, response: { taskId: out.taskId } });
  return out;
}
