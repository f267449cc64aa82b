import { AsyncLocalStorage } from 'node:async_hooks';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Webhooks } from '@octokit/webhooks';
import { Router } from 'express';
import { z } from 'zod';
import { errorResponse } from '../../api/openapi.js';
import { AppError } from '../../core/errors.js';
import type {
  GithubIntake,
  GithubIntakeResult,
  GithubOrigin,
  GithubTriggerEvent,
} from '../../core/webhooks/githubIntake.js';
import type { Logger } from '../../logger.js';
import { bodyBytes, rawBody, requireJson } from '../rawBody.js';

/**
 * GitHub caps webhook payloads at 25 MB ("Payloads are capped at 25 MB. If an event generates a
 * larger payload, GitHub will not deliver a payload for that webhook event." —
 * docs.github.com/en/webhooks/webhook-events-and-payloads#payload-cap). Only the events we act on
 * (and `ping`, so a wrong secret still shows as 401 in GitHub's delivery log) are read at all;
 * anything else is acknowledged from its X-GitHub-Event header without reading its body.
 */
export const GITHUB_BODY_LIMIT = '25mb';
const READ_EVENTS = new Set(['issue_comment', 'issues', 'pull_request', 'ping']);

type Sender = { id: number; login: string; type?: string } | undefined;
type Repo = { name: string; owner: { login: string } };

/**
 * POST /api/webhooks/github (mount this router there) — GitHub deliveries, verified with
 * @octokit/webhooks over the raw body (X-Hub-Signature-256). `issue_comment.created`,
 * `issues.opened` and `pull_request.opened` whose body holds a `/generate …` trigger become tasks
 * (deduplicated on X-GitHub-Delivery and on the signed comment / issue / pull request id); the answer
 * comes right after the task is queued (202), never after generating. Any other event, or one
 * without a trigger, is acknowledged with 200 and ignored. A missing or wrong signature is 401.
 */
