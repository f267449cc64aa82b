import type { AuditSink } from '../audit/audit.js';
import { AppError, conflict, notFound } from '../errors.js';
import type { SettingsStore } from '../settings/settings.js';
import { authorizeTeam, type TeamRole } from '../teams/authorization.js';
import type { AccessTokens } from './jwt.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { hashToken, randomToken } from './secrets.js';

export type Role = 'admin' | 'user';
export type UserStatus = 'active' | 'suspended';

export interface UserRecord {
  id: string;
  username: string;
  email: string | null;
  passwordHash: string | null;
  role: Role;
  status: UserStatus;
  isGuest: boolean;
  /** Above this estimate (micro-dollars) a task is confirmed before it runs; null: the server default. */
  estimateConfirmThresholdMicros: number | null;
  createdAt: Date;
  updatedAt: Date;
  lastLogin: Date | null;
}

export interface SessionRecord {
  id: string;
  userId: string;
  expiresAt: Date;
  revokedAt: Date | null;
}

export interface ApiTokenRecord {
  id: string;
  userId: string;
  name: string;
  /** A team-scoped token's team (null: personal). */
  teamId: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export type UserPatch = Partial<
  Pick<
    UserRecord,
    'username' | 'email' | 'passwordHash' | 'role' | 'status' | 'lastLogin' | 'estimateConfirmThresholdMicros'
  >
>;

/** How many of a user's credentials a change ended. */
export interface AccessRevoked {
  sessionsRevoked: number;
  apiTokensRevoked: number;
}

/** What the auth use cases need from storage (implemented in src/models/authStore.ts). */
export interface AuthStore {
  findUserById(id: string): Promise<UserRecord | null>;
  findUserByLogin(login: { username?: string; email?: string }): Promise<UserRecord | null>;
  findUserConflict(
    username?: string,
    email?: string,
    exceptId?: string,
  ): Promise<'username' | 'email' | null>;
  createUser(u: {
    username: string;
    email: string | null;
    passwordHash: string | null;
    role: Role;
    isGuest?: boolean;
  }): Promise<UserRecord>;
  updateUser(id: string, patch: UserPatch): Promise<UserRecord | null>;
  countAdmins(): Promise<number>;
  listUsers(q: { q?: string; page: number; limit: number }): Promise<{ items: UserRecord[]; total: number }>;

  createSession(s: {
    userId: string;
    expiresAt: Date;
    ip?: string | null;
    userAgent?: string | null;
    refreshTokenHash: string;
  }): Promise<SessionRecord>;
  findSession(id: string): Promise<SessionRecord | null>;
  revokeSession(id: string, reason: string): Promise<void>;
  revokeUserSessions(userId: string, reason: string): Promise<void>;
  /**
   * Applies the patch and, in the same transaction, revokes the user's live sessions and/or API
   * tokens (all of them, or all but the ones named). Null when the user is unknown.
   */
  updateUserRevokingAccess(
    id: string,
    patch: UserPatch,
    revoke: {
      reason: string;
      sessions: boolean;
      apiTokens: boolean;
      exceptSessionId?: string;
      exceptApiTokenId?: string;
    },
  ): Promise<({ user: UserRecord } & AccessRevoked) | null>;
  /**
   * Atomically spends a refresh token and issues its successor. Returns 'reused' if the token was
   * already spent (the caller then revokes the whole session), or null if unknown/expired.
   */
  rotateRefreshToken(
    oldHash: string,
    newHash: string,
    expiresAt: Date,
  ): Promise<{ session: SessionRecord } | 'reused' | null>;
  findRefreshSession(hash: string): Promise<SessionRecord | null>;

