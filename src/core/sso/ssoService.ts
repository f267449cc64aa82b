import type { AuditSink } from '../audit/audit.js';
import type { AuthResult, AuthService, UserRecord } from '../auth/authService.js';
import { hashToken, randomToken } from '../auth/secrets.js';
import { type Clock, systemClock } from '../clock.js';
import { AppError, conflict, notFound } from '../errors.js';
import type { SettingsStore } from '../settings/settings.js';
import {
  type ExternalProfile,
  type FlowSecrets,
  type IdentityProviderClient,
  type IdentityRecord,
  type SsoProviderId,
  type SsoProviderInfo,
  SsoRejected,
  type SsoStore,
} from './types.js';

/** How long a started sign-in may take at the provider. */
export const SSO_FLOW_TTL_MS = 10 * 60_000;
/** How long the portal has to trade the one-time code for a session. */
export const SSO_EXCHANGE_TTL_MS = 2 * 60_000;

export interface ChatIdentityClaimer {
  /** Makes a chat identity the user's (a guest's tasks move with it), as a link code would. */
  claim(
    userId: string,
    identity: {
      platform: 'slack' | 'discord';
      workspaceId: string;
      platformUserId: string;
      displayName?: string;
    },
  ): Promise<void>;
}

/** Where the callback sends the browser. */
export type CallbackOutcome =
  | { kind: 'signed_in'; exchangeCode: string; next: string }
  | { kind: 'linked'; next: string; provider: SsoProviderId }
  | { kind: 'failed'; code: string; message: string; next: string };

/** Only a local path may be a destination after sign-in (no open redirect). */
export function safeNextPath(next: string | undefined | null): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/';
  return next.slice(0, 500);
}

/**
 * Sign-in with GitHub, Google, Slack, Discord and a generic OIDC issuer. Decides who the person at
 * the provider is here: an existing identity's user, the signed-in user who is linking, the account
 * with the same e-mail (only when the provider says the e-mail is verified), or a new account.
 */
export class SsoService {
  constructor(
    private readonly deps: {
      store: SsoStore;
      clients: Map<SsoProviderId, IdentityProviderClient>;
      auth: AuthService;
      settings: SettingsStore;
      audit: AuditSink;
      chat: ChatIdentityClaimer;
      /** Encrypts/decrypts the PKCE verifier kept between start and callback. */
      seal: (plain: string) => string;
      open: (sealed: string) => string;
      /** PUBLIC_URL (or the listening address): callbacks are PUBLIC_URL/api/auth/oauth/<id>/callback. */
      publicUrl: () => string;
      /** Runs after an SSO sign-in created a user (the place where teams join auth.defaultTeam). */
      onUserCreated?: (user: UserRecord) => Promise<void>;
      log: { warn(message: string, meta?: Record<string, unknown>): void };
      now?: Clock;
    },
  ) {}

  private now() {
    return (this.deps.now ?? systemClock)();
  }

  providers(): SsoProviderInfo[] {
    return [...this.deps.clients.values()].map((c) => c.info);
  }

  private client(provider: string): IdentityProviderClient {
    const c = this.deps.clients.get(provider as SsoProviderId);
    if (!c) throw notFound('Sign-in provider');
    return c;
  }

  redirectUri(provider: string): string {
    return `${this.deps.publicUrl()}/api/auth/oauth/${provider}/callback`;
  }

  /**
   * Starts a sign-in (or, with linkUserId, the linking of another identity): stores the flow and
   * returns the provider's URL and the value of the browser-binding cookie.
   */
  async start(
    provider: string,
    opts: { next?: string; linkUserId?: string | null },
  ): Promise<{ url: string; browserToken: string }> {
    const client = this.client(provider);
    const secrets: FlowSecrets = {
      state: randomToken('', 32),
      nonce: randomToken('', 32),
      codeVerifier: randomToken('', 48),
    };
    const browserToken = randomToken('', 32);
    const url = await this.withProvider(() => client.authorizationUrl(secrets, this.redirectUri(provider)));
    await this.deps.store.createFlow({
      provider,
      stateHash: hashToken(secrets.state),
      browserHash: hashToken(browserToken),
      codeVerifier: this.deps.seal(secrets.codeVerifier),
      nonce: secrets.nonce,
      next: safeNextPath(opts.next),
      linkUserId: opts.linkUserId ?? null,
      expiresAt: new Date(this.now().getTime() + SSO_FLOW_TTL_MS),
    });
    return { url: url.toString(), browserToken };
  }