export function githubWebhookRoutes(deps: {
  secret: string;
  intake: GithubIntake;
  logger: Logger;
  /** Posts an answer comment (GITHUB_TOKEN); without it, refusals are only logged. */
  comment?: (origin: GithubOrigin, body: string) => Promise<void>;
}): Router {
  const webhooks = new Webhooks({ secret: deps.secret });
  // The outcome of the handler that ran for this request (handlers run inside verifyAndReceive).
  const outcome = new AsyncLocalStorage<{ result?: GithubIntakeResult }>();

  const handle = async (e: GithubTriggerEvent) => {
    const store = outcome.getStore();
    const result = await deps.intake.handle(e);
    if (store) store.result = result;
  };
  const base = (
    id: string,
    event: string,
    sender: Sender,
    repo: Repo,
    installation: { id: number } | undefined | null,
  ) => ({
    deliveryId: id,
    event,
    sender: { id: sender?.id ?? 0, login: sender?.login ?? 'unknown', type: sender?.type },
    repo: { owner: repo.owner.login, name: repo.name },
    ...(installation?.id !== undefined ? { installationId: installation.id } : {}),
  });

  webhooks.on('issue_comment.created', ({ id, payload }) =>
    handle({
      ...base(id, 'issue_comment.created', payload.sender, payload.repository, payload.installation),
      subjectKey: `issue_comment.created:${payload.comment.id}`,
      text: payload.comment.body,
      issueNumber: payload.issue.number,
      htmlUrl: payload.comment.html_url,
    }),
  );
  webhooks.on('issues.opened', ({ id, payload }) =>
    handle({
      ...base(id, 'issues.opened', payload.sender, payload.repository, payload.installation),
      subjectKey: `issues.opened:${payload.issue.id}`,
      text: payload.issue.body ?? null,
      issueNumber: payload.issue.number,
      htmlUrl: payload.issue.html_url,
    }),
  );
  webhooks.on('pull_request.opened', ({ id, payload }) =>
    handle({
      ...base(id, 'pull_request.opened', payload.sender, payload.repository, payload.installation),
      subjectKey: `pull_request.opened:${payload.pull_request.id}`,
      text: payload.pull_request.body ?? null,
      issueNumber: payload.pull_request.number,
      htmlUrl: payload.pull_request.html_url,
    }),
  );

  const router = Router();
  router.post('/', requireJson, (req, res, next) => {
    const name = req.get('x-github-event');
    if (name && /^[a-z_]{1,100}$/.test(name) && !READ_EVENTS.has(name)) {
      res.status(200).json({ ok: true, ignored: `event ${name} is not handled` });
      return;
    }
    next();
  });
  router.post('/', rawBody(GITHUB_BODY_LIMIT), async (req, res, next) => {
    try {
      const signature = req.get('x-hub-signature-256');
      if (!signature) throw new AppError('invalid_signature', 'Missing X-Hub-Signature-256 header');
      const name = req.get('x-github-event');
      const id = req.get('x-github-delivery');
      if (!name || !id)
        throw new AppError('bad_request', 'Missing X-GitHub-Event or X-GitHub-Delivery header');
      if (!/^[\w.-]{1,100}$/.test(id) || !/^[a-z_]{1,100}$/.test(name))
        throw new AppError('bad_request', 'Malformed X-GitHub-Event or X-GitHub-Delivery header');
      if (!/^\s*\{/.test(bodyBytes(req).toString('utf8')))
        throw new AppError('validation_failed', 'The payload must be a JSON object');

      const store: { result?: GithubIntakeResult } = {};
      try {
        await outcome.run(store, () =>
          webhooks.verifyAndReceive({
            id,
            name: name as never,
            payload: bodyBytes(req).toString('utf8'),
            signature,
          }),
        );
      } catch (e) {
        throw toAppError(e);
      }
      const r = store.result;
      if (r && !r.accepted && r.reply) {
        const { origin, body } = r.reply;
        if (deps.comment)
          void deps.comment(origin, body).catch((e: unknown) =>
            deps.logger.warn('Could not post the GitHub answer comment', {
              deliveryId: id,
              err: e instanceof Error ? e.message : String(e),
            }),
          );
      }
      if (r?.accepted) {
        res
          .status(r.duplicate ? 200 : 202)
          .json({ taskId: r.taskId, ...(r.duplicate ? { duplicate: true } : {}) });
        return;
      }
      if (r) deps.logger.debug('GitHub delivery ignored', { deliveryId: id, event: name, reason: r.reason });
      res
        .status(200)
        .json({ ok: true, ignored: r?.reason ?? `event ${name}${actionOf(bodyBytes(req))} is not handled` });
    } catch (e) {
      next(e);
    }
  });
  return router;
}

function actionOf(raw: Buffer): string {
  try {
    const action = (JSON.parse(raw.toString('utf8')) as { action?: unknown }).action;
    return typeof action === 'string' ? `.${action}` : '';
  } catch {
    return '';
  }
}

/** Maps @octokit/webhooks' errors: signature failures are our 401 (the library says 400). */
function toAppError(e: unknown): unknown {
  const inner =
    e instanceof AggregateError ? (e.errors[0] as (Error & { status?: number }) | undefined) : undefined;
  if (!inner) return e;
  if (inner instanceof AppError) return inner;
  if (/signature does not match/i.test(inner.message))
    return new AppError('invalid_signature', 'The X-Hub-Signature-256 signature does not match the body');
  if (inner.status === 400 && /invalid json/i.test(inner.message))
    return new AppError('invalid_json', 'The request body is not valid JSON');
  return inner;
}

/**
 * Documents POST /api/webhooks/github: it reads the raw body before the JSON parser, so it is not
 * built with the route builder.
 */
export function registerGithubIntakeDocs(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'post',
    path: '/api/webhooks/github',
    summary:
      'GitHub webhook deliveries (issue_comment.created, issues.opened, pull_request.opened with a /generate trigger)',
    description:
      'Verified with `X-Hub-Signature-256` over the raw body; deduplicated on `X-GitHub-Delivery`. The body line `/generate [--type T] ' +
      '[--priority P] [--provider NAME] <prompt>` makes a task for the Switchyard user linked to the sender (or a guest); the result is ' +
      'posted back as a comment. Other events are acknowledged and ignored.',
    tags: ['Webhooks'],
    security: [],
    request: {
      headers: z.object({
        'x-github-event': z.string(),
        'x-github-delivery': z.string(),
        'x-hub-signature-256': z.string(),
      }),
      body: {
        content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
        required: true,
      },
    },
    responses: {
      202: {
        description: 'A task was queued',
        content: { 'application/json': { schema: z.object({ taskId: z.string() }) } },
      },
      200: {
        description: 'Ignored (other event, no trigger) or a redelivery of an earlier one',
        content: { 'application/json': { schema: z.looseObject({}) } },
      },
      400: errorResponse('Missing GitHub headers or invalid JSON'),
      401: errorResponse('Missing or wrong signature'),
      413: errorResponse('Body larger than 25 MB'),
      415: errorResponse('Not application/json'),
    },
  });
}
