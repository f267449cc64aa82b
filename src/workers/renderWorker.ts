/**
 * The worker-thread entry of the render pool (renderPool.ts): runs one content render job (diff,
 * export, share-page body) with the same core code as the main thread. Loaded by piscina from
 * dist/src/workers/renderWorker.js when built, or as this .ts file through tsx's loader otherwise.
 */
import { type RenderJob, renderHere } from '../core/content/renderer.js';
import { type AppError, isAppError, isErrorCode } from '../core/errors.js';
import type { WorkerReply } from './renderPool.js';

/**
 * Under tsx, piscina's require() of this file loads the core modules as CommonJS while the
 * renderers' lazy import() loads them as ES modules: two AppError classes. Recognise either.
 */
function asAppError(e: unknown): AppError | undefined {
  if (isAppError(e)) return e;
  const x = e as Partial<AppError> | null;
  return e instanceof Error && x?.name === 'AppError' && typeof x.code === 'string' && isErrorCode(x.code)
    ? (e as AppError)
    : undefined;
}

/**
 * An AppError (a refusal the user should see, e.g. "too different to compare") travels back as data:
 * structured cloning keeps only an Error's message, not its code, status or details. Any other
 * error is a bug and is thrown as is (the caller answers 500).
 */
export default async function render(job: RenderJob): Promise<WorkerReply> {
  try {
    return { ok: true, value: await renderHere(job) };
  } catch (thrown) {
    const e = asAppError(thrown);
    if (e) {
      return {
        ok: false,
        error: {
          code: e.code,
          message: e.message,
          ...(e.details !== undefined ? { details: e.details } : {}),
        },
      };
    }
    throw thrown;
  }
}
