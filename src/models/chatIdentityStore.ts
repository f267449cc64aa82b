import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { ChatIdentityKey, ChatIdentityRecord, ChatIdentityStore } from '../core/commands/ports.js';
import type { Db, DbOrTx } from './db.js';
import { chatIdentities, users } from './schema.js';

type Platform = ChatIdentityRecord['platform'];

const keyWhere = (k: Pick<ChatIdentityKey, 'platform' | 'workspaceId' | 'platformUserId'>) =>
  and(
    eq(chatIdentities.platform, k.platform),
    eq(chatIdentities.workspaceId, k.workspaceId),
    eq(chatIdentities.platformUserId, k.platformUserId),
  );

/** The guest's username: `slack-T123-U456`, `discord-8123…`, `telegram-777`. */
export function guestUsername(k: ChatIdentityKey): string {
  return [k.platform, k.workspaceId, k.platformUserId].filter(Boolean).join('-').slice(0, 120);
}

export async function findIdentity(
  q: DbOrTx,
  key: Pick<ChatIdentityKey, 'platform' | 'workspaceId' | 'platformUserId'>,
): Promise<ChatIdentityRecord | null> {
  const [r] = await q
    .select({
      i: chatIdentities,
      u: {
        id: users.id,
        username: users.username,
        isGuest: users.isGuest,
        status: users.status,
        role: users.role,
      },
    })
    .from(chatIdentities)
    .innerJoin(users, eq(users.id, chatIdentities.userId))
    .where(keyWhere(key));
  if (!r) return null;
  return {
    id: r.i.id,
    platform: r.i.platform as Platform,
    workspaceId: r.i.workspaceId,
    platformUserId: r.i.platformUserId,
    displayName: r.i.displayName,
    linkedAt: r.i.linkedAt,
    user: r.u,
  };
}

class LostRace extends Error {}

/** Chat identities and their per-identity guest users (chat_identities, users.is_guest). */
export function createChatIdentityStore(db: Db): ChatIdentityStore {
  return {
    find: (key) => findIdentity(db, key),

    async ensureGuest(key) {
      const found = await findIdentity(db, key);
      if (found) return found;
      try {
        await db.transaction(async (tx) => {
          let userId: string | undefined;
          // A real account may already hold the plain name (registration allows it): add a suffix then.
          for (let i = 0; !userId && i < 5; i++) {
            const username =
              i === 0 ? guestUsername(key) : `${guestUsername(key)}-${randomBytes(3).toString('hex')}`;
            const [u] = await tx
              .insert(users)
              .values({ username, isGuest: true, role: 'user' })
              .onConflictDoNothing()
              .returning({ id: users.id });
            userId = u?.id;
          }
          if (!userId) throw new Error('Could not create a guest user for this chat identity');
          const [i] = await tx
            .insert(chatIdentities)
            .values({
              userId,
              platform: key.platform,
              workspaceId: key.workspaceId,
              platformUserId: key.platformUserId,
              displayName: key.displayName ?? null,
            })
            .onConflictDoNothing()
            .returning({ id: chatIdentities.id });
          // Another request created this identity meanwhile: roll back our guest and use theirs.
          if (!i) throw new LostRace();
        });
      } catch (e) {
        if (!(e instanceof LostRace)) throw e;
      }
      const out = await findIdentity(db, key);
      if (!out) throw new Error('Chat identity vanished right after it was created');
      return out;
    },
  };
}
