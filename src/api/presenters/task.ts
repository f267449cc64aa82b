import { z } from 'zod';
import type { AssignmentRecord } from '../../core/tasks/ports.js';
import { PRIORITIES, TASK_SOURCES, TASK_STATUSES, type TaskRecord } from '../../core/tasks/types.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const taskSchema = z.object({
  id: z.string(),
  userId: z.string(),
  teamId: z.string().nullable().describe('The owning team; null = personal'),
  title: z.string(),
  description: z.string(),
  taskType: z.string(),
  priority: z.enum(PRIORITIES),
  status: z.enum(TASK_STATUSES),
  source: z.enum(TASK_SOURCES),
  providerId: z.string().nullable(),
  options: z.object({
    maxTokens: z.number().optional(),
    temperature: z.number().optional(),
    model: z.string().optional(),
  }),
  callbackUrl: z.string().nullable(),
  regenerateContentId: z.string().nullable(),
  attempts: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  contentId: z.string().nullable(),
  error: z.string().nullable(),
});

export type TaskBody = z.infer<typeof taskSchema>;

/** Whitelists what a client sees of a task (never its origin, job id or routing internals). */
export function presentTask(t: TaskRecord): TaskBody {
  return {
    id: t.id,
    userId: t.userId,
    teamId: t.teamId ?? null,
    title: t.title,
    description: t.description,
    taskType: t.taskType,
    priority: t.priority,
    status: t.status,
    source: t.source,
    providerId: t.providerId,
    options: t.options ?? {},
    callbackUrl: t.callbackUrl,
    regenerateContentId: t.regenerateContentId,
    attempts: t.attempts,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    startedAt: iso(t.startedAt),
    completedAt: iso(t.completedAt),
    contentId: t.contentId,
    error: t.error,
  };
}

export const assignmentSchema = z.object({
  id: z.string(),
  providerId: z.string().nullable(),
  providerName: z.string().nullable(),
  accountId: z.string().nullable(),
  status: z.enum(['running', 'succeeded', 'failed', 'aborted']),
  attemptCount: z.number(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  model: z.string().nullable(),
  tokensInput: z.number(),
  tokensOutput: z.number(),
  tokensUsed: z.number(),
  latencyMs: z.number().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export function presentAssignment(a: AssignmentRecord): z.infer<typeof assignmentSchema> {
  return {
    id: a.id,
    providerId: a.providerId,
    providerName: a.providerName,
    accountId: a.accountId,
    status: a.status,
    attemptCount: a.attemptCount,
    errorCode: a.errorCode,
    errorMessage: a.errorMessage,
    model: a.model,
    tokensInput: a.tokensInput,
    tokensOutput: a.tokensOutput,
    tokensUsed: a.tokensUsed,
    latencyMs: a.latencyMs,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

// --- the routing decision (GET /api/tasks/:id/routing) --------------------------------------------

type Doc = Record<string, unknown>;
const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const docs = (v: unknown): Doc[] => (Array.isArray(v) ? v.filter(isDoc) : []);

/** Why a candidate was dropped, in words that name no account, budget, score or cost. */
const DROP_REASONS: Record<string, string> = {
  disabled: 'provider is disabled',
  no_connector: 'provider cannot be called from this server',
  no_competency: 'provider does not handle this task type',
  not_pinned: 'another provider was pinned',
  circuit_open: 'provider is failing and paused for a while',
  probe_in_flight: 'provider is being re-checked after failures',
  no_account: 'provider has no usable account',
  no_budget: 'provider has no token budget left for this task',
};

function ownerNote(c: Doc): string {
  if (c.kept === true) {
    const parts = [c.pinned ? 'pinned' : 'eligible'];
    if (c.probe) parts.push('this call re-checks a provider that had been failing');
    return parts.join('; ');
  }
  return DROP_REASONS[String(c.reason)] ?? 'not eligible';
}

/**
 * The decision as a task owner who is not a site admin sees it: the chain tried and why each
 * provider was kept or dropped, with no account names or ids, remaining budgets, scores or costs.
 * Built from a whitelist, so fields added to the stored document later stay admin-only.
 */
function ownerRun(run: Doc): Doc {
  const candidates = docs(run.candidates);
  // Free text (the error, the pinned provider's reason) quotes candidate notes, which name budgets:
  // substitute each note with its owner wording.
  const notes = candidates
    .filter((c) => typeof c.note === 'string' && c.note.length > 0)
    .map((c) => [c.note as string, ownerNote(c)] as const)
    .sort((a, b) => b[0].length - a[0].length);
  const scrub = (text: unknown) =>
    typeof text === 'string' ? notes.reduce((t, [raw, safe]) => t.split(raw).join(safe), text) : undefined;
  const pick = (from: Doc, keys: string[]): Doc =>
    Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]]));

  const out: Doc = pick(run, [
    'version',
    'run',
    'decidedAt',
    'outcome',
    'taskType',
    'priority',
    'estimate',
    'tier',
  ]);
  if (run.error !== undefined) out.error = scrub(run.error);
  if (isDoc(run.pinned)) {
    out.pinned = pick(run.pinned, ['providerId', 'policy', 'honoured']);
    if (run.pinned.reason !== undefined) (out.pinned as Doc).reason = scrub(run.pinned.reason);
  } else if (run.pinned === null) out.pinned = null;
  out.candidates = candidates.map((c) => ({
    ...pick(c, [
      'providerId',
      'name',
      'kind',
      'tier',
      'kept',
      'reason',
      'competency',
      'circuit',
      'rank',
      'pinned',
      'probe',
    ]),
    note: ownerNote(c),
  }));
  out.chain = docs(run.chain).map((s) => ({
    ...pick(s, ['providerId', 'name', 'model', 'outcome', 'probe', 'errorCode', 'error', 'latencyMs']),
    ...(isDoc(s.tokens) ? { tokens: pick(s.tokens, ['input', 'output', 'total']) } : {}),
  }));
  return out;
}

/**
 * The routing decision for GET /api/tasks/:id/routing. Site admins see the stored document whole
 * (accounts, remaining budgets, scores, costs); the task's owner sees `ownerRun` of it and of
 * every previous run.
 */
export function presentRoutingDecision(routing: Doc, view: 'admin' | 'owner'): Doc {
  if (view === 'admin') return { ...routing, view };
  return {
    ...ownerRun(routing),
    ...(Array.isArray(routing.previousRuns)
      ? { previousRuns: docs(routing.previousRuns).map(ownerRun) }
      : {}),
    view,
  };
}