  createApiToken(t: {
    userId: string;
    name: string;
    tokenHash: string;
    expiresAt: Date | null;
    teamId: string | null;
  }): Promise<ApiTokenRecord>;
  listApiTokens(userId: string): Promise<ApiTokenRecord[]>;
  revokeApiToken(userId: string, id: string): Promise<boolean>;
  /** Looks up a live token by hash and touches lastUsedAt. */
  useApiToken(hash: string): Promise<ApiTokenRecord | null>;
}

export interface Principal {
  user: UserRecord;
  sessionId?: string;
  apiTokenId?: string;
  /** Set when the request came with a team-scoped API token: what it creates belongs to this team. */
  teamId?: string;
}

/** Team lookups for team-scoped tokens (src/core/teams): the caller's role, and whether a team exists. */
export interface TeamDirectory {
  roleOf(teamId: string, userId: string): Promise<TeamRole | null>;
  exists(teamId: string): Promise<boolean>;
}

export interface AuthResult {
  user: UserRecord;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** What `ensureAdmin` did. 'taken': the username or e-mail belongs to an existing account, left unchanged. */
export type EnsureAdminResult =
  | { outcome: 'created'; user: UserRecord }
  | { outcome: 'admin_exists' }
  | { outcome: 'taken'; field: 'username' | 'email'; existing: UserRecord; message: string };

export const API_TOKEN_PREFIX = 'sy_pat_';
export const REFRESH_TOKEN_PREFIX = 'sy_rt_';

export class AuthService {
  constructor(
    private readonly store: AuthStore,
    private readonly tokens: AccessTokens,
    private readonly audit: AuditSink,
    private readonly settings: SettingsStore,
    private readonly opts: { refreshTtlDays: number; teams?: TeamDirectory },
  ) {}

  private async issue(
    user: UserRecord,
    meta: { ip?: string | null; userAgent?: string | null },
  ): Promise<AuthResult> {
    const refreshToken = randomToken(REFRESH_TOKEN_PREFIX);
    const session = await this.store.createSession({
      userId: user.id,
      expiresAt: new Date(Date.now() + this.opts.refreshTtlDays * 86_400_000),
      ip: meta.ip,
      userAgent: meta.userAgent,
      refreshTokenHash: hashToken(refreshToken),
    });
    return {
      user,
      accessToken: this.tokens.sign({ sub: user.id, sid: session.id, role: user.role }),
      refreshToken,
      expiresIn: this.tokens.ttlSeconds,
    };
  }

  private async requirePasswordLogin(): Promise<void> {
    if (!(await this.settings.get('auth.passwordLogin')))
      throw new AppError(
        'password_login_disabled',
        'Password sign-in is turned off on this Switchyard; sign in with your identity provider',
      );
  }

  findUser(id: string): Promise<UserRecord | null> {
    return this.store.findUserById(id);
  }

  findUserByEmail(email: string): Promise<UserRecord | null> {
    return this.store.findUserByLogin({ email });
  }

  /** Creates an account for a first sign-in with an identity provider (no password), with a free username. */
  async createExternalUser(input: { usernameHint: string; email: string | null }): Promise<UserRecord> {
    const base =
      input.usernameHint
        .normalize('NFKC')
        .replace(/[^\p{L}\p{N}._-]+/gu, '-')
        .replace(/^[-.]+|[-.]+$/g, '')
        .slice(0, 32) || 'user';
    const padded = base.length < 3 ? `${base}-user` : base;
    for (let i = 0; i < 20; i++) {
      const candidate = i === 0 ? padded : `${padded}-${randomToken('', 3).slice(0, 4).toLowerCase()}`;
      const clash = await this.store.findUserConflict(candidate, input.email ?? undefined);
      if (clash === 'email') throw conflict('That email is already taken', { field: 'email' });
      if (clash) continue;
      try {
        return await this.store.createUser({
          username: candidate,
          email: input.email,
          passwordHash: null,
          role: 'user',
        });
      } catch (e) {
        // Taken a moment ago by someone else: try another name. Anything else is not ours to hide.
        const err = e as { code?: string; cause?: { code?: string } };
        if ((err.code ?? err.cause?.code) !== '23505' || i === 19) throw e;
      }
    }
    throw conflict('Could not find a free username');
  }

  /** Audits something a user did to their own account (sign-in, registration…). */
  private recordOwn(
    userId: string,
    action: string,
    ip: string | null | undefined,
    details?: Record<string, unknown>,
  ) {
    return this.audit.record({
      actorId: userId,
      action,
      targetType: 'user',
      targetId: userId,
      ip,
      ...(details ? { details } : {}),
    });
  }

