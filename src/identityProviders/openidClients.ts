import * as oidc from 'openid-client';
import {
  type ExternalProfile,
  type FlowSecrets,
  type IdentityProviderClient,
  type SsoProviderId,
  type SsoProviderInfo,
  SsoRejected,
} from '../core/sso/types.js';

/**
 * Identity provider clients on openid-client: OpenID Connect with discovery (the generic issuer,
 * Google, Slack) and plain OAuth 2.0 authorisation-code grants (GitHub, Discord). Every flow uses
 * state and PKCE (S256); OIDC flows also bind the ID token with a nonce.
 */
export interface SsoEnv {
  OIDC_ISSUER_URL?: string;
  OIDC_CLIENT_ID?: string;
  OIDC_CLIENT_SECRET?: string;
  OIDC_NAME?: string;
  OAUTH_GITHUB_CLIENT_ID?: string;
  OAUTH_GITHUB_CLIENT_SECRET?: string;
  OAUTH_GITHUB_BASE_URL: string;
  GITHUB_API_URL: string;
  OAUTH_GOOGLE_CLIENT_ID?: string;
  OAUTH_GOOGLE_CLIENT_SECRET?: string;
  OAUTH_GOOGLE_ISSUER_URL: string;
  OAUTH_SLACK_CLIENT_ID?: string;
  OAUTH_SLACK_CLIENT_SECRET?: string;
  OAUTH_SLACK_ISSUER_URL: string;
  OAUTH_DISCORD_CLIENT_ID?: string;
  OAUTH_DISCORD_CLIENT_SECRET?: string;
  OAUTH_DISCORD_BASE_URL: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const isLoopback = (u: URL) => LOOPBACK.has(u.hostname) || /^127\.\d+\.\d+\.\d+$/.test(u.hostname);

/** https everywhere; plain http only for loopback addresses (local testing). */
export function checkProviderUrl(name: string, raw: string): URL {
  const u = new URL(raw);
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:' && isLoopback(u)) return u;
  throw new Error(`${name}: must be an https:// URL (plain http:// is allowed for loopback addresses only)`);
}

function insecureIfHttp(u: URL): { execute?: Array<(c: oidc.Configuration) => void> } {
  return u.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {};
}

/** Turns openid-client's errors into reasons the portal can show. */
function rejected(e: unknown): SsoRejected {
  if (e instanceof SsoRejected) return e;
  const err = e as { message?: string; code?: string; error?: string; cause?: unknown };
  // openid-client wraps oauth4webapi's errors: read the whole chain of causes.
  const chain: string[] = [];
  for (let c: unknown = e, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) {
    chain.push(
      String((c as { message?: string }).message ?? ''),
      String((c as { claim?: string }).claim ?? ''),
    );
  }
  const msg = chain.join(' ');
  if (/nonce/i.test(msg))
    return new SsoRejected('The ID token did not match this sign-in (nonce); start again', 'nonce_mismatch');
  if (/state/i.test(msg))
    return new SsoRejected(
      'The sign-in response did not match this sign-in (state); start again',
      'invalid_state',
    );
  if (err.error === 'invalid_grant')
    return new SsoRejected('The sign-in code was already used or has expired; start again', 'invalid_code');
  if (err.error)
    return new SsoRejected(`The identity provider refused the sign-in (${err.error})`, 'provider_refused');
  return new SsoRejected(
    'The identity provider could not complete the sign-in; try again',
    'provider_error',
    e,
  );
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() ? v.trim() : null;
}

class OidcClient implements IdentityProviderClient {
  private config: Promise<oidc.Configuration> | null = null;
  constructor(
    readonly info: SsoProviderInfo,
    private readonly issuer: URL,
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly scope = 'openid email profile',
  ) {}

  private configuration(): Promise<oidc.Configuration> {
    this.config ??= oidc
      .discovery(this.issuer, this.clientId, this.clientSecret, undefined, insecureIfHttp(this.issuer))
      .catch((e) => {
        this.config = null;
        throw e;
      });
    return this.config;
  }

