import { z } from 'zod';
import { settingsUpdateSchema } from '../../core/settings/settings.js';
import type { ApiDeps } from '../deps.js';
import { presentUser, userSchema } from '../presenters/user.js';
import { createRouteBuilder } from '../route.js';
import { idParams, listSchema, pageQuery } from '../schemas.js';

const auditItem = z.object({
  id: z.string(),
  at: z.string(),
  actorId: z.string().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.unknown(),
});

export function adminRoutes(deps: ApiDeps) {
  const r = createRouteBuilder(deps.openapi, '/api/admin');

  r.get(
    '/users',
    {
      summary: 'List users (search by username or email)',
      tags: ['Admin'],
      auth: 'admin',
      query: pageQuery.extend({ q: z.string().trim().max(200).optional() }),
      responses: { 200: { description: 'Users', schema: listSchema(userSchema) } },
    },
    async ({ query }) => {
      const { items, total } = await deps.auth.listUsers(query);
      return { items: items.map(presentUser), page: query.page, limit: query.limit, total };
    },
  );

  r.put(
    '/users/:id',
    {
      summary:
        "Change a user's role or status (a role change revokes all their sessions and API tokens; suspending ends their sessions)",
      tags: ['Admin'],
      auth: 'admin',
      params: idParams,
      body: z
        .object({
          role: z.enum(['admin', 'user']).optional(),
          status: z.enum(['active', 'suspended']).optional(),
        })
        .strict()
        .refine((b) => b.role !== undefined || b.status !== undefined, {
          message: 'role or status is required',
        }),
      responses: { 200: { description: 'Updated user', schema: userSchema } },
      errors: [409],
    },
    async (ctx) =>
      presentUser(await deps.auth.adminUpdateUser(ctx.principal, ctx.params.id, ctx.body, { ip: ctx.ip })),
  );

  r.get(
    '/logs',
    {
      summary: 'Audit log',
      tags: ['Admin'],
      auth: 'admin',
      query: pageQuery.extend({
        action: z.string().max(100).optional(),
        actorId: z.uuid().optional(),
        since: z.iso.datetime({ offset: true }).optional(),
      }),
      responses: { 200: { description: 'Audit entries, newest first', schema: listSchema(auditItem) } },
    },
    async ({ query }) => {
      const { items, total } = await deps.audit.list({
        ...query,
        since: query.since ? new Date(query.since) : undefined,
      });
      return {
        items: items.map((e) => ({ ...e, id: String(e.id), at: e.at.toISOString() })),
        page: query.page,
        limit: query.limit,
        total,
      };
    },
  );

  r.get(
    '/settings',
    {
      summary: 'All settings',
      tags: ['Admin'],
      auth: 'admin',
      responses: { 200: { description: 'Settings', schema: z.record(z.string(), z.unknown()) } },
    },
    () => deps.settings.getAll(),
  );

  r.post(
    '/settings',
    {
      summary: 'Set one or more settings (unknown keys and bad values are rejected)',
      tags: ['Admin'],
      auth: 'admin',
      body: settingsUpdateSchema,
      responses: {
        200: { description: 'All settings after the change', schema: z.record(z.string(), z.unknown()) },
      },
    },
    async (ctx) => {
      const out = await deps.settings.set(ctx.body, ctx.principal.user.id);
      await deps.audit.record({
        actorId: ctx.principal.user.id,
        action: 'admin.settings_update',
        targetType: 'settings',
        ip: ctx.ip,
        details: ctx.body,
      });
      return out;
    },
  );

  return r.router;
}
