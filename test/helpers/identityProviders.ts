import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { type StubServer, startStubServer } from './stubServer.js';

/**
 * Identity providers on 127.0.0.1 for sign-in tests: a real OpenID Connect issuer (oidc-provider,
 * the certified implementation) whose login and consent complete at once for the account chosen
 * with `as()`, and stubs that speak GitHub's and Discord's OAuth 2.0 token and user endpoints.
 */
export interface IssuerAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
  'https://slack.com/team_id'?: string;
  'https://slack.com/user_id'?: string;
}

export interface OidcIssuer {
  url: string;
  /** The account the next interactive login signs in as. */
  as(account: IssuerAccount): void;
  /** Registers the clients (their callbacks are known once the app listens) and starts serving. */
  configure(clients: Array<{ clientId: string; clientSecret: string; redirectUri: string }>): void;
  close(): Promise<void>;
}

export async function startOidcIssuer(): Promise<OidcIssuer> {
  let handler: http.RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end('not configured');
  };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, IssuerAccount>();
  let current: IssuerAccount = { sub: 'nobody' };

  return {
    url,
    as(account) {
      accounts.set(account.sub, account);
      current = account;
    },
    configure(clients) {
      const provider = new Provider(url, {
        clients: clients.map((c) => ({
          client_id: c.clientId,
          client_secret: c.clientSecret,
          redirect_uris: [c.redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        })),
        claims: {
          openid: ['sub', 'https://slack.com/team_id', 'https://slack.com/user_id'],
          email: ['email', 'email_verified'],
          profile: ['name', 'preferred_username'],
        },
        findAccount: async (_ctx: unknown, sub: string) => {
          const a = accounts.get(sub);
          return a ? { accountId: sub, claims: async () => ({ ...a }) } : undefined;
        },
        interactions: { url: (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` },
        features: { devInteractions: { enabled: false } },
        cookies: { keys: ['sso-test-cookie-key'] },
        pkce: { required: () => true },
      });
      const callback = provider.callback();
      handler = async (req, res) => {
        if (req.url?.startsWith('/interaction/')) {
          try {
            const details = await provider.interactionDetails(req, res);
            const accountId = current.sub;
            const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
            grant.addOIDCScope(String(details.params.scope));
            const grantId = await grant.save();
            await provider.interactionFinished(
              req,
              res,
              { login: { accountId }, consent: { grantId } },
              { mergeWithLastSubmission: false },
            );
          } catch (e) {
            res.statusCode = 500;
            res.end(String(e));
          }
          return;
        }
        callback(req, res);
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface GithubAccount {
  id: number;
  login: string;
  name?: string;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
}
export interface DiscordAccount {
  id: string;
  username: string;
  global_name?: string;
  email?: string;
  verified?: boolean;
}

/**
 * GitHub (`/login/oauth/authorize`, `/login/oauth/access_token`, `/user`, `/user/emails`) and Discord
 * (`/oauth2/authorize`, `/api/oauth2/token`, `/api/users/@me`) on one stub, checking the client
 * secret, redirect URI and PKCE verifier and spending each code once.
 */
export interface OAuthStub {
  stub: StubServer;
  url: string;
  asGithub(a: GithubAccount): void;
  asDiscord(a: DiscordAccount): void;
  close(): Promise<void>;
}

export async function startOAuthStub(
  clients: Record<'github' | 'discord', { id: string; secret: string }>,
): Promise<OAuthStub> {
  let github: GithubAccount | null = null;
  let discord: DiscordAccount | null = null;
  const codes = new Map<
    string,
    { kind: 'github' | 'discord'; challenge: string; redirectUri: string; account: unknown; used: boolean }
  >();
  const tokens = new Map<string, { kind: 'github' | 'discord'; account: any }>();
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const stub = await startStubServer((req, res) => {
    const kind = req.path.startsWith('/login/oauth') || req.path.startsWith('/user') ? 'github' : 'discord';
    if (req.path === '/login/oauth/authorize' || req.path === '/oauth2/authorize') {
      const q = req.query;
      if (q.get('client_id') !== clients[kind].id || q.get('code_challenge_method') !== 'S256')
        return json(res, 400, { error: 'invalid_request' });
      const code = randomBytes(12).toString('hex');
      codes.set(code, {
        kind,
        challenge: q.get('code_challenge') ?? '',
        redirectUri: q.get('redirect_uri') ?? '',
        account: kind === 'github' ? github : discord,
        used: false,
      });
      const to = new URL(q.get('redirect_uri') ?? '');
      to.searchParams.set('code', code);
      to.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: to.toString() });
      return res.end();
    }
    if (
      req.method === 'POST' &&
      (req.path === '/login/oauth/access_token' || req.path === '/api/oauth2/token')
    ) {
      const f = new URLSearchParams(req.body);
      const c = codes.get(f.get('code') ?? '');
      const verifier = f.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (f.get('client_id') !== clients[kind].id || f.get('client_secret') !== clients[kind].secret)
        return json(res, 401, { error: 'invalid_client' });
      if (
        !c ||
        c.used ||
        c.kind !== kind ||
        c.redirectUri !== f.get('redirect_uri') ||
        c.challenge !== challenge
      )
        return json(res, 400, { error: 'invalid_grant' });
      c.used = true;
      const token = randomBytes(12).toString('hex');
      tokens.set(token, { kind, account: c.account });
      return json(res, 200, {
        access_token: token,
        token_type: kind === 'github' ? 'bearer' : 'Bearer',
        scope: f.get('scope') ?? '',
      });
    }
    const t = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /i, ''));
    if (!t) return json(res, 401, { message: 'Bad credentials' });
    if (req.path === '/user') {
      const a = t.account as GithubAccount;
      return json(res, 200, { id: a.id, login: a.login, name: a.name ?? null, email: null });
    }
    if (req.path === '/user/emails') return json(res, 200, (t.account as GithubAccount).emails);
    if (req.path === '/api/users/@me') return json(res, 200, t.account);
    return json(res, 404, { message: 'Not Found' });
  });
  return {
    stub,
    url: stub.url,
    asGithub: (a) => {
      github = a;
    },
    asDiscord: (a) => {
      discord = a;
    },
    close: () => stub.close(),
  };
}

/**
 * A browser without a page: follows redirects by hand and keeps each origin's cookies, until the
 * app answers with a portal location (a relative path).
 */
export class CookieBrowser {
  private readonly jars = new Map<string, Map<string, string>>();

  cookie(origin: string, name: string): string | undefined {
    return this.jars.get(origin)?.get(name);
  }

  private keep(origin: string, res: Response) {
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const jar = this.jars.get(origin);
    const headers = new Headers(init.headers);
    if (jar?.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.keep(origin, res);
    return res;
  }

  /** Follows redirects from `url` until a relative (portal) location; returns it and the last URL asked. */
  async follow(
    url: string,
    init: RequestInit = {},
  ): Promise<{ location: string; lastUrl: string; status: number }> {
    let next = url;
    let opts = init;
    for (let i = 0; i < 20; i++) {
      const res = await this.request(next, opts);
      opts = {};
      const loc = res.headers.get('location');
      if (!loc || res.status < 300 || res.status >= 400)
        return { location: '', lastUrl: next, status: res.status };
      if (loc.startsWith('/') && new URL(next).pathname.startsWith('/api/auth/oauth/'))
        return { location: loc, lastUrl: next, status: res.status };
      next = new URL(loc, next).toString();
      await res.arrayBuffer().catch(() => undefined);
    }
    throw new Error('too many redirects');
  }

  /** Follows redirects but stops before requesting a URL for which `stop` is true. */
  async followUntil(url: string, stop: (u: URL) => boolean): Promise<string> {
    let next = url;
    for (let i = 0; i < 20; i++) {
      if (stop(new URL(next))) return next;
      const res = await this.request(next);
      const loc = res.headers.get('location');
      if (!loc) throw new Error(`no redirect from ${next}: ${res.status} ${await res.text()}`);
      next = new URL(loc, next).toString();
    }
    throw new Error('too many redirects');
  }
}

/** The values in a portal location's fragment (`/login/sso#code=…&next=…`). */
export function fragment(location: string): URLSearchParams {
  return new URLSearchParams(location.split('#')[1] ?? '');
}
