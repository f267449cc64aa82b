import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { createRateLimit } from '../middleware/rateLimit.js';
import { presentUser, userSchema } from '../presenters/user.js';
import { createRouteBuilder } from '../route.js';
import { idParams } from '../schemas.js';

const username = z
  .string()
  .trim()
  .min(3)
  .max(40)
  .regex(/^[\p{L}\p{N}._-]+$/u, 'letters, digits, dot, underscore and dash only');
const email = z.email().max(254);
const password = z.string().min(8, 'at least 8 characters').max(256);

const authResult = z.object({
  user: userSchema,
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number(),
});
const tokenItem = z.object({
  id: z.string(),
  name: z.string(),
  teamId: z
    .string()
    .nullable()
    .describe('the team a team-scoped token belongs to; null for a personal token'),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
});

export function authRoutes(deps: ApiDeps) {
  const r = createRouteBuilder(deps.openapi, '/api/auth');
  const strict = createRateLimit({ perMinute: deps.config.authRateLimitPerMinute, name: 'auth' });
  const meta = (ctx: { ip: string | null; req: { get(h: string): string | undefined } }) => ({
    ip: ctx.ip,
    userAgent: ctx.req.get('user-agent') ?? null,
  });
  const iso = (d: Date | null) => (d ? d.toISOString() : null);

  r.post(
    '/register',
    {
      summary: 'Create an account',
      tags: ['Auth'],
      auth: 'none',
      before: [strict],
      body: z.object({ username, email, password }).strict(),
      responses: { 201: { description: 'Registered and signed in', schema: authResult } },
      errors: [403, 409, 429],
    },
    async (ctx) => {
      const out = await deps.auth.register(ctx.body, meta(ctx));
      return { ...out, user: presentUser(out.user) };
    },
  );

  r.post(
    '/login',
    {
      summary: 'Sign in with username or email',
      tags: ['Auth'],
      auth: 'none',
      before: [strict],
      body: z
        .object({
          username: z.string().min(1).max(254).optional(),
          email: z.string().min(1).max(254).optional(),
          password: z.string().min(1).max(256),
        })
        .strict()
        .refine((b) => b.username !== undefined || b.email !== undefined, {
          message: 'username or email is required',
          path: ['username'],
        }),
      responses: { 200: { description: 'Signed in', schema: authResult } },
      errors: [401, 403, 429],
    },
    async (ctx) => {
      const out = await deps.auth.login(ctx.body, meta(ctx));
      return { ...out, user: presentUser(out.user) };
    },
  );

  r.post(
    '/refresh',
    {
      summary: 'Exchange a refresh token for new tokens (the old one is spent)',
      tags: ['Auth'],
      auth: 'none',
      before: [strict],
      body: z.object({ refreshToken: z.string().min(1).max(512) }).strict(),
      responses: { 200: { description: 'New tokens', schema: authResult.omit({ user: true }) } },
      errors: [401, 429],
    },
    (ctx) => deps.auth.refresh(ctx.body.refreshToken, { ip: ctx.ip }),
  );

  r.post(
    '/logout',
    {
      summary: 'End this session (its access and refresh tokens stop working)',
      tags: ['Auth'],
      auth: 'user',
      responses: { 204: { description: 'Signed out' } },
    },
    async (ctx) => {
      await deps.auth.logout(ctx.principal, { ip: ctx.ip });
    },
  );

  r.get(
    '/me',
    {
      summary: 'The signed-in user',
      tags: ['Auth'],
      auth: 'user',
      responses: { 200: { description: 'Me', schema: z.object({ user: userSchema }) } },
    },
    (ctx) => ({
      user: presentUser(ctx.principal.user),
    }),
  );

  r.put(
    '/me',
    {
      summary:
        'Update my profile (currentPassword required to change email or password; such a change signs out everything else)',
      tags: ['Auth'],
      auth: 'user',
      body: z
        .object({
          username: username.optional(),
          email: email.optional(),
          password: password.optional(),
          currentPassword: z.string().max(256).optional(),
          estimateConfirmThresholdMicros: z
            .number()
            .int()
            .min(0)
            .max(1_000_000_000_000)
            .nullable()
            .optional()
            .describe(
              'Confirm before running a task whose estimate is above this (integer micro-dollars; 10000 = $0.01); null: the server default',
            ),
        })
        .strict(),
      responses: {
        200: {
          description:
            'Updated. Changing the password or e-mail ends every other session and revokes every API token ' +
            'except the credential used for this request; the counts say how many.',
          schema: z.object({
            user: userSchema,
            sessionsRevoked: z.number().int().describe('other sessions ended by this change'),
            apiTokensRevoked: z.number().int().describe('personal API tokens revoked by this change'),
          }),
        },
      },
      errors: [401, 409],
    },
    async (ctx) => {
      const out = await deps.auth.updateMe(ctx.principal, ctx.body, { ip: ctx.ip });
      return {
        user: presentUser(out.user),
        sessionsRevoked: out.sessionsRevoked,
        apiTokensRevoked: out.apiTokensRevoked,
      };
    },
  );

  r.post(
    '/tokens',
    {
      summary: 'Create a personal API token (shown once)',
      tags: ['Auth'],
      auth: 'user',
      body: z
        .object({
          name: z.string().trim().min(1).max(100),
          expiresInDays: z.number().int().min(1).max(3650).optional(),
          teamId: z
            .uuid('must be a UUID')
            .optional()
            .describe('Scope the token to a team (team admins): what it creates belongs to the team'),
        })
        .strict(),
      responses: {
        201: {
          description: 'Created',
          schema: tokenItem.omit({ lastUsedAt: true }).extend({ token: z.string() }),
        },
      },
    },
    async (ctx) => {
      const t = await deps.auth.createApiToken(ctx.principal, ctx.body, { ip: ctx.ip });
      return {
        id: t.id,
        name: t.name,
        teamId: t.teamId,
        token: t.token,
        createdAt: t.createdAt.toISOString(),
        expiresAt: iso(t.expiresAt),
      };
    },
  );

  r.get(
    '/tokens',
    {
      summary: 'My API tokens',
      tags: ['Auth'],
      auth: 'user',
      responses: { 200: { description: 'Tokens', schema: z.object({ items: z.array(tokenItem) }) } },
    },
    async (ctx) => ({
      items: (await deps.auth.listApiTokens(ctx.principal)).map((t) => ({
        id: t.id,
        name: t.name,
        teamId: t.teamId,
        createdAt: t.createdAt.toISOString(),
        lastUsedAt: iso(t.lastUsedAt),
        expiresAt: iso(t.expiresAt),
      })),
    }),
  );

  r.delete(
    '/tokens/:id',
    {
      summary: 'Revoke an API token',
      tags: ['Auth'],
      auth: 'user',
      params: idParams,
      responses: { 204: { description: 'Revoked' } },
    },
    async (ctx) => {
      await deps.auth.revokeApiToken(ctx.principal, ctx.params.id, { ip: ctx.ip });
    },
  );

  return r.router;
}
