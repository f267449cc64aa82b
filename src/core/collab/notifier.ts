import type { DirectMessenger, NotificationRecord, NotificationStore } from './ports.js';

export const NOTIFICATION_KINDS = ['mention', 'review_request', 'review_decision', 'budget_alert'] as const;

/**
 * Notifies people: one row per user in the portal's list, and a direct message to each one's linked
 * chat identities. A chat failure never fails the action that caused it; it is logged.
 */
export class Notifier {
  constructor(
    private readonly deps: {
      store: NotificationStore;
      dm?: DirectMessenger;
      log?: { warn(message: string, meta?: Record<string, unknown>): void };
    },
  ) {}

  async notify(
    userIds: string[],
    kind: string,
    payload: Record<string, unknown>,
    text: string,
  ): Promise<NotificationRecord[]> {
    if (userIds.length === 0) return [];
    const rows = await this.deps.store.createMany(userIds, kind, payload);
    const dm = this.deps.dm;
    if (dm) {
      for (const r of rows) {
        dm.send(r.userId, text).catch((e: unknown) =>
          this.deps.log?.warn('Could not send a chat notification', {
            userId: r.userId,
            kind,
            err: (e as Error).message,
          }),
        );
      }
    }
    return rows;
  }

  list(userId: string, q: { unreadOnly: boolean; page: number; limit: number }) {
    return this.deps.store.list(userId, q);
  }

  markRead(userId: string, ids: string[] | undefined) {
    return this.deps.store.markRead(userId, ids);
  }
}