  /** Starts a session for a user who proved who they are elsewhere (an identity provider). */
  async issueFor(
    userId: string,
    meta: { ip?: string | null; userAgent?: string | null },
  ): Promise<AuthResult> {
    const user = await this.store.findUserById(userId);
    if (!user) throw new AppError('unauthorized', 'This sign-in code is unknown, expired or already used');
    if (user.status === 'suspended')
      throw new AppError('account_suspended', 'This account is suspended; contact an admin');
    const updated = (await this.store.updateUser(user.id, { lastLogin: new Date() })) ?? user;
    await this.recordOwn(user.id, 'auth.login', meta.ip, { via: 'sso' });
    return this.issue(updated, meta);
  }

  async register(
    input: { username: string; email: string; password: string },
    meta: { ip?: string | null; userAgent?: string | null },
  ): Promise<AuthResult> {
    await this.requirePasswordLogin();
    if ((await this.settings.get('registration')) === 'closed') {
      throw new AppError(
        'registration_closed',
        'Registration is closed on this Switchyard; ask an admin for an account',
      );
    }
    const clash = await this.store.findUserConflict(input.username, input.email);
    if (clash) throw conflict(`That ${clash} is already taken`, { field: clash });
    const user = await this.store.createUser({
      username: input.username,
      email: input.email,
      passwordHash: await hashPassword(input.password),
      role: 'user',
    });
    await this.recordOwn(user.id, 'user.register', meta.ip);
    const updated = (await this.store.updateUser(user.id, { lastLogin: new Date() })) ?? user;
    return this.issue(updated, meta);
  }

  async login(
    input: { username?: string; email?: string; password: string },
    meta: { ip?: string | null; userAgent?: string | null },
  ): Promise<AuthResult> {
    await this.requirePasswordLogin();
    const user = await this.store.findUserByLogin({ username: input.username, email: input.email });
    const ok = await verifyPassword(user?.passwordHash ?? null, input.password);
    if (!user || !ok) {
      await this.audit.record({
        actorId: user?.id ?? null,
        action: 'auth.login_failed',
        targetType: 'user',
        targetId: user?.id,
        ip: meta.ip,
        details: { login: input.username ?? input.email },
      });
      throw new AppError('invalid_credentials', 'Wrong username/email or password');
    }
    if (user.status === 'suspended') {
      await this.recordOwn(user.id, 'auth.login_suspended', meta.ip);
      throw new AppError('account_suspended', 'This account is suspended; contact an admin');
    }
    const updated = (await this.store.updateUser(user.id, { lastLogin: new Date() })) ?? user;
    await this.recordOwn(user.id, 'auth.login', meta.ip);
    return this.issue(updated, meta);
  }

  async refresh(refreshToken: string, meta: { ip?: string | null }): Promise<Omit<AuthResult, 'user'>> {
    const oldHash = hashToken(refreshToken);
    const next = randomToken(REFRESH_TOKEN_PREFIX);
    const rotated = await this.store.rotateRefreshToken(
      oldHash,
      hashToken(next),
      new Date(Date.now() + this.opts.refreshTtlDays * 86_400_000),
    );
    if (rotated === 'reused') {
      const session = await this.store.findRefreshSession(oldHash);
      if (session) {
        await this.store.revokeSession(session.id, 'refresh_token_reuse');
        await this.audit.record({
          actorId: session.userId,
          action: 'auth.refresh_reuse',
          targetType: 'session',
          targetId: session.id,
          ip: meta.ip,
        });
      }
      throw new AppError('unauthorized', 'This refresh token was already used; the session has been revoked');
    }
    if (!rotated) throw new AppError('unauthorized', 'Invalid or expired refresh token');
    const user = await this.store.findUserById(rotated.session.userId);
    if (user?.status !== 'active') throw new AppError('unauthorized', 'Invalid or expired refresh token');
    return {
      accessToken: this.tokens.sign({ sub: user.id, sid: rotated.session.id, role: user.role }),
      refreshToken: next,
      expiresIn: this.tokens.ttlSeconds,
    };
  }

  async logout(p: Principal, meta: { ip?: string | null }): Promise<void> {
    if (p.sessionId) await this.store.revokeSession(p.sessionId, 'logout');
    await this.audit.record({
      actorId: p.user.id,
      action: 'auth.logout',
      targetType: 'session',
      targetId: p.sessionId,
      ip: meta.ip,
    });
  }

