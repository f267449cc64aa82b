import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { ApiDeps } from '../../api/deps.js';
import { errorResponse } from '../../api/openapi.js';
import { actorOf, createRouteBuilder } from '../../api/route.js';
import { idParams, isoDate, listSchema, pageQuery } from '../../api/schemas.js';
import { notFound } from '../../core/errors.js';
import { PRIORITIES } from '../../core/tasks/types.js';
import { deriveCallbackSecret } from '../../core/webhooks/callbackSecret.js';
import type { HookService } from '../../core/webhooks/hookService.js';
import type {
  CallbackTaskSource,
  DeliveryRecord,
  HookRecord,
  WebhookStore,
} from '../../core/webhooks/ports.js';
import { MAX_TEMPLATE_LENGTH } from '../../core/webhooks/template.js';

/**
 * The generic hooks' JSON API: their management under /api/webhooks and a task's signed callback
 * attempts (GET /api/tasks/:id/callbacks), built with the route builder; and the OpenAPI description
 * of the signed intake (inboundRoutes.ts), which reads raw bodies and so bypasses it.
 */
export interface WebhookRouteDeps {
  hooks: HookService;
  store: WebhookStore;
  /** Reads tasks (to check who may see a task's callbacks). */
  tasks: Pick<CallbackTaskSource, 'get'>;
  /** ENCRYPTION_KEY, for the per-user callback secret. */
  masterKey: Buffer;
}

const hookSchema = z.object({
  id: z.string(),
  name: z.string(),
  taskType: z.string(),
  promptTemplate: z.string(),
  priority: z.enum(PRIORITIES),
  callbackUrl: z.string().nullable(),
  status: z.enum(['active', 'disabled']),
  url: z.string().describe('Where the other tool POSTs signed deliveries'),
  createdBy: z.string().nullable(),
  teamId: z.string().nullable().describe('The owning team; null = an admin’s hook'),
  createdAt: isoDate,
  updatedAt: isoDate,
  previousSecretExpiresAt: isoDate
    .nullable()
    .describe('Until when the secret replaced by the last rotation is still accepted'),
});

const deliverySchema = z.object({
  id: z.string(),
  webhookId: z.string().nullable(),
  taskId: z.string().nullable(),
  url: z.string(),
  event: z.string(),
  attempt: z.number(),
  status: z.enum(['pending', 'succeeded', 'failed', 'refused']),
  responseStatus: z.number().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().nullable(),
  createdAt: isoDate,
});

const callbackUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2000)
  .describe('Where the task’s terminal state is POSTed, signed with this hook’s secret');

const SIGNATURE_DOC =
  'Deliveries carry `X-Switchyard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`; ' +
  'timestamps more than 5 minutes away are refused.';

export function presentHook(h: HookRecord, url: string) {
  return {
    id: h.id,
    name: h.name,
    taskType: h.taskType,
    promptTemplate: h.promptTemplate,
    priority: h.priority,
    callbackUrl: h.callbackUrl,
    status: h.status,
    url,
    createdBy: h.createdBy,
    teamId: h.teamId,
    createdAt: h.createdAt.toISOString(),
    updatedAt: h.updatedAt.toISOString(),
    previousSecretExpiresAt:
      h.previousSecretExpiresAt && h.previousSecretExpiresAt.getTime() > Date.now()
        ? h.previousSecretExpiresAt.toISOString()
        : null,
  };
}

export function presentDelivery(d: DeliveryRecord) {
  return { ...d, createdAt: d.createdAt.toISOString() };
}

