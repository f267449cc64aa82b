import { and, eq, isNotNull } from 'drizzle-orm';
import type { Db } from './db.js';
import { chatIdentities } from './schema.js';

export type DmPlatform = 'slack' | 'discord' | 'telegram';

/** The chat identities a user has linked (not the guests of unlinked ones), for direct messages. */
export function createLinkedIdentityLookup(db: Db) {
  return async (userId: string): Promise<Array<{ platform: DmPlatform; platformUserId: string }>> => {
    const rows = await db
      .select({ platform: chatIdentities.platform, platformUserId: chatIdentities.platformUserId })
      .from(chatIdentities)
      .where(and(eq(chatIdentities.userId, userId), isNotNull(chatIdentities.linkedAt)));
    return rows.filter((r): r is { platform: DmPlatform; platformUserId: string } => r.platform !== 'github');
  };
}