  /**
   * The OpenAI-compatible gateway's API key: a personal API token only. Unknown, expired or revoked →
   * 401; the token of a suspended account → 403 account_suspended (the key is right, the account may not use it).
   */
  async authenticateApiKey(key: string): Promise<Principal> {
    if (!key.startsWith(API_TOKEN_PREFIX))
      throw new AppError('unauthorized', 'Use a personal API token (sy_pat_…) as the API key');
    const tok = await this.store.useApiToken(hashToken(key));
    if (!tok) throw new AppError('unauthorized', 'Invalid, expired or revoked API token');
    const user = await this.store.findUserById(tok.userId);
    if (!user) throw new AppError('unauthorized', 'Invalid, expired or revoked API token');
    if (user.status !== 'active')
      throw new AppError('account_suspended', 'This account is suspended; contact an admin');
    return this.tokenPrincipal(user, tok);
  }

  /**
   * A team-scoped token works while its creator is still a member of its team (GitHub's rule for a
   * fine-grained token on an organisation): removed from the team, the token stops working (401).
   */
  private async tokenPrincipal(user: UserRecord, tok: ApiTokenRecord): Promise<Principal> {
    if (!tok.teamId) return { user, apiTokenId: tok.id };
    const role = await this.opts.teams?.roleOf(tok.teamId, user.id);
    if (!role)
      throw new AppError('unauthorized', 'This team token no longer works: its creator has left the team');
    return { user, apiTokenId: tok.id, teamId: tok.teamId };
  }

  /** Resolves a bearer token (JWT access token or personal API token) to a principal, or throws 401. */
  async authenticate(bearer: string): Promise<Principal> {
    if (bearer.startsWith(API_TOKEN_PREFIX)) {
      const tok = await this.store.useApiToken(hashToken(bearer));
      if (!tok) throw new AppError('unauthorized', 'Invalid, expired or revoked API token');
      const user = await this.store.findUserById(tok.userId);
      if (user?.status !== 'active') throw new AppError('unauthorized', 'This account cannot use the API');
      return this.tokenPrincipal(user, tok);
    }
    const claims = this.tokens.verify(bearer);
    // The user before the session: a role change commits the new role and the revocation together,
    // so a request that reads the new role also sees its old session revoked.
    const user = await this.store.findUserById(claims.sub);
    const session = await this.store.findSession(claims.sid);
    if (!session || session.revokedAt || session.userId !== claims.sub)
      throw new AppError('unauthorized', 'This session has ended; sign in again');
    if (user?.status !== 'active') throw new AppError('unauthorized', 'This account cannot use the API');
    return { user, sessionId: session.id };
  }

