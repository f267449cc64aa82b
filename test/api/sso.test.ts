import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/env.js';
import { createIdentityProviderClients } from '../../src/identityProviders/openidClients.js';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import {
  CookieBrowser,
  fragment,
  type IssuerAccount,
  type OAuthStub,
  type OidcIssuer,
  startOAuthStub,
  startOidcIssuer,
} from '../helpers/identityProviders.js';
import { sql } from '../helpers/sql.js';

/**
 * Sign-in with an identity provider, browser-less, against a real OpenID Connect issuer
 * (oidc-provider on 127.0.0.1: the generic issuer and the stand-in for Google and Slack) and stubs
 * of GitHub's and Discord's OAuth 2.0 endpoints.
 */
let app: TestApp;
let issuer: OidcIssuer;
let oauth: OAuthStub;
let admin: Awaited<ReturnType<typeof loginAdmin>>;

const SECRETS = {
  oidc: { id: 'switchyard-oidc', secret: 'oidc-client-secret-0123456789' },
  google: { id: 'switchyard-google', secret: 'google-client-secret-0123456789' },
  slack: { id: 'switchyard-slack', secret: 'slack-client-secret-0123456789' },
  github: { id: 'switchyard-github', secret: 'github-client-secret-0123456789' },
  discord: { id: 'switchyard-discord', secret: 'discord-client-secret-0123456789' },
};

beforeAll(async () => {
  issuer = await startOidcIssuer();
  oauth = await startOAuthStub({ github: SECRETS.github, discord: SECRETS.discord });
  app = await startTestApp({
    env: {
      OIDC_ISSUER_URL: issuer.url,
      OIDC_CLIENT_ID: SECRETS.oidc.id,
      OIDC_CLIENT_SECRET: SECRETS.oidc.secret,
      OIDC_NAME: 'Corp SSO',
      OAUTH_GOOGLE_ISSUER_URL: issuer.url,
      OAUTH_GOOGLE_CLIENT_ID: SECRETS.google.id,
      OAUTH_GOOGLE_CLIENT_SECRET: SECRETS.google.secret,
      OAUTH_SLACK_ISSUER_URL: issuer.url,
      OAUTH_SLACK_CLIENT_ID: SECRETS.slack.id,
      OAUTH_SLACK_CLIENT_SECRET: SECRETS.slack.secret,
      OAUTH_GITHUB_BASE_URL: oauth.url,
      GITHUB_API_URL: oauth.url,
      OAUTH_GITHUB_CLIENT_ID: SECRETS.github.id,
      OAUTH_GITHUB_CLIENT_SECRET: SECRETS.github.secret,
      OAUTH_DISCORD_BASE_URL: oauth.url,
      OAUTH_DISCORD_CLIENT_ID: SECRETS.discord.id,
      OAUTH_DISCORD_CLIENT_SECRET: SECRETS.discord.secret,
    },
  });
  issuer.configure(
    (['oidc', 'google', 'slack'] as const).map((p) => ({
      clientId: SECRETS[p].id,
      clientSecret: SECRETS[p].secret,
      redirectUri: `${app.url}/api/auth/oauth/${p}/callback`,
    })),
  );
  admin = await loginAdmin(app.url);
});

afterAll(async () => {
  await app?.close();
  await issuer?.close();
  await oauth?.close();
});

type Provider = 'oidc' | 'google' | 'slack' | 'github' | 'discord';

/** Starts a sign-in in a fresh browser and follows it to the portal; returns the portal location. */
async function signIn(provider: Provider, next?: string) {
  const browser = new CookieBrowser();
  const q = next ? `?next=${encodeURIComponent(next)}` : '';
  const out = await browser.follow(`${app.url}/api/auth/oauth/${provider}/start${q}`);
  return { browser, location: out.location, f: fragment(out.location) };
}

async function exchange(code: string | null) {
  return client(app.url).post('/api/auth/oauth/exchange', { code: code ?? 'missing' });
}

const account = (sub: string, extra: Partial<IssuerAccount> = {}): IssuerAccount => ({
  sub,
  email: `${sub}@example.org`,
  email_verified: true,
  name: `Person ${sub}`,
  preferred_username: sub,
  ...extra,
});

