import type { ApiTokenRecord, AuthStore, SessionRecord, UserRecord } from '../core/auth/authService.js';
import type { CacheBus } from './cacheBus.js';

/**
 * How long an authentication lookup (user, session, API token) may be served from memory. Writes
 * invalidate at once (this process directly, the others through the cache bus); the TTL is only a
 * safety net. An unknown, expired or revoked credential is never cached.
 */
export const AUTH_CACHE_TTL_MS = 30_000;

const userTag = (id: string) => `user:${id}`;

/**
 * The lookups every authenticated request makes (user by id, session by id, API token by hash),
 * cached per process. Every write of this store drops what it touched here before returning; other
 * processes hear of it from the database triggers. A cached API token is touched (lastUsedAt) when
 * its entry is reloaded, i.e. at most once per TTL per process.
 */
export function cachedAuthStore(inner: AuthStore, bus: CacheBus): AuthStore {
  const users = bus.cache<UserRecord>('auth.users', AUTH_CACHE_TTL_MS);
  const sessions = bus.cache<SessionRecord>('auth.sessions', AUTH_CACHE_TTL_MS);
  const tokens = bus.cache<ApiTokenRecord>('auth.apiTokens', AUTH_CACHE_TTL_MS);
  const after = async <T>(tags: string[], write: Promise<T>): Promise<T> => {
    try {
      return await write;
    } finally {
      for (const t of tags) bus.invalidate(t);
    }
  };
  const live = (t: ApiTokenRecord) => !t.revokedAt && (!t.expiresAt || t.expiresAt.getTime() > Date.now());

  return {
    ...inner,
    findUserById: (id) => users.get(id, () => inner.findUserById(id), { tags: (u) => [userTag(u.id)] }),
    findSession: (id) =>
      sessions.get(id, () => inner.findSession(id), {
        tags: (s) => [userTag(s.userId), `session:${s.id}`],
      }),
    useApiToken: (hash) =>
      tokens.get(hash, () => inner.useApiToken(hash), { tags: (t) => [userTag(t.userId)], valid: live }),
    updateUser: (id, patch) => after([userTag(id)], inner.updateUser(id, patch)),
    updateUserRevokingAccess: (id, patch, revoke) =>
      after([userTag(id)], inner.updateUserRevokingAccess(id, patch, revoke)),
    revokeSession: (id, reason) => after([`session:${id}`], inner.revokeSession(id, reason)),
    revokeUserSessions: (userId, reason) =>
      after([userTag(userId)], inner.revokeUserSessions(userId, reason)),
    revokeApiToken: (userId, id) => after([userTag(userId)], inner.revokeApiToken(userId, id)),
  };
}