  /**
   * Updates the caller's profile. Changing the password or the e-mail address ends every other
   * session and revokes every API token except the credential making this request (the current
   * session, or the API token used), in the same transaction as the change.
   */
  async updateMe(
    p: Principal,
    input: {
      username?: string;
      email?: string;
      password?: string;
      currentPassword?: string;
      estimateConfirmThresholdMicros?: number | null;
    },
    meta: { ip?: string | null },
  ): Promise<{ user: UserRecord } & AccessRevoked> {
    const sensitive = input.email !== undefined || input.password !== undefined;
    if (sensitive) {
      if (!input.currentPassword || !(await verifyPassword(p.user.passwordHash, input.currentPassword))) {
        throw new AppError(
          'invalid_credentials',
          'Your current password is required to change email or password',
          {
            details: { field: 'currentPassword' },
          },
        );
      }
    }
    const clash = await this.store.findUserConflict(input.username, input.email, p.user.id);
    if (clash) throw conflict(`That ${clash} is already taken`, { field: clash });
    const patch: UserPatch = {};
    if (input.username !== undefined) patch.username = input.username;
    if (input.email !== undefined) patch.email = input.email;
    if (input.password !== undefined) patch.passwordHash = await hashPassword(input.password);
    if (input.estimateConfirmThresholdMicros !== undefined)
      patch.estimateConfirmThresholdMicros = input.estimateConfirmThresholdMicros;
    const emailChanged =
      input.email !== undefined && input.email.toLowerCase() !== (p.user.email ?? '').toLowerCase();
    const credentialChanged = input.password !== undefined || emailChanged;
    let out: ({ user: UserRecord } & AccessRevoked) | null;
    if (credentialChanged) {
      out = await this.store.updateUserRevokingAccess(p.user.id, patch, {
        reason: input.password !== undefined ? 'password_changed' : 'email_changed',
        sessions: true,
        apiTokens: true,
        ...(p.sessionId ? { exceptSessionId: p.sessionId } : {}),
        ...(p.apiTokenId ? { exceptApiTokenId: p.apiTokenId } : {}),
      });
    } else {
      const user = await this.store.updateUser(p.user.id, patch);
      out = user && { user, sessionsRevoked: 0, apiTokensRevoked: 0 };
    }
    if (!out) throw notFound('User');
    await this.audit.record({
      actorId: p.user.id,
      action: 'user.update_self',
      targetType: 'user',
      targetId: p.user.id,
      ip: meta.ip,
      details: {
        fields: Object.keys(patch).map((k) => (k === 'passwordHash' ? 'password' : k)),
        ...(credentialChanged
          ? { sessionsRevoked: out.sessionsRevoked, apiTokensRevoked: out.apiTokensRevoked }
          : {}),
      },
    });
    return out;
  }

  async createApiToken(
    p: Principal,
    input: { name: string; expiresInDays?: number; teamId?: string },
    meta: { ip?: string | null },
  ) {
    if (input.teamId) await this.requireTokenRight(p, input.teamId);
    const token = randomToken(API_TOKEN_PREFIX);
    const rec = await this.store.createApiToken({
      userId: p.user.id,
      name: input.name,
      tokenHash: hashToken(token),
      expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
      teamId: input.teamId ?? null,
    });
    await this.audit.record({
      actorId: p.user.id,
      action: 'api_token.create',
      targetType: 'api_token',
      targetId: rec.id,
      ip: meta.ip,
      details: { name: input.name, ...(input.teamId ? { teamId: input.teamId } : {}) },
    });
    return { ...rec, token };
  }

  /** Team tokens are made by the team's admins (404 to outsiders, 403 to plain members). */
  private async requireTokenRight(p: Principal, teamId: string): Promise<void> {
    const teams = this.opts.teams;
    if (!teams || !(await teams.exists(teamId))) throw notFound('Team');
    const teamRole = await teams.roleOf(teamId, p.user.id);
    authorizeTeam({ teamRole, siteAdmin: p.user.role === 'admin' }, 'tokens.manage');
  }

  listApiTokens(p: Principal) {
    return this.store.listApiTokens(p.user.id);
  }

  async revokeApiToken(p: Principal, id: string, meta: { ip?: string | null }): Promise<void> {
    if (!(await this.store.revokeApiToken(p.user.id, id))) throw notFound('API token');
    await this.audit.record({
      actorId: p.user.id,
      action: 'api_token.revoke',
      targetType: 'api_token',
      targetId: id,
      ip: meta.ip,
    });
  }

