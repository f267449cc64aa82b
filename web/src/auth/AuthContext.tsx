import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { api } from '../api/client';
import { isApiError } from '../api/errors';
import type { RegisterInput, User } from '../api/types';

export type AuthStatus = 'loading' | 'signedIn' | 'signedOut' | 'error';

export interface AuthValue {
  status: AuthStatus;
  user: User | null;
  /** Why a stored session could not be resumed (network down, server error). */
  error: unknown;
  signIn: (identifier: string, password: string) => Promise<User>;
  register: (input: RegisterInput) => Promise<User>;
  /** Completes a sign-in with an identity provider (the one-time code from the callback). */
  signInWithCode: (code: string) => Promise<User>;
  signOut: () => Promise<void>;
  setUser: (user: User) => void;
  retry: () => void;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<AuthStatus>(() => (api.hasSession() ? 'loading' : 'signedOut'));
  const [user, setUserState] = useState<User | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  // Resume a stored session: the refresh token is in sessionStorage, the access token is not.
  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt re-runs the resume on "Try again"
  useEffect(() => {
    if (!api.hasSession()) return;
    let cancelled = false;
    setStatus('loading');
    api.me().then(
      (u) => {
        if (cancelled) return;
        setUserState(u);
        setStatus('signedIn');
      },
      (e: unknown) => {
        if (cancelled) return;
        if (isApiError(e) && (e.status === 401 || e.status === 403)) {
          api.endSession();
          setStatus('signedOut');
        } else {
          setError(e);
          setStatus('error');
        }
      },
    );
    return () => {
      cancelled = true;
    };
  }, [attempt]);

  useEffect(
    () =>
      api.onSessionChange((signedIn) => {
        if (!signedIn) {
          setUserState(null);
          setStatus('signedOut');
        }
      }),
    [],
  );

  const signIn = useCallback(async (identifier: string, password: string) => {
    const id = identifier.trim();
    const result = await api.login(id.includes('@') ? { email: id, password } : { username: id, password });
    setUserState(result.user);
    setStatus('signedIn');
    return result.user;
  }, []);

  const signInWithCode = useCallback(async (code: string) => {
    const result = await api.exchangeSsoCode(code);
    setUserState(result.user);
    setStatus('signedIn');
    return result.user;
  }, []);

  const register = useCallback(async (input: RegisterInput) => {
    const result = await api.register(input);
    setUserState(result.user);
    setStatus('signedIn');
    return result.user;
  }, []);

  const signOut = useCallback(async () => {
    await api.logout();
    setUserState(null);
    setStatus('signedOut');
  }, []);

  const setUser = useCallback((u: User) => setUserState(u), []);
  const retry = useCallback(() => setAttempt((a) => a + 1), []);

  const value = useMemo(
    () => ({ status, user, error, signIn, signInWithCode, register, signOut, setUser, retry }),
    [status, user, error, signIn, signInWithCode, register, signOut, setUser, retry],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth must be used inside <AuthProvider>');
  return ctx;
}