  async authorizationUrl(s: FlowSecrets, redirectUri: string): Promise<URL> {
    const config = await this.configuration();
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.scope,
      state: s.state,
      nonce: s.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(s.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  async complete(callbackUrl: URL, s: FlowSecrets, redirectUri: string): Promise<ExternalProfile> {
    const config = await this.configuration();
    try {
      // openid-client takes the redirect URI from the current URL; rebuild it on the registered one.
      const current = new URL(redirectUri);
      current.search = callbackUrl.search;
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: s.codeVerifier,
        expectedState: s.state,
        expectedNonce: s.nonce,
        idTokenExpected: true,
      });
      let claims: Record<string, unknown> = { ...(tokens.claims() ?? {}) };
      const sub = str(claims.sub);
      if (!sub) throw new SsoRejected('The ID token had no subject', 'provider_error');
      if (!str(claims.email) && tokens.access_token && config.serverMetadata().userinfo_endpoint) {
        claims = { ...(await oidc.fetchUserInfo(config, tokens.access_token, sub)), ...claims };
      }
      return this.profile(sub, claims);
    } catch (e) {
      throw rejected(e);
    }
  }

  protected profile(sub: string, c: Record<string, unknown>): ExternalProfile {
    const email = str(c.email);
    const verified = c.email_verified === true || c.email_verified === 'true';
    const out: ExternalProfile = {
      subject: sub,
      email,
      emailVerified: Boolean(email) && verified,
      name: str(c.name),
      username: str(c.preferred_username) ?? str(c.nickname) ?? (email ? email.split('@')[0]! : null),
    };
    if (this.info.id === 'slack') {
      const team = str(c['https://slack.com/team_id']);
      const user = str(c['https://slack.com/user_id']) ?? sub;
      if (team)
        out.chat = {
          platform: 'slack',
          workspaceId: team,
          platformUserId: user,
          ...(out.name ? { displayName: out.name } : {}),
        };
    }
    return out;
  }
}

/** Plain OAuth 2.0 (GitHub, Discord): no discovery and no ID token; the profile comes from their user API. */
class OAuth2Client implements IdentityProviderClient {
  private readonly config: oidc.Configuration;
  constructor(
    readonly info: SsoProviderInfo,
    endpoints: { issuer: URL; authorize: string; token: string },
    clientId: string,
    clientSecret: string,
    private readonly scope: string,
    private readonly readProfile: (accessToken: string) => Promise<ExternalProfile>,
  ) {
    this.config = new oidc.Configuration(
      {
        issuer: endpoints.issuer.href,
        authorization_endpoint: endpoints.authorize,
        token_endpoint: endpoints.token,
      },
      clientId,
      clientSecret,
    );
    if (endpoints.issuer.protocol === 'http:') oidc.allowInsecureRequests(this.config);
  }

