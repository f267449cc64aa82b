import type { ChatIdentityStore } from '../core/commands/ports.js';
import type { IdentityKey } from '../core/linking/identity.js';
import type { LinkStore } from '../core/linking/linkService.js';
import type { ChatWorkspacePlatform, TeamStore } from '../core/teams/ports.js';
import type { CacheBus } from './cacheBus.js';

/**
 * How long chat intake's lookups may be served from memory: the identity behind a chat user (and the
 * user it belongs to) and the team a chat workspace is attached to. Writes invalidate at once (this
 * process directly, the others through the cache bus: migration 0015_chat_cache_notify); the TTL is
 * only a safety net.
 */
export const CHAT_CACHE_TTL_MS = 30_000;

type Key = { platform: string } & Pick<IdentityKey, 'workspaceId' | 'platformUserId'>;
/** Unambiguous whatever the ids hold (a ':' in one cannot make two identities share a key). */
const identityKey = (k: Key) => `identity:${JSON.stringify([k.platform, k.workspaceId, k.platformUserId])}`;

/**
 * Chat identities, cached per process. An entry carries its user's tag (`user:<id>`): the user's
 * status or role changing, the identity being linked to another user or unlinked, all notify it. A
 * never-seen identity is not cached (ensureGuest makes it, then it is).
 */
export function cachedChatIdentities(inner: ChatIdentityStore, bus: CacheBus): ChatIdentityStore {
  const identities = bus.cache<Awaited<ReturnType<ChatIdentityStore['ensureGuest']>>>(
    'chat.identities',
    CHAT_CACHE_TTL_MS,
  );
  const tags = (r: { user: { id: string } }) => [`user:${r.user.id}`, 'chat_identities'];
  return {
    find: (key) => identities.get(identityKey(key), () => inner.find(key), { tags }),
    // Never null: ensureGuest always answers with an identity.
    ensureGuest: async (key) =>
      (await identities.get(identityKey(key), () => inner.ensureGuest(key), { tags }))!,
  };
}

/** Account linking, dropping the identity it moved or removed from this process's cache at once. */
export function linkStoreInvalidating(inner: LinkStore, bus: CacheBus): LinkStore {
  const after = <T>(key: Key, write: Promise<T>) => write.finally(() => bus.invalidate(identityKey(key)));
  return {
    ...inner,
    redeem: (codeHash, key, now) => after(key, inner.redeem(codeHash, key, now)),
    claim: (userId, key, now) => after(key, inner.claim(userId, key, now)),
    unlink: async (userId, identityId) => {
      const removed = await inner.unlink(userId, identityId);
      if (removed) bus.invalidate(identityKey(removed));
      return removed;
    },
  };
}

/**
 * The team of a chat workspace, cached per process — including "none", the common answer (a
 * workspace attached to no team); attaching or detaching one invalidates every entry.
 */
export function cachedWorkspaceTeams(inner: TeamStore, bus: CacheBus): TeamStore {
  const teams = bus.cache<{ teamId: string | null }>('chat.workspaces', CHAT_CACHE_TTL_MS);
  const tags = () => ['chat_workspaces'];
  return {
    ...inner,
    teamForWorkspace: async (platform: ChatWorkspacePlatform, externalId: string) => {
      // The load never answers null ("no team" is { teamId: null }), so the entry is always there.
      const load = async () => ({ teamId: await inner.teamForWorkspace(platform, externalId) });
      return (await teams.get(`${platform}:${externalId}`, load, { tags }))!.teamId;
    },
    addChatWorkspace: (w) => inner.addChatWorkspace(w).finally(() => bus.invalidate('chat_workspaces')),
    removeChatWorkspace: (teamId, id) =>
      inner.removeChatWorkspace(teamId, id).finally(() => bus.invalidate('chat_workspaces')),
  };
}