describe('providers', () => {
  it('lists the configured providers with their labels', async () => {
    const r = await client(app.url).get('/api/auth/providers');
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([
      { id: 'oidc', name: 'Corp SSO', kind: 'oidc', protocol: 'oidc' },
      { id: 'github', name: 'GitHub', kind: 'github', protocol: 'oauth2' },
      { id: 'google', name: 'Google', kind: 'google', protocol: 'oidc' },
      { id: 'slack', name: 'Slack', kind: 'slack', protocol: 'oidc' },
      { id: 'discord', name: 'Discord', kind: 'discord', protocol: 'oauth2' },
    ]);
  });

  it('start redirects to the provider with state, PKCE (S256) and nonce, and binds the browser', async () => {
    const browser = new CookieBrowser();
    const res = await browser.request(`${app.url}/api/auth/oauth/oidc/start`);
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe(issuer.url);
    expect(to.searchParams.get('state')).toBeTruthy();
    expect(to.searchParams.get('nonce')).toBeTruthy();
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('redirect_uri')).toBe(`${app.url}/api/auth/oauth/oidc/callback`);
    expect(res.headers.getSetCookie().join(';')).toMatch(/sy_sso=.*HttpOnly/i);
    // The verifier is kept encrypted.
    const [row] = await sql<{ code_verifier: string }>(
      app,
      'SELECT code_verifier FROM sso_flows ORDER BY created_at DESC LIMIT 1',
    );
    expect(row!.code_verifier).not.toMatch(/^[A-Za-z0-9_-]{43,128}$/);
  });
});

