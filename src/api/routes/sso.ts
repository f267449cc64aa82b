import type { Request, Response } from 'express';
import { z } from 'zod';
import { type CallbackOutcome, type SsoService, safeNextPath } from '../../core/sso/ssoService.js';
import { SSO_PROVIDER_IDS } from '../../core/sso/types.js';
import type { ApiDeps } from '../deps.js';
import { createRateLimit } from '../middleware/rateLimit.js';
import { presentUser, userSchema } from '../presenters/user.js';
import { createRouteBuilder } from '../route.js';
import { idParams, isoDate } from '../schemas.js';

/** The cookie that binds a sign-in to the browser that started it. */
export const SSO_COOKIE = 'sy_sso';
const COOKIE_PATH = '/api/auth/oauth';

const providerParams = z.object({ provider: z.enum(SSO_PROVIDER_IDS) });
const providerItem = z.object({
  id: z.enum(SSO_PROVIDER_IDS),
  name: z.string(),
  kind: z.enum(SSO_PROVIDER_IDS).describe('github, google, slack, discord, or oidc (a generic issuer)'),
  protocol: z.enum(['oidc', 'oauth2']).describe('OpenID Connect, or plain OAuth 2.0 (GitHub, Discord)'),
});
const identityItem = z.object({
  id: z.string(),
  provider: z.string(),
  email: z.string().nullable(),
  emailVerified: z.boolean(),
  displayName: z.string().nullable(),
  createdAt: isoDate,
  lastUsedAt: isoDate.nullable(),
});
const authResult = z.object({
  user: userSchema,
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number(),
});
const nextPath = z.string().max(500).optional().describe('a portal path to land on afterwards');

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function setFlowCookie(res: Response, value: string, secure: boolean) {
  res.cookie(SSO_COOKIE, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: COOKIE_PATH,
    maxAge: 10 * 60_000,
  });
}

/** Where the portal picks up the outcome: values in the fragment never reach a server or its logs. */
function portalLocation(out: CallbackOutcome): string {
  const f = new URLSearchParams();
  if (out.kind === 'signed_in') {
    f.set('code', out.exchangeCode);
    f.set('next', out.next);
    return `/login/sso#${f}`;
  }
  if (out.kind === 'linked') {
    f.set('linked', out.provider);
    return `${out.next === '/' ? '/profile' : out.next}#${f}`;
  }
  f.set('error', out.code);
  f.set('message', out.message);
  f.set('next', out.next);
  return `/login/sso#${f}`;
}

export function ssoRoutes(deps: ApiDeps, s: { sso: SsoService }) {
  const r = createRouteBuilder(deps.openapi, '/api/auth');
  const strict = createRateLimit({ perMinute: deps.config.authRateLimitPerMinute, name: 'auth-sso' });
  const secure = () => deps.config.publicUrl().startsWith('https:');

  r.get(
    '/providers',
    {
      summary: 'The identity providers configured for sign-in',
      tags: ['Auth'],
      auth: 'none',
      responses: { 200: { description: 'Providers', schema: z.object({ items: z.array(providerItem) }) } },
    },
    () => ({ items: s.sso.providers() }),
  );

  r.get(
    '/oauth/:provider/start',
    {
      summary: 'Start signing in with an identity provider (302 to the provider; state, PKCE and nonce)',
      tags: ['Auth'],
      auth: 'none',
      before: [strict],
      params: providerParams,
      query: z.object({ next: nextPath }),
      responses: { 302: { description: "Redirect to the provider's sign-in page" } },
      errors: [404, 429, 503],
    },
    async (ctx) => {
      const out = await s.sso.start(ctx.params.provider, { next: ctx.query.next });
      setFlowCookie(ctx.res, out.browserToken, secure());
      ctx.res.redirect(302, out.url);
    },
  );

  r.get(
    '/oauth/:provider/callback',
    {
      summary:
        "The provider's redirect back: 302 to the portal, signed in (a one-time code in the fragment), or with the reason it failed",
      tags: ['Auth'],
      auth: 'none',
      before: [strict],
      params: providerParams,
      query: z
        .object({
          code: z.string().max(4096).optional(),
          state: z.string().max(1024).optional(),
          error: z.string().max(1024).optional(),
        })
        .loose(),
      responses: { 302: { description: 'Redirect to the portal' } },
      errors: [404, 429],
    },
    async (ctx) => {
      const url = new URL(ctx.req.originalUrl, 'http://callback.invalid');
      const out = await s.sso.callback(ctx.params.provider, url, readCookie(ctx.req, SSO_COOKIE), {
        ip: ctx.ip,
      });
      ctx.res.clearCookie(SSO_COOKIE, {
        path: COOKIE_PATH,
        httpOnly: true,
        sameSite: 'lax',
        secure: secure(),
      });
      ctx.res.redirect(302, portalLocation(out));
    },
  );

  r.post(
    '/oauth/exchange',
    {
      summary: 'Trade the one-time code from a sign-in callback for tokens (as a password sign-in returns)',
      tags: ['Auth'],
      auth: 'none',
      before: [strict],
      body: z.object({ code: z.string().min(1).max(200) }).strict(),
      responses: { 200: { description: 'Signed in', schema: authResult } },
      errors: [401, 403, 429],
    },
    async (ctx) => {
      const out = await s.sso.exchange(ctx.body.code, {
        ip: ctx.ip,
        userAgent: ctx.req.get('user-agent') ?? null,
      });
      return { ...out, user: presentUser(out.user) };
    },
  );

  r.post(
    '/oauth/:provider/link',
    {
      summary: 'Start linking another identity to my account: the provider URL to open in this browser',
      tags: ['Auth'],
      auth: 'user',
      before: [strict],
      params: providerParams,
      body: z.object({ next: nextPath }).strict(),
      responses: { 200: { description: 'Open this URL', schema: z.object({ url: z.string() }) } },
      errors: [429, 503],
    },
    async (ctx) => {
      const out = await s.sso.start(ctx.params.provider, {
        next: safeNextPath(ctx.body.next ?? '/profile'),
        linkUserId: ctx.principal.user.id,
      });
      setFlowCookie(ctx.res, out.browserToken, secure());
      return { url: out.url };
    },
  );

  r.get(
    '/identities',
    {
      summary: 'My linked sign-in identities',
      tags: ['Auth'],
      auth: 'user',
      responses: { 200: { description: 'Identities', schema: z.object({ items: z.array(identityItem) }) } },
    },
    async (ctx) => ({
      items: (await s.sso.listIdentities(ctx.principal.user.id)).map((i) => ({
        id: i.id,
        provider: i.provider,
        email: i.email,
        emailVerified: i.emailVerified,
        displayName: i.displayName,
        createdAt: i.createdAt.toISOString(),
        lastUsedAt: i.lastUsedAt ? i.lastUsedAt.toISOString() : null,
      })),
    }),
  );

  r.delete(
    '/identities/:id',
    {
      summary: 'Unlink a sign-in identity (the last way to sign in cannot be removed: 409)',
      tags: ['Auth'],
      auth: 'user',
      params: idParams,
      responses: { 204: { description: 'Unlinked' } },
      errors: [409],
    },
    async (ctx) => {
      await s.sso.unlink(ctx.principal.user.id, ctx.params.id, { ip: ctx.ip });
    },
  );

  return r.router;
}