  async authorizationUrl(s: FlowSecrets, redirectUri: string): Promise<URL> {
    return oidc.buildAuthorizationUrl(this.config, {
      redirect_uri: redirectUri,
      scope: this.scope,
      state: s.state,
      code_challenge: await oidc.calculatePKCECodeChallenge(s.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  async complete(callbackUrl: URL, s: FlowSecrets, redirectUri: string): Promise<ExternalProfile> {
    try {
      const current = new URL(redirectUri);
      current.search = callbackUrl.search;
      const tokens = await oidc.authorizationCodeGrant(this.config, current, {
        pkceCodeVerifier: s.codeVerifier,
        expectedState: s.state,
      });
      return await this.readProfile(tokens.access_token);
    } catch (e) {
      throw rejected(e);
    }
  }
}

async function getJson(url: string, token: string): Promise<unknown> {
  const res = await fetch(url, {
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      'user-agent': 'Switchyard',
    },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok)
    throw new SsoRejected(`The identity provider's user API answered ${res.status}`, 'provider_error');
  return res.json();
}

function githubProfile(apiBase: string) {
  const api = apiBase.replace(/\/+$/, '');
  return async (token: string): Promise<ExternalProfile> => {
    const user = (await getJson(`${api}/user`, token)) as Record<string, unknown>;
    const id = user.id;
    if (typeof id !== 'number' && typeof id !== 'string')
      throw new SsoRejected('GitHub returned no user id', 'provider_error');
    // The verified flag lives on /user/emails (the profile's public e-mail says nothing about it).
    const emails = (await getJson(`${api}/user/emails`, token)) as Array<Record<string, unknown>>;
    const list = Array.isArray(emails) ? emails : [];
    const primary = list.find((e) => e.primary === true) ?? list.find((e) => e.verified === true) ?? null;
    const email = str(primary?.email) ?? str(user.email);
    return {
      subject: String(id),
      email,
      emailVerified: Boolean(primary && primary.verified === true && str(primary.email)),
      name: str(user.name) ?? str(user.login),
      username: str(user.login),
    };
  };
}

function discordProfile(apiBase: string) {
  return async (token: string): Promise<ExternalProfile> => {
    const u = (await getJson(`${apiBase}/users/@me`, token)) as Record<string, unknown>;
    const id = str(u.id);
    if (!id) throw new SsoRejected('Discord returned no user id', 'provider_error');
    const email = str(u.email);
    const name = str(u.global_name) ?? str(u.username);
    return {
      subject: id,
      email,
      emailVerified: Boolean(email) && u.verified === true,
      name,
      username: str(u.username),
      chat: {
        platform: 'discord',
        workspaceId: '',
        platformUserId: id,
        ...(name ? { displayName: name } : {}),
      },
    };
  };
}

/** The configured providers, in the order the portal shows them. Throws on a bad issuer URL. */
export function createIdentityProviderClients(env: SsoEnv): Map<SsoProviderId, IdentityProviderClient> {
  const out = new Map<SsoProviderId, IdentityProviderClient>();
  if (env.OIDC_ISSUER_URL && env.OIDC_CLIENT_ID && env.OIDC_CLIENT_SECRET) {
    out.set(
      'oidc',
      new OidcClient(
        { id: 'oidc', name: env.OIDC_NAME ?? 'Single sign-on', kind: 'oidc', protocol: 'oidc' },
        checkProviderUrl('OIDC_ISSUER_URL', env.OIDC_ISSUER_URL),
        env.OIDC_CLIENT_ID,
        env.OIDC_CLIENT_SECRET,
      ),
    );
  }
  if (env.OAUTH_GITHUB_CLIENT_ID && env.OAUTH_GITHUB_CLIENT_SECRET) {
    const base = checkProviderUrl('OAUTH_GITHUB_BASE_URL', env.OAUTH_GITHUB_BASE_URL);
    checkProviderUrl('GITHUB_API_URL', env.GITHUB_API_URL);
    const root = base.href.replace(/\/+$/, '');
    out.set(
      'github',
      new OAuth2Client(
        { id: 'github', name: 'GitHub', kind: 'github', protocol: 'oauth2' },
        {
          issuer: base,
          authorize: `${root}/login/oauth/authorize`,
          token: `${root}/login/oauth/access_token`,
        },
        env.OAUTH_GITHUB_CLIENT_ID,
        env.OAUTH_GITHUB_CLIENT_SECRET,
        'read:user user:email',
        githubProfile(env.GITHUB_API_URL),
      ),
    );
  }
  if (env.OAUTH_GOOGLE_CLIENT_ID && env.OAUTH_GOOGLE_CLIENT_SECRET) {
    out.set(
      'google',
      new OidcClient(
        { id: 'google', name: 'Google', kind: 'google', protocol: 'oidc' },
        checkProviderUrl('OAUTH_GOOGLE_ISSUER_URL', env.OAUTH_GOOGLE_ISSUER_URL),
        env.OAUTH_GOOGLE_CLIENT_ID,
        env.OAUTH_GOOGLE_CLIENT_SECRET,
      ),
    );
  }
  if (env.OAUTH_SLACK_CLIENT_ID && env.OAUTH_SLACK_CLIENT_SECRET) {
    out.set(
      'slack',
      new OidcClient(
        { id: 'slack', name: 'Slack', kind: 'slack', protocol: 'oidc' },
        checkProviderUrl('OAUTH_SLACK_ISSUER_URL', env.OAUTH_SLACK_ISSUER_URL),
        env.OAUTH_SLACK_CLIENT_ID,
        env.OAUTH_SLACK_CLIENT_SECRET,
      ),
    );
  }
  if (env.OAUTH_DISCORD_CLIENT_ID && env.OAUTH_DISCORD_CLIENT_SECRET) {
    const base = checkProviderUrl('OAUTH_DISCORD_BASE_URL', env.OAUTH_DISCORD_BASE_URL);
    const root = base.href.replace(/\/+$/, '');
    out.set(
      'discord',
      new OAuth2Client(
        { id: 'discord', name: 'Discord', kind: 'discord', protocol: 'oauth2' },
        { issuer: base, authorize: `${root}/oauth2/authorize`, token: `${root}/api/oauth2/token` },
        env.OAUTH_DISCORD_CLIENT_ID,
        env.OAUTH_DISCORD_CLIENT_SECRET,
        'identify email',
        discordProfile(`${root}/api`),
      ),
    );
  }
  return out;
}