describe('sign-in with the generic OIDC issuer', () => {
  it('creates the user with the verified e-mail on first sign-in, and signs in the same user again', async () => {
    issuer.as(account('carol'));
    const first = await signIn('oidc', '/content');
    expect(first.location.startsWith('/login/sso#')).toBe(true);
    expect(first.f.get('next')).toBe('/content');
    const ex = await exchange(first.f.get('code'));
    expect(ex.status).toBe(200);
    expect(ex.body.user).toMatchObject({ username: 'carol', email: 'carol@example.org', role: 'user' });
    const me = await client(app.url, ex.body.accessToken).get('/api/auth/me');
    expect(me.body.user.id).toBe(ex.body.user.id);
    expect(ex.body.refreshToken).toMatch(/^sy_rt_/);

    const ids = await client(app.url, ex.body.accessToken).get('/api/auth/identities');
    expect(ids.body.items).toEqual([
      expect.objectContaining({ provider: 'oidc', email: 'carol@example.org', emailVerified: true }),
    ]);

    const again = await signIn('oidc');
    const ex2 = await exchange(again.f.get('code'));
    expect(ex2.body.user.id).toBe(ex.body.user.id);
  });

  it('refuses a replayed exchange code and a replayed callback', async () => {
    issuer.as(account('dave'));
    const browser = new CookieBrowser();
    const callback = await browser.followUntil(`${app.url}/api/auth/oauth/oidc/start`, (u) =>
      u.pathname.endsWith('/callback'),
    );
    const first = await browser.follow(callback);
    const code = fragment(first.location).get('code');
    expect((await exchange(code)).status).toBe(200);
    const replayedExchange = await exchange(code);
    expect(replayedExchange.status).toBe(401);
    expect(replayedExchange.body.error.code).toBe('unauthorized');

    // The same authorisation code and state again: the flow is spent (and the issuer would refuse the code).
    const replay = await browser.follow(callback);
    expect(fragment(replay.location).get('error')).toBe('invalid_state');
    expect(fragment(replay.location).get('code')).toBeNull();
  });

  it('refuses a wrong state and a callback from another browser', async () => {
    issuer.as(account('erin'));
    const browser = new CookieBrowser();
    const callback = new URL(
      await browser.followUntil(`${app.url}/api/auth/oauth/oidc/start`, (u) =>
        u.pathname.endsWith('/callback'),
      ),
    );
    const wrong = new URL(callback);
    wrong.searchParams.set('state', 'not-the-state');
    const r1 = await browser.follow(wrong.toString());
    expect(fragment(r1.location).get('error')).toBe('invalid_state');

    const stranger = new CookieBrowser();
    const r2 = await stranger.follow(callback.toString());
    expect(fragment(r2.location).get('error')).toBe('invalid_state');
    expect(fragment(r2.location).get('message')).toMatch(/another browser/);
  });

  it('refuses an ID token whose nonce does not match the sign-in', async () => {
    issuer.as(account('frank'));
    const browser = new CookieBrowser();
    const callback = await browser.followUntil(`${app.url}/api/auth/oauth/oidc/start`, (u) =>
      u.pathname.endsWith('/callback'),
    );
    await sql(app, `UPDATE sso_flows SET nonce = 'some-other-nonce' WHERE used_at IS NULL`);
    const r = await browser.follow(callback);
    expect(fragment(r.location).get('error')).toBe('nonce_mismatch');
    expect((await sql(app, `SELECT 1 FROM users WHERE username = 'frank'`)).length).toBe(0);
  });

  it('never links to an existing account on an unverified e-mail; links on a verified one', async () => {
    const bob = await registerUser(app.url, 'bobby');
    issuer.as(account('bob-unverified', { email: bob.user.email, email_verified: false }));
    const refused = await signIn('oidc');
    expect(refused.f.get('error')).toBe('email_unverified');
    expect(refused.f.get('message')).toMatch(/does not say the address is verified/);
    expect((await bob.api.get('/api/auth/identities')).body.items).toEqual([]);

    issuer.as(account('bob-verified', { email: bob.user.email.toUpperCase(), email_verified: true }));
    const linked = await signIn('oidc');
    const ex = await exchange(linked.f.get('code'));
    expect(ex.body.user.id).toBe(bob.user.id);
  });

  it('limits sign-up to auth.allowedEmailDomains', async () => {
    expect(
      (await admin.api.post('/api/admin/settings', { 'auth.allowedEmailDomains': ['corp.example'] })).status,
    ).toBe(200);
    try {
      issuer.as(account('gina', { email: 'gina@elsewhere.example' }));
      const refused = await signIn('oidc');
      expect(refused.f.get('error')).toBe('domain_not_allowed');
      issuer.as(account('hank', { email: 'hank@corp.example', email_verified: false }));
      expect((await signIn('oidc')).f.get('error')).toBe('domain_not_allowed');
      issuer.as(account('ivy', { email: 'ivy@corp.example' }));
      const ok = await signIn('oidc');
      expect((await exchange(ok.f.get('code'))).body.user.email).toBe('ivy@corp.example');
    } finally {
      await admin.api.post('/api/admin/settings', { 'auth.allowedEmailDomains': [] });
    }
  });

  it('a new SSO user joins the team named by auth.defaultTeam; an existing user is not moved', async () => {
    const owner = await registerUser(app.url);
    const team = await owner.api.post('/api/teams', { name: 'Default crew' });
    expect(team.status).toBe(201);
    expect(
      (await admin.api.post('/api/admin/settings', { 'auth.defaultTeam': 'not-a-team-id' })).status,
    ).toBe(400);
    expect((await admin.api.post('/api/admin/settings', { 'auth.defaultTeam': team.body.id })).status).toBe(
      200,
    );
    try {
      issuer.as(account('jules'));
      const first = await signIn('oidc');
      const jules = await exchange(first.f.get('code'));
      expect(jules.status).toBe(200);
      const members = (await owner.api.get(`/api/teams/${team.body.id}`)).body.members;
      expect(members).toEqual(
        expect.arrayContaining([expect.objectContaining({ userId: jules.body.user.id, role: 'member' })]),
      );
      const teams = await client(app.url, jules.body.accessToken).get('/api/teams');
      expect(teams.body.items.map((t: { id: string }) => t.id)).toEqual([team.body.id]);
    } finally {
      await admin.api.post('/api/admin/settings', { 'auth.defaultTeam': '' });
    }
  });

  it('with auth.passwordLogin off refuses password sign-in and registration; SSO still works', async () => {
    const pw = await registerUser(app.url);
    expect((await admin.api.post('/api/admin/settings', { 'auth.passwordLogin': false })).status).toBe(200);
    try {
      const login = await client(app.url).post('/api/auth/login', {
        username: pw.user.username,
        password: pw.password,
      });
      expect(login.status).toBe(403);
      expect(login.body.error.code).toBe('password_login_disabled');
      const reg = await client(app.url).post('/api/auth/register', {
        username: 'newcomer',
        email: 'newcomer@example.com',
        password: 'password-123',
      });
      expect(reg.status).toBe(403);
      expect(reg.body.error.code).toBe('password_login_disabled');
      issuer.as(account('jack'));
      const ok = await signIn('oidc');
      expect((await exchange(ok.f.get('code'))).status).toBe(200);
    } finally {
      // Admin sessions live on; turn it back on for the other tests.
      await admin.api.post('/api/admin/settings', { 'auth.passwordLogin': true });
    }
  });
});

