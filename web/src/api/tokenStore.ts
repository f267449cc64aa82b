/**
 * Where the refresh token lives between page loads.
 *
 * The access token is kept in memory only (a field of ApiClient): it is short-lived and is never
 * written anywhere a later script or another tab could read it. The refresh token must survive a
 * page reload, or every reload would sign the user out, and the contract hands it to us in a JSON
 * body (not an HttpOnly cookie), so it has to live in script-reachable storage. We use
 * sessionStorage rather than localStorage: it is scoped to this tab and this origin, it is cleared
 * when the tab closes, and it is not shared with other tabs (each tab holds its own session, so two
 * tabs never race to rotate the same refresh token, which the API treats as token theft and
 * answers by revoking the session). Like any script-readable store it does not protect against XSS,
 * which is why the portal also never renders untrusted HTML without sanitizing it.
 */
export interface RefreshTokenStore {
  get(): string | null;
  set(token: string | null): void;
}

const KEY = 'switchyard.refreshToken';

export function sessionRefreshStore(
  storage: Storage | undefined = globalThis.sessionStorage,
): RefreshTokenStore {
  // If storage is unavailable (privacy modes can throw), fall back to memory for this page's life.
  const memory = memoryRefreshStore();
  return {
    get() {
      try {
        return storage?.getItem(KEY) ?? memory.get();
      } catch {
        return memory.get();
      }
    },
    set(token) {
      memory.set(token);
      try {
        if (token) storage?.setItem(KEY, token);
        else storage?.removeItem(KEY);
      } catch {
        // keep the in-memory copy
      }
    },
  };
}

export function memoryRefreshStore(initial: string | null = null): RefreshTokenStore {
  let value = initial;
  return {
    get: () => value,
    set: (token) => {
      value = token;
    },
  };
}
