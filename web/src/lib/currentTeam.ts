import { useCallback, useEffect, useState } from 'react';

/**
 * The team the portal is looking at (the switcher in the layout), kept in localStorage so it
 * survives reloads; null = personal. Task and content lists filter by it (`?teamId=`).
 */
const KEY = 'switchyard.currentTeam';
const EVENT = 'switchyard:current-team';

export function readCurrentTeam(): string | null {
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function writeCurrentTeam(teamId: string | null) {
  try {
    if (teamId) window.localStorage.setItem(KEY, teamId);
    else window.localStorage.removeItem(KEY);
  } catch {}
  window.dispatchEvent(new Event(EVENT));
}

export function useCurrentTeam(): [string | null, (teamId: string | null) => void] {
  const [team, setTeam] = useState<string | null>(() => readCurrentTeam());
  useEffect(() => {
    const sync = () => setTeam(readCurrentTeam());
    window.addEventListener(EVENT, sync);
    window.addEventListener('storage', sync);
    return () => {
      window.removeEventListener(EVENT, sync);
      window.removeEventListener('storage', sync);
    };
  }, []);
  const set = useCallback((id: string | null) => writeCurrentTeam(id), []);
  return [team, set];
}
