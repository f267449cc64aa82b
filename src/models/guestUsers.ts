import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { IdentityKey, IdentityPlatform, IdentityRecord } from '../core/linking/identity.js';
import type { Db, DbOrTx } from './db.js';
import { chatIdentities, users } from './schema.js';

type Key = Pick<IdentityKey, 'platform' | 'workspaceId' | 'platformUserId'>;

/** The chat_identities row of one identity (unique on platform, workspace, platform user id). */
export const identityWhere = (k: Key) =>
  and(
    eq(chatIdentities.platform, k.platform),
    eq(chatIdentities.workspaceId, k.workspaceId),
    eq(chatIdentities.platformUserId, k.platformUserId),
  );

/**
 * A guest's username. Chat guests are named after their ids (`slack-T123-U456`, `telegram-777`),
 * with a random suffix when a real account already holds that name. GitHub guests are named after
 * the login (`github:octocat:1a2b3c4d`), always with a suffix: a login can be renamed and then
 * taken by someone else, so it never names anyone on its own.
 */
export function guestUsername(k: IdentityKey, attempt = 0): string {
  if (k.platform === 'github')
    return `github:${(k.displayName ?? k.platformUserId).slice(0, 60)}:${randomBytes(4).toString('hex')}`;
  const base = [k.platform, k.workspaceId, k.platformUserId].filter(Boolean).join('-').slice(0, 120);
  return attempt === 0 ? base : `${base}-${randomBytes(3).toString('hex')}`;
}

/** The identity and the user it belongs to, or null when it has never been seen. */
export async function findIdentity<P extends IdentityPlatform>(
  q: DbOrTx,
  key: Key & { platform: P },
): Promise<IdentityRecord<P> | null> {
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
    .where(identityWhere(key));
  if (!r) return null;
  return {
    id: r.i.id,
    platform: r.i.platform as P,
    workspaceId: r.i.workspaceId,
    platformUserId: r.i.platformUserId,
    displayName: r.i.displayName,
    linkedAt: r.i.linkedAt,
    user: r.u,
  };
}

class LostRace extends Error {}

/**
 * The one way guest users are made, for every platform (Slack, Discord and Telegram users, GitHub
 * senders): the identity as it is (linked to an account, or already a guest), or else a new guest
 * user (is_guest, no password, no email) with the identity pointing at it, in one transaction.
 * Safe under races: of two first requests from one identity, the unique key on chat_identities
 * lets one win, the loser's half-made guest rolls back, and both answer with the winner's identity.
 */
export async function findOrCreateGuestForIdentity<P extends IdentityPlatform>(
  db: Db,
  identity: IdentityKey<P>,
): Promise<IdentityRecord<P>> {
  const found = await findIdentity(db, identity);
  if (found) return found;
  try {
    await db.transaction(async (tx) => {
      let userId: string | undefined;
      // A real account may already hold the name (registration allows it): try a suffixed one then.
      for (let attempt = 0; !userId && attempt < 5; attempt++) {
        const [u] = await tx
          .insert(users)
          .values({ username: guestUsername(identity, attempt), isGuest: true, role: 'user' })
          .onConflictDoNothing()
          .returning({ id: users.id });
        userId = u?.id;
      }
      if (!userId) throw new Error(`Could not create a guest user for this ${identity.platform} identity`);
      const [made] = await tx
        .insert(chatIdentities)
        .values({
          userId,
          platform: identity.platform,
          workspaceId: identity.workspaceId,
          platformUserId: identity.platformUserId,
          displayName: identity.displayName ?? null,
        })
        .onConflictDoNothing()
        .returning({ id: chatIdentities.id });
      // Another request created this identity meanwhile: roll back our guest and use theirs.
      if (!made) throw new LostRace();
    });
  } catch (e) {
    if (!(e instanceof LostRace)) throw e;
  }
  const out = await findIdentity(db, identity);
  if (!out) throw new Error(`The ${identity.platform} identity vanished right after it was created`);
  return out;
}
