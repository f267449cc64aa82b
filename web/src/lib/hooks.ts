import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  /** True while the first load (or an explicit, non-silent reload) is in flight. */
  loading: boolean;
  /** Load again. `silent` keeps the current data on screen without a loading state (polling). */
  reload: (opts?: { silent?: boolean }) => void;
  setData: (updater: T | ((prev: T | undefined) => T)) => void;
}

/**
 * Run `load` when `deps` change; abort the previous run and ignore stale answers. Keeps the last
 * data while reloading, so refreshes and polling do not flash.
 */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): AsyncState<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const silentRef = useRef(false);
  const loadRef = useRef(load);
  loadRef.current = load;

  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's, tick forces reloads
  useEffect(() => {
    const controller = new AbortController();
    if (!silentRef.current) setLoading(true);
    silentRef.current = false;
    loadRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setDataState(value);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (controller.signal.aborted) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [...deps, tick]);

  const reload = useCallback((opts?: { silent?: boolean }) => {
    silentRef.current = opts?.silent ?? false;
    setTick((t) => t + 1);
  }, []);

  const setData = useCallback((updater: T | ((prev: T | undefined) => T)) => {
    setDataState((prev) =>
      typeof updater === 'function' ? (updater as (p: T | undefined) => T)(prev) : updater,
    );
  }, []);

  return { data, error, loading, reload, setData };
}

/** Call `fn` every `ms` while `active`; the timer restarts whenever `restartKey` changes. */
export function usePoll(fn: () => void, ms: number, active: boolean, restartKey?: unknown): void {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  // biome-ignore lint/correctness/useExhaustiveDependencies: restartKey re-arms the timer on purpose
  useEffect(() => {
    if (!active) return;
    const id = window.setTimeout(() => fnRef.current(), ms);
    return () => window.clearTimeout(id);
  }, [active, ms, restartKey]);
}

/** Set the document title for the current page. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Switchyard` : 'Switchyard';
  }, [title]);
}

/** Track a pending action (button spinners) and its error. */
export function useAction<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): { run: (...args: A) => Promise<R | undefined>; pending: boolean; error: unknown; reset: () => void } {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(async (...args: A) => {
    setPending(true);
    setError(null);
    try {
      return await fnRef.current(...args);
    } catch (e) {
      if (mounted.current) setError(e);
      return undefined;
    } finally {
      if (mounted.current) setPending(false);
    }
  }, []);
  const reset = useCallback(() => setError(null), []);
  return { run, pending, error, reset };
}
