import type { AuditSink } from '../audit/audit.js';
import { AppError, conflict, notFound } from '../errors.js';
import type { SettingsStore } from '../settings/settings.js';
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
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
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
  updateUser(
    id: string,
    patch: Partial<Pick<UserRecord, 'username' | 'email' | 'passwordHash' | 'role' | 'status' | 'lastLogin'>>,
  ): Promise<UserRecord | null>;
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
}

export interface AuthResult {
  user: UserRecord;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export const API_TOKEN_PREFIX = 'sy_pat_';
export const REFRESH_TOKEN_PREFIX = 'sy_rt_';

export class AuthService {
  constructor(
    private readonly store: AuthStore,
    private readonly tokens: AccessTokens,
    private readonly audit: AuditSink,
    private readonly settings: SettingsStore,
    private readonly opts: { refreshTtlDays: number },
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

  async register(
    input: { username: string; email: string; password: string },
    meta: { ip?: string | null; userAgent?: string | null },
  ): Promise<AuthResult> {
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
    await this.audit.record({
      actorId: user.id,
      action: 'user.register',
      targetType: 'user',
      targetId: user.id,
      ip: meta.ip,
    });
    const updated = (await this.store.updateUser(user.id, { lastLogin: new Date() })) ?? user;
    return this.issue(updated, meta);
  }

  async login(
    input: { username?: string; email?: string; password: string },
    meta: { ip?: string | null; userAgent?: string | null },
  ): Promise<AuthResult> {
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
      await this.audit.record({
        actorId: user.id,
        action: 'auth.login_suspended',
        targetType: 'user',
        targetId: user.id,
        ip: meta.ip,
      });
      throw new AppError('account_suspended', 'This account is suspended; contact an admin');
    }
    const updated = (await this.store.updateUser(user.id, { lastLogin: new Date() })) ?? user;
    await this.audit.record({
      actorId: user.id,
      action: 'auth.login',
      targetType: 'user',
      targetId: user.id,
      ip: meta.ip,
    });
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

  /** Resolves a bearer token (JWT access token or personal API token) to a principal, or throws 401. */
  async authenticate(bearer: string): Promise<Principal> {
    if (bearer.startsWith(API_TOKEN_PREFIX)) {
      const tok = await this.store.useApiToken(hashToken(bearer));
      if (!tok) throw new AppError('unauthorized', 'Invalid, expired or revoked API token');
      const user = await this.store.findUserById(tok.userId);
      if (user?.status !== 'active') throw new AppError('unauthorized', 'This account cannot use the API');
      return { user, apiTokenId: tok.id };
    }
    const claims = this.tokens.verify(bearer);
    const session = await this.store.findSession(claims.sid);
    if (!session || session.revokedAt || session.userId !== claims.sub)
      throw new AppError('unauthorized', 'This session has ended; sign in again');
    const user = await this.store.findUserById(claims.sub);
    if (user?.status !== 'active') throw new AppError('unauthorized', 'This account cannot use the API');
    return { user, sessionId: session.id };
  }

  async updateMe(
    p: Principal,
    input: { username?: string; email?: string; password?: string; currentPassword?: string },
    meta: { ip?: string | null },
  ): Promise<UserRecord> {
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
    const patch: Parameters<AuthStore['updateUser']>[1] = {};
    if (input.username !== undefined) patch.username = input.username;
    if (input.email !== undefined) patch.email = input.email;
    if (input.password !== undefined) patch.passwordHash = await hashPassword(input.password);
    const user = await this.store.updateUser(p.user.id, patch);
    if (!user) throw notFound('User');
    await this.audit.record({
      actorId: p.user.id,
      action: 'user.update_self',
      targetType: 'user',
      targetId: p.user.id,
      ip: meta.ip,
      details: { fields: Object.keys(patch).map((k) => (k === 'passwordHash' ? 'password' : k)) },
    });
    return user;
  }

  async createApiToken(
    p: Principal,
    input: { name: string; expiresInDays?: number },
    meta: { ip?: string | null },
  ) {
    const token = randomToken(API_TOKEN_PREFIX);
    const rec = await this.store.createApiToken({
      userId: p.user.id,
      name: input.name,
      tokenHash: hashToken(token),
      expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
    });
    await this.audit.record({
      actorId: p.user.id,
      action: 'api_token.create',
      targetType: 'api_token',
      targetId: rec.id,
      ip: meta.ip,
      details: { name: input.name },
    });
    return { ...rec, token };
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

  /** Creates the first admin (start-up from ADMIN_* variables, or the CLI). Idempotent per username. */
  async ensureAdmin(
    input: { username: string; email: string; password: string },
    opts: { onlyIfNoAdmin: boolean },
  ): Promise<{ created: boolean; user: UserRecord }> {
    if (opts.onlyIfNoAdmin && (await this.store.countAdmins()) > 0) {
      const existing = await this.store.findUserByLogin({ username: input.username });
      return { created: false, user: existing as UserRecord };
    }
    const existing =
      (await this.store.findUserByLogin({ username: input.username })) ??
      (await this.store.findUserByLogin({ email: input.email }));
    if (existing) {
      const user = (await this.store.updateUser(existing.id, {
        role: 'admin',
        status: 'active',
        passwordHash: await hashPassword(input.password),
      })) as UserRecord;
      await this.audit.record({
        actorId: null,
        action: 'user.promote_admin',
        targetType: 'user',
        targetId: user.id,
      });
      return { created: false, user };
    }
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
    return { created: true, user };
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
    const user = await this.store.updateUser(id, patch);
    if (!user) throw notFound('User');
    if (patch.status === 'suspended' || (patch.role && patch.role !== target.role)) {
      await this.store.revokeUserSessions(id, patch.status === 'suspended' ? 'suspended' : 'role_changed');
    }
    await this.audit.record({
      actorId: actor.user.id,
      action: 'admin.user_update',
      targetType: 'user',
      targetId: id,
      ip: meta.ip,
      details: patch,
    });
    return user;
  }
}