describe('GitHub, Discord, Google and Slack', () => {
  it('GitHub: signs up with the verified primary e-mail from /user/emails', async () => {
    oauth.asGithub({
      id: 4242,
      login: 'octo-kim',
      name: 'Kim',
      emails: [
        { email: 'kim@users.noreply.example', primary: false, verified: true },
        { email: 'kim@example.net', primary: true, verified: true },
      ],
    });
    const r = await signIn('github');
    const ex = await exchange(r.f.get('code'));
    expect(ex.status).toBe(200);
    expect(ex.body.user).toMatchObject({ username: 'octo-kim', email: 'kim@example.net' });
    const tokenCall = oauth.stub.requests.find((q) => q.path === '/login/oauth/access_token');
    expect(new URLSearchParams(tokenCall!.body).get('code_verifier')).toBeTruthy();
  });

  it('GitHub: an unverified primary e-mail never takes over an existing account', async () => {
    const victim = await registerUser(app.url);
    oauth.asGithub({
      id: 777,
      login: 'mallory',
      emails: [{ email: victim.user.email, primary: true, verified: false }],
    });
    const r = await signIn('github');
    expect(r.f.get('error')).toBe('email_unverified');
  });

  it('Discord: signs up and links the Discord chat identity', async () => {
    oauth.asDiscord({
      id: '80351110224678912',
      username: 'nelly',
      global_name: 'Nelly',
      email: 'nelly@example.net',
      verified: true,
    });
    const r = await signIn('discord');
    const ex = await exchange(r.f.get('code'));
    expect(ex.body.user).toMatchObject({ username: 'nelly', email: 'nelly@example.net' });
    const links = await client(app.url, ex.body.accessToken).get('/api/links');
    expect(links.status).toBe(200);
    expect(JSON.stringify(links.body)).toContain('80351110224678912');
  });

  it('Google (stand-in issuer): signs up by OIDC discovery', async () => {
    issuer.as(account('gary-google'));
    const r = await signIn('google');
    const ex = await exchange(r.f.get('code'));
    expect(ex.body.user.email).toBe('gary-google@example.org');
    const ids = await client(app.url, ex.body.accessToken).get('/api/auth/identities');
    expect(ids.body.items.map((i: { provider: string }) => i.provider)).toEqual(['google']);
  });

  it('Slack (stand-in issuer): signs up and links the Slack chat identity of that workspace', async () => {
    issuer.as(
      account('U0SLACK1', {
        email: 'sam@example.org',
        preferred_username: 'sam',
        'https://slack.com/team_id': 'T0TEAM',
        'https://slack.com/user_id': 'U0SLACK1',
      }),
    );
    const r = await signIn('slack');
    const ex = await exchange(r.f.get('code'));
    expect(ex.status).toBe(200);
    const rows = await sql<{ workspace_id: string; platform_user_id: string; user_id: string }>(
      app,
      `SELECT workspace_id, platform_user_id, user_id FROM chat_identities WHERE platform = 'slack'`,
    );
    expect(rows).toEqual([
      { workspace_id: 'T0TEAM', platform_user_id: 'U0SLACK1', user_id: ex.body.user.id },
    ]);
  });
});