  private async withProvider<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new AppError('unavailable', 'The identity provider could not be reached; try again later', {
        cause: e,
      });
    }
  }

  /** Handles the provider's redirect back. Never throws for the provider's or the browser's faults. */
  async callback(
    provider: string,
    callbackUrl: URL,
    browserToken: string | undefined,
    meta: { ip?: string | null },
  ): Promise<CallbackOutcome> {
    const client = this.client(provider);
    const state = callbackUrl.searchParams.get('state');
    const fail = async (code: string, message: string, next = '/', details: Record<string, unknown> = {}) => {
      await this.deps.audit.record({
        actorId: null,
        action: 'auth.sso_failed',
        targetType: 'identity_provider',
        targetId: provider,
        ip: meta.ip,
        details: { reason: code, ...details },
      });
      return { kind: 'failed' as const, code, message, next };
    };
    if (!state) return fail('invalid_state', 'The sign-in response had no state; start again');
    const flow = await this.deps.store.consumeFlow(hashToken(state), this.now());
    if (!flow || flow.provider !== provider)
      return fail('invalid_state', 'This sign-in link is unknown, expired or already used; start again');
    if (!browserToken || hashToken(browserToken) !== flow.browserHash)
      return fail('invalid_state', 'This sign-in was started in another browser; start again', flow.next);
    const providerError = callbackUrl.searchParams.get('error');
    if (providerError)
      return fail(
        'provider_refused',
        `The identity provider refused the sign-in (${providerError.slice(0, 100)})`,
        flow.next,
      );

    let profile: ExternalProfile;
    try {
      profile = await client.complete(
        callbackUrl,
        { state, nonce: flow.nonce, codeVerifier: this.deps.open(flow.codeVerifier) },
        this.redirectUri(provider),
      );
    } catch (e) {
      const reason = e instanceof SsoRejected ? e.reason : 'provider_error';
      const cause = (e as Error).cause as { message?: string; code?: string } | undefined;
      this.deps.log.warn('SSO code exchange failed', {
        provider,
        reason,
        err: (e as Error).message,
        ...(cause ? { cause: `${cause.code ?? ''} ${cause.message ?? ''}`.trim() } : {}),
      });
      return fail(
        reason,
        e instanceof SsoRejected
          ? e.message
          : 'The identity provider could not complete the sign-in; try again',
        flow.next,
      );
    }

    try {
      const user = await this.resolveUser(provider as SsoProviderId, profile, flow.linkUserId, meta);
      if (profile.chat) {
        try {
          await this.deps.chat.claim(user.id, profile.chat);
        } catch (e) {
          this.deps.log.warn('Signed in but could not link the chat identity', {
            provider,
            err: (e as Error).message,
          });
        }
      }
      if (flow.linkUserId) return { kind: 'linked', next: flow.next, provider: provider as SsoProviderId };
      const exchangeCode = randomToken('', 32);
      await this.deps.store.setExchange(
        flow.id,
        hashToken(exchangeCode),
        user.id,
        new Date(this.now().getTime() + SSO_EXCHANGE_TTL_MS),
      );
      return { kind: 'signed_in', exchangeCode, next: flow.next };
    } catch (e) {
      if (e instanceof AppError) return fail(e.code, e.message, flow.next);
      throw e;
    }
  }

  private async resolveUser(
    provider: SsoProviderId,
    p: ExternalProfile,
    linkUserId: string | null,
    meta: { ip?: string | null },
  ): Promise<UserRecord> {
    const { store, auth, audit } = this.deps;
    const email = p.email?.trim().toLowerCase() || null;
    const existing = await store.findIdentity(provider, p.subject);
    if (existing) {
      if (linkUserId && existing.userId !== linkUserId)
        throw conflict('This identity is already linked to another Switchyard account');
      await store.touchIdentity(existing.id, {
        email,
        emailVerified: p.emailVerified,
        displayName: p.name,
      });
      const user = await auth.findUser(existing.userId);
      if (!user) throw notFound('User');
      await audit.record({
        actorId: user.id,
        action: linkUserId ? 'auth.sso_link' : 'auth.sso_login',
        targetType: 'identity',
        targetId: existing.id,
        ip: meta.ip,
        details: { provider },
      });
      return user;
    }

    const link = async (user: UserRecord, how: string) => {
      const identity = await store.createIdentity({
        userId: user.id,
        provider,
        subject: p.subject,
        email,
        emailVerified: p.emailVerified,
        displayName: p.name,
      });
      await audit.record({
        actorId: user.id,
        action: 'auth.sso_link',
        targetType: 'identity',
        targetId: identity.id,
        ip: meta.ip,
        details: { provider, how },
      });
      return user;
    };

    if (linkUserId) {
      const user = await auth.findUser(linkUserId);
      if (user?.status !== 'active')
        throw new AppError('account_suspended', 'This account cannot link identities');
      return link(user, 'signed_in_user');
    }

    if (email) {
      const holder = await auth.findUserByEmail(email);
      if (holder) {
        if (!p.emailVerified)
          throw new AppError(
            'email_unverified',
            `An account with the e-mail ${email} already exists, and ${provider} does not say the address is verified. ` +
              'Sign in to that account (with its password or a linked identity) and link this one from your profile.',
          );
        if (holder.isGuest) throw conflict('That e-mail belongs to a guest account');
        return link(holder, 'verified_email');
      }
    }

    // A new account.
    const domains = await this.deps.settings.get('auth.allowedEmailDomains');
    if (domains.length) {
      const domain = email?.split('@')[1] ?? '';
      if (!email || !p.emailVerified || !domains.includes(domain))
        throw new AppError(
          'domain_not_allowed',
          `Sign-up is limited to verified e-mail addresses at ${domains.join(', ')}; ask an admin for access`,
        );
    } else if ((await this.deps.settings.get('registration')) === 'closed') {
      throw new AppError(
        'registration_closed',
        'Registration is closed on this Switchyard; ask an admin for an account',
      );
    }
    const user = await auth.createExternalUser({
      usernameHint: p.username ?? email?.split('@')[0] ?? `${provider}-user`,
      email: email && p.emailVerified ? email : null,
    });
    await audit.record({
      actorId: user.id,
      action: 'user.register_sso',
      targetType: 'user',
      targetId: user.id,
      ip: meta.ip,
      details: { provider },
    });
    await link(user, 'new_account');
    if (this.deps.onUserCreated) {
      try {
        await this.deps.onUserCreated(user);
      } catch (e) {
        this.deps.log.warn('onUserCreated hook failed', { userId: user.id, err: (e as Error).message });
      }
    }
    return user;
  }

  /** Trades the one-time code from the callback for a session (as a password sign-in makes). */
  async exchange(code: string, meta: { ip?: string | null; userAgent?: string | null }): Promise<AuthResult> {
    const userId = await this.deps.store.consumeExchange(hashToken(code), this.now());
    if (!userId) throw new AppError('unauthorized', 'This sign-in code is unknown, expired or already used');
    return this.deps.auth.issueFor(userId, meta);
  }

  listIdentities(userId: string): Promise<IdentityRecord[]> {
    return this.deps.store.listIdentities(userId);
  }

  async unlink(userId: string, identityId: string, meta: { ip?: string | null }): Promise<void> {
    const out = await this.deps.store.deleteIdentity(userId, identityId, {
      passwordCounts: await this.deps.settings.get('auth.passwordLogin'),
    });
    if (out === 'not_found') throw notFound('Identity');
    if (out === 'last')
      throw conflict('This is your last way to sign in; set a password or link another identity first');
    await this.deps.audit.record({
      actorId: userId,
      action: 'auth.sso_unlink',
      targetType: 'identity',
      targetId: identityId,
      ip: meta.ip,
    });
  }
}