  /**
   * Creates an admin account (start-up from ADMIN_* variables, or the CLI `create-admin`). It never
   * touches an existing account: when the username or e-mail is taken (registration is open and
   * e-mails are unverified, so anyone may hold them) it answers 'taken' and changes nothing; making
   * an existing account an admin takes an explicit `promoteToAdmin(userId)`. With `onlyIfNoAdmin`
   * (start-up) nothing is created once any admin exists.
   */
  async ensureAdmin(
    input: { username: string; email: string; password: string },
    opts: { onlyIfNoAdmin: boolean },
  ): Promise<EnsureAdminResult> {
    const byName = await this.store.findUserByLogin({ username: input.username });
    const byEmail = await this.store.findUserByLogin({ email: input.email });
    const clashes: Array<['username' | 'email', UserRecord]> = [];
    if (byName) clashes.push(['username', byName]);
    if (byEmail && byEmail.id !== byName?.id) clashes.push(['email', byEmail]);
    const taken = (field: 'username' | 'email', existing: UserRecord): EnsureAdminResult => ({
      outcome: 'taken',
      field,
      existing,
      message:
        `an account with the ${field} "${field === 'username' ? input.username : input.email}" already exists ` +
        `(id ${existing.id}, role ${existing.role}) and was left unchanged; if that account is yours, ` +
        `make it an admin with: npm run cli -- create-admin --promote ${existing.id}`,
    });
    if (opts.onlyIfNoAdmin && (await this.store.countAdmins()) > 0) {
      // The usual restart. Still say so when the configured name or e-mail belongs to a non-admin.
      const stranger = clashes.find(([, u]) => u.role !== 'admin');
      return stranger ? taken(...stranger) : { outcome: 'admin_exists' };
    }
    const [first] = clashes;
    if (first) return taken(...first);
    const user = await this.store.createUser({
      username: input.username,
      email: input.email,
      passwordHash: await hashPassword(input.password),
      role: 'admin',
    });
    await this.audit.record({
      actorId: null,
      action: 'user.create_admin',
      targetType: 'user',
      targetId: user.id,
    });
    return { outcome: 'created', user };
  }

  /**
   * Makes an existing account an admin, by id (the CLI's `create-admin --promote <userId>`). Its
   * password is not touched; every session and API token it had is revoked, so it signs in again.
   */
  async promoteToAdmin(
    userId: string,
    meta: { via: string },
  ): Promise<{ user: UserRecord; changed: boolean } & AccessRevoked> {
    const target = await this.store.findUserById(userId);
    if (!target) throw notFound('User');
    if (target.isGuest)
      throw conflict('This is a guest account made for a chat identity; it cannot be an admin');
    if (target.role === 'admin')
      return { user: target, changed: false, sessionsRevoked: 0, apiTokensRevoked: 0 };
    const out = await this.store.updateUserRevokingAccess(
      userId,
      { role: 'admin' },
      { reason: 'role_changed', sessions: true, apiTokens: true },
    );
    if (!out) throw notFound('User');
    await this.audit.record({
      actorId: null,
      action: 'user.promote_admin',
      targetType: 'user',
      targetId: userId,
      details: {
        via: meta.via,
        previousRole: target.role,
        role: 'admin',
        sessionsRevoked: out.sessionsRevoked,
        apiTokensRevoked: out.apiTokensRevoked,
      },
    });
    return { ...out, changed: true };
  }

  listUsers(q: { q?: string; page: number; limit: number }) {
    return this.store.listUsers(q);
  }

  async adminUpdateUser(
    actor: Principal,
    id: string,
    patch: { role?: Role; status?: UserStatus },
    meta: { ip?: string | null },
  ): Promise<UserRecord> {
    const target = await this.store.findUserById(id);
    if (!target) throw notFound('User');
    if (target.id === actor.user.id && (patch.role === 'user' || patch.status === 'suspended')) {
      throw conflict('You cannot demote or suspend yourself');
    }
    // A role change (either way) revokes every session and API token of the user, in the same
    // transaction: credentials issued under one role never carry another. Suspension ends the
    // sessions; API tokens stop working while the account is suspended.
    const roleChanged = patch.role !== undefined && patch.role !== target.role;
    const suspending = patch.status === 'suspended';
    let out: ({ user: UserRecord } & AccessRevoked) | null;
    if (roleChanged || suspending) {
      out = await this.store.updateUserRevokingAccess(id, patch, {
        reason: roleChanged ? 'role_changed' : 'suspended',
        sessions: true,
        apiTokens: roleChanged,
      });
    } else {
      const user = await this.store.updateUser(id, patch);
      out = user && { user, sessionsRevoked: 0, apiTokensRevoked: 0 };
    }
    if (!out) throw notFound('User');
    await this.audit.record({
      actorId: actor.user.id,
      action: 'admin.user_update',
      targetType: 'user',
      targetId: id,
      ip: meta.ip,
      details: {
        ...patch,
        ...(roleChanged ? { previousRole: target.role } : {}),
        ...(roleChanged || suspending
          ? { sessionsRevoked: out.sessionsRevoked, apiTokensRevoked: out.apiTokensRevoked }
          : {}),
      },
    });
    return out.user;
  }
}
