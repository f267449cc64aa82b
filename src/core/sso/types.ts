/**
 * Sign-in with an identity provider: the providers Switchyard knows, what a provider tells us about
 * the person who signed in, and the ports the sign-in use cases need.
 */
export const SSO_PROVIDER_IDS = ['github', 'google', 'slack', 'discord', 'oidc'] as const;
export type SsoProviderId = (typeof SSO_PROVIDER_IDS)[number];

export const isSsoProviderId = (v: string): v is SsoProviderId =>
  (SSO_PROVIDER_IDS as readonly string[]).includes(v);

/** What the portal shows: one button per configured provider. */
export interface SsoProviderInfo {
  id: SsoProviderId;
  name: string;
  /** Which provider this is (github, google, slack, discord, or oidc for a generic issuer). */
  kind: SsoProviderId;
  /** 'oidc' for OpenID Connect (discovery, ID token, nonce); 'oauth2' for plain OAuth 2.0 (GitHub, Discord). */
  protocol: 'oidc' | 'oauth2';
}

/** The person a provider vouched for, after the code exchange. */
export interface ExternalProfile {
  subject: string;
  email: string | null;
  /** Only true when the provider says so (an OIDC `email_verified` claim, GitHub's verified flag, Discord's). */
  emailVerified: boolean;
  name: string | null;
  /** A username suggestion (GitHub login, preferred_username, the e-mail's local part). */
  username: string | null;
  /** A chat identity the sign-in proves (Slack team + user, Discord user). */
  chat?: { platform: 'slack' | 'discord'; workspaceId: string; platformUserId: string; displayName?: string };
}

/** The secrets of one sign-in attempt, created at start and checked at the callback. */
export interface FlowSecrets {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** An identity provider client (src/identityProviders implements it with openid-client). */
export interface IdentityProviderClient {
  readonly info: SsoProviderInfo;
  /** The provider's authorisation URL for these secrets (state, PKCE challenge, nonce). */
  authorizationUrl(secrets: FlowSecrets, redirectUri: string): Promise<URL>;
  /**
   * Exchanges the code in the callback URL (checking state, PKCE and, for OIDC, the ID token's nonce)
   * and reads the profile. Throws SsoRejected when the provider or the response is not acceptable.
   */
  complete(callbackUrl: URL, secrets: FlowSecrets, redirectUri: string): Promise<ExternalProfile>;
}

/** The provider refused, or its answer failed a check (state, nonce, code reuse, signature). */
export class SsoRejected extends Error {
  constructor(
    message: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SsoRejected';
  }
}

export interface IdentityRecord {
  id: string;
  userId: string;
  provider: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  displayName: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface FlowRecord {
  id: string;
  provider: string;
  browserHash: string;
  codeVerifier: string;
  nonce: string;
  next: string;
  linkUserId: string | null;
}

export interface SsoStore {
  createFlow(f: {
    provider: string;
    stateHash: string;
    browserHash: string;
    codeVerifier: string;
    nonce: string;
    next: string;
    linkUserId: string | null;
    expiresAt: Date;
  }): Promise<void>;
  /** Spends a live flow by its state (single use): null when unknown, used or expired. */
  consumeFlow(stateHash: string, now: Date): Promise<FlowRecord | null>;
  /** Attaches a one-time exchange code (hashed) to a spent flow, for the portal to trade for a session. */
  setExchange(flowId: string, exchangeHash: string, userId: string, expiresAt: Date): Promise<void>;
  /** Spends an exchange code: the user id, or null when unknown, used or expired. */
  consumeExchange(exchangeHash: string, now: Date): Promise<string | null>;
  findIdentity(provider: string, subject: string): Promise<IdentityRecord | null>;
  createIdentity(i: {
    userId: string;
    provider: string;
    subject: string;
    email: string | null;
    emailVerified: boolean;
    displayName: string | null;
  }): Promise<IdentityRecord>;
  touchIdentity(
    id: string,
    patch: { email: string | null; emailVerified: boolean; displayName: string | null },
  ): Promise<void>;
  listIdentities(userId: string): Promise<IdentityRecord[]>;
  /**
   * Removes one of the user's identities unless it is their last way to sign in (no password and
   * no other identity; a password counts only while password sign-in is on): 'removed', 'last' or 'not_found'. Atomic.
   */
  deleteIdentity(
    userId: string,
    id: string,
    opts: { passwordCounts: boolean },
  ): Promise<'removed' | 'last' | 'not_found'>;
}