/** Management of inbound hooks (the signed deliveries themselves go to inboundRoutes.ts). */
export function webhookAdminRoutes(deps: ApiDeps, w: WebhookRouteDeps) {
  const r = createRouteBuilder(deps.openapi, '/api');
  const MANAGE =
    'Site admins manage every hook; a team’s admins (owner/admin) manage the team’s hooks (`teamId`), its other members get 403 and everyone else 404.';

  r.post(
    '/webhooks',
    {
      summary: 'Create an inbound hook (its secret is shown only here)',
      description:
        `Other tools POST JSON to the returned \`url\`. ${SIGNATURE_DOC} The body fills \`promptTemplate\` ` +
        '(Handlebars, e.g. `Summarize this ticket: {{ticket.title}} — {{ticket.body}}`; no HTML escaping, no partials, ' +
        'only the built-in block helpers). A delivery whose body lacks a field the template prints answers 400 ' +
        `\`validation_failed\` listing every missing field in \`details\`. ${MANAGE}`,
      tags: ['Webhooks'],
      auth: 'user',
      body: z
        .object({
          name: z.string().trim().min(1).max(100),
          taskType: z.string().trim().min(1).max(40),
          promptTemplate: z.string().min(1).max(MAX_TEMPLATE_LENGTH),
          priority: z.enum(PRIORITIES).optional(),
          callbackUrl: callbackUrl.nullable().optional(),
          teamId: z
            .uuid('must be a UUID')
            .optional()
            .describe('Make it the team’s hook (its tasks are the team’s)'),
        })
        .strict(),
      responses: {
        201: {
          description: 'Created',
          schema: hookSchema.extend({ secret: z.string().describe('Shown once') }),
        },
      },
      errors: [403, 404],
    },
    async (ctx) => {
      const out = await w.hooks.create(actorOf(ctx), ctx.body);
      return { ...presentHook(out.hook, out.url), secret: out.secret };
    },
  );

  r.get(
    '/webhooks',
    {
      summary: 'Inbound hooks (admins: all, or `teamId`; team admins: their team’s with `teamId`)',
      description: MANAGE,
      tags: ['Webhooks'],
      auth: 'user',
      query: pageQuery.extend({ teamId: z.uuid('must be a UUID').optional() }),
      responses: { 200: { description: 'Hooks', schema: listSchema(hookSchema) } },
      errors: [403, 404],
    },
    async (ctx) => {
      const { items, total } = await w.hooks.list(actorOf(ctx), ctx.query);
      return {
        items: items.map((h) => presentHook(h, w.hooks.urlOf(h.id))),
        page: ctx.query.page,
        limit: ctx.query.limit,
        total,
      };
    },
  );

  r.get(
    '/webhooks/callback-secret',
    {
      summary: 'My callback signing secret',
      description:
        'Callbacks of tasks that did not come from an inbound hook (e.g. POST /api/tasks with `callbackUrl`) are signed with this ' +
        `per-user secret, derived from the server key (it changes if ENCRYPTION_KEY changes). ${SIGNATURE_DOC}`,
      tags: ['Webhooks'],
      auth: 'user',
      responses: {
        200: {
          description: 'Secret',
          schema: z.object({ secret: z.string(), header: z.string(), scheme: z.string() }),
        },
      },
    },
    (ctx) => ({
      secret: deriveCallbackSecret(w.masterKey, ctx.principal.user.id),
      header: 'X-Switchyard-Signature',
      scheme: 't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>',
    }),
  );

  r.delete(
    '/webhooks/:id',
    {
      summary: 'Delete an inbound hook',
      tags: ['Webhooks'],
      description: MANAGE,
      auth: 'user',
      errors: [403],
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
    },
    async (ctx) => {
      await w.hooks.delete(actorOf(ctx), ctx.params.id);
    },
  );

  r.post(
    '/webhooks/:id/rotate',
    {
      summary: 'Rotate a hook’s secret (the old one keeps working for graceHours, default 24)',
      tags: ['Webhooks'],
      description: MANAGE,
      auth: 'user',
      errors: [403],
      params: idParams,
      body: z.object({ graceHours: z.number().min(0).max(720).optional() }).strict(),
      responses: {
        200: {
          description: 'New secret (shown once)',
          schema: z.object({ secret: z.string(), previousSecretExpiresAt: isoDate }),
        },
      },
    },
    async (ctx) => {
      const out = await w.hooks.rotate(actorOf(ctx), ctx.params.id, ctx.body.graceHours);
      return { secret: out.secret, previousSecretExpiresAt: out.previousSecretExpiresAt.toISOString() };
    },
  );

  r.get(
    '/webhooks/:id/deliveries',
    {
      summary: 'Callback attempts of a hook’s tasks (newest first)',
      tags: ['Webhooks'],
      description: MANAGE,
      auth: 'user',
      errors: [403],
      params: idParams,
      query: pageQuery,
      responses: { 200: { description: 'Attempts', schema: listSchema(deliverySchema) } },
    },
    async (ctx) => {
      const { items, total } = await w.hooks.deliveries(actorOf(ctx), ctx.params.id, ctx.query);
      return { items: items.map(presentDelivery), page: ctx.query.page, limit: ctx.query.limit, total };
    },
  );

  return r.router;
}

/** GET /api/tasks/:id/callbacks — a task's callback attempts, for its owner or an admin. */
export function taskCallbackRoutes(deps: ApiDeps, w: WebhookRouteDeps) {
  const r = createRouteBuilder(deps.openapi, '/api');
  r.get(
    '/tasks/:id/callbacks',
    {
      summary: 'A task’s signed callback attempts (newest first)',
      tags: ['Tasks'],
      auth: 'user',
      params: idParams,
      query: pageQuery,
      responses: { 200: { description: 'Attempts', schema: listSchema(deliverySchema) } },
    },
    async (ctx) => {
      const task = await w.tasks.get(ctx.params.id);
      if (!task || (task.userId !== ctx.principal.user.id && ctx.principal.user.role !== 'admin'))
        throw notFound('Task');
      const { items, total } = await w.store.listDeliveries({ taskId: task.id, ...ctx.query });
      return { items: items.map(presentDelivery), page: ctx.query.page, limit: ctx.query.limit, total };
    },
  );
  return r.router;
}

/**
 * Documents POST /api/webhooks/in/{hookId} (inboundRoutes.ts): it reads the raw body before the JSON
 * parser, so it is not built with the route builder.
 */
export function registerInboundHookDocs(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'post',
    path: '/api/webhooks/in/{hookId}',
    summary: 'A signed delivery from another tool (becomes a task through the hook’s prompt template)',
    description:
      `${SIGNATURE_DOC} The signature must be made with the hook’s current secret, or the previous one during its grace period. ` +
      'Send `Idempotency-Key` to make retries safe (24 hours); without one, a replay of the very same signed request is treated as a repeat. ' +
      'At most 256 KB of JSON.',
    tags: ['Webhooks'],
    security: [],
    request: {
      params: z.object({ hookId: z.uuid() }),
      headers: z.object({
        'x-switchyard-signature': z.string(),
        'idempotency-key': z.string().max(255).optional(),
      }),
      body: {
        content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
        required: true,
      },
    },
    responses: {
      202: {
        description: 'Accepted: the task is queued',
        content: { 'application/json': { schema: z.object({ taskId: z.string() }) } },
      },
      200: {
        description: 'A repeat of an earlier delivery: the same task',
        content: {
          'application/json': { schema: z.object({ taskId: z.string(), duplicate: z.literal(true) }) },
        },
      },
      400: errorResponse(
        'invalid_json, or validation_failed listing the template fields missing from the body',
      ),
      401: errorResponse('Missing, malformed, wrong or stale (> 5 minutes either way) signature'),
      404: errorResponse('Unknown hook'),
      413: errorResponse('Body larger than 256 KB'),
      415: errorResponse('Not application/json'),
      429: errorResponse('Too many requests'),
    },
  });
}