describe('linking and unlinking', () => {
  it('a signed-in user links GitHub, and cannot remove the last way to sign in', async () => {
    const u = await registerUser(app.url);
    oauth.asGithub({
      id: 9001,
      login: 'linker',
      emails: [{ email: 'other@example.net', primary: true, verified: true }],
    });
    const browser = new CookieBrowser();
    const start = await browser.request(`${app.url}/api/auth/oauth/github/link`, {
      method: 'POST',
      headers: { authorization: `Bearer ${u.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    expect(start.status).toBe(200);
    const { url } = (await start.json()) as { url: string };
    const done = await browser.follow(url);
    expect(done.location).toBe('/profile#linked=github');
    const ids = (await u.api.get('/api/auth/identities')).body.items;
    expect(ids).toEqual([expect.objectContaining({ provider: 'github', email: 'other@example.net' })]);
    // Signing in with it now reaches the same account.
    const again = await signIn('github');
    expect((await exchange(again.f.get('code'))).body.user.id).toBe(u.user.id);
    // The password remains a way in, so the identity may go.
    expect((await u.api.delete(`/api/auth/identities/${ids[0].id}`)).status).toBe(204);
  });

  it('the only identity of an SSO-only account answers 409; with a second one it can go', async () => {
    issuer.as(account('olga'));
    const r = await signIn('oidc');
    const ex = await exchange(r.f.get('code'));
    const me = client(app.url, ex.body.accessToken);
    const [only] = (await me.get('/api/auth/identities')).body.items;
    const last = await me.delete(`/api/auth/identities/${only.id}`);
    expect(last.status).toBe(409);
    expect(last.body.error.message).toMatch(/last way to sign in/);

    issuer.as(account('olga-google', { email: 'olga-g@example.org' }));
    const browser = new CookieBrowser();
    const start = await browser.request(`${app.url}/api/auth/oauth/google/link`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ex.body.accessToken}`, 'content-type': 'application/json' },
      body: '{"next":"/profile"}',
    });
    const done = await browser.follow(((await start.json()) as { url: string }).url);
    expect(done.location).toBe('/profile#linked=google');
    expect((await me.delete(`/api/auth/identities/${only.id}`)).status).toBe(204);
  });

  it('an identity linked to another account cannot be linked again', async () => {
    issuer.as(account('pat'));
    await exchange((await signIn('oidc')).f.get('code'));
    const u = await registerUser(app.url);
    const browser = new CookieBrowser();
    const start = await browser.request(`${app.url}/api/auth/oauth/oidc/link`, {
      method: 'POST',
      headers: { authorization: `Bearer ${u.accessToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const done = await browser.follow(((await start.json()) as { url: string }).url);
    expect(fragment(done.location).get('error')).toBe('conflict');
  });
});

describe('issuer URLs', () => {
  const clients = (vars: Record<string, string>) =>
    createIdentityProviderClients(parseEnv({ OIDC_CLIENT_ID: 'id', OIDC_CLIENT_SECRET: 'secret', ...vars }));
  it('need https://, except on loopback addresses', () => {
    expect(() => clients({ OIDC_ISSUER_URL: 'http://idp.example.com' })).toThrow(/https:\/\/.*loopback/);
    expect(() => clients({ OIDC_ISSUER_URL: 'http://10.0.0.5:8080' })).toThrow(/loopback/);
    expect(clients({ OIDC_ISSUER_URL: 'https://idp.example.com' }).has('oidc')).toBe(true);
    expect(clients({ OIDC_ISSUER_URL: 'http://127.0.0.1:9000' }).has('oidc')).toBe(true);
    expect(clients({ OIDC_ISSUER_URL: 'http://localhost:9000' }).has('oidc')).toBe(true);
    expect(() =>
      createIdentityProviderClients(
        parseEnv({
          OAUTH_DISCORD_CLIENT_ID: 'id',
          OAUTH_DISCORD_CLIENT_SECRET: 's',
          OAUTH_DISCORD_BASE_URL: 'http://discord.example',
        }),
      ),
    ).toThrow(/OAUTH_DISCORD_BASE_URL/);
  });
});

describe('authorisation', () => {
  it('anonymous: providers, start and exchange are open; identities and link need a user', async () => {
    const anon = client(app.url);
    expect((await anon.get('/api/auth/providers')).status).toBe(200);
    expect((await anon.get('/api/auth/identities')).status).toBe(401);
    expect((await anon.delete('/api/auth/identities/00000000-0000-4000-8000-000000000000')).status).toBe(401);
    expect((await anon.post('/api/auth/oauth/github/link', {})).status).toBe(401);
    expect((await anon.post('/api/auth/oauth/exchange', { code: 'nope' })).status).toBe(401);
    expect((await anon.get('/api/auth/oauth/nope/start')).status).toBe(400);
  });

  it("another user's identity answers 404; the owner sees only their own", async () => {
    issuer.as(account('quinn'));
    const q = await exchange((await signIn('oidc')).f.get('code'));
    const [mine] = (await client(app.url, q.body.accessToken).get('/api/auth/identities')).body.items;
    const other = await registerUser(app.url);
    expect((await other.api.get('/api/auth/identities')).body.items).toEqual([]);
    const del = await other.api.delete(`/api/auth/identities/${mine.id}`);
    expect(del.status).toBe(404);
    // A site admin has no back door here either: identities are always the caller's own.
    expect((await admin.api.delete(`/api/auth/identities/${mine.id}`)).status).toBe(404);
  });

  it('a provider that is not configured answers 404', async () => {
    const bare = await startTestApp();
    try {
      expect((await client(bare.url).get('/api/auth/providers')).body.items).toEqual([]);
      expect((await client(bare.url).get('/api/auth/oauth/github/start')).status).toBe(404);
    } finally {
      await bare.close();
    }
  });

  it('client secrets never reach the logs', () => {
    const all = app.logs.join('\n');
    for (const s of Object.values(SECRETS)) expect(all).not.toContain(s.secret);
  });
});
