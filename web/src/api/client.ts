/**
 * Typed client for every endpoint in API.md, built on openapi-fetch: paths, path and query parameters,
 * request bodies and answers are all checked against schema.d.ts, generated from the server's OpenAPI
 * document (`npm run api:types`); types.ts names the shapes the pages use.
 *
 * Sessions: the access token lives in memory only; the refresh token in sessionStorage (see
 * tokenStore.ts for why). A 401 on an authenticated call triggers one refresh shared by every
 * request that failed at the same time (single flight), then the call is retried once. If the
 * refresh is refused the session ends and listeners are told, so the UI can go to the sign-in page.
 * That logic sits in the fetch openapi-fetch is given (`send`), which also turns any non-2xx answer
 * into a thrown ApiError, so each method below just returns the parsed answer.
 */

import createClient from 'openapi-fetch';
import { filenameFromDisposition } from './contentDisposition';
import { errorFromResponse, networkError } from './errors';
import type { operations, paths } from './schema';
import { type RefreshTokenStore, sessionRefreshStore } from './tokenStore';
import type {
  AuthResult,
  BodyOf,
  ContentListQuery,
  ExportedFile,
  ExportFormat,
  LoginInput,
  QueryOf,
  RegisterInput,
  ResponseOf,
  Settings,
  TaskListQuery,
  TokenPair,
  UpdateMeInput,
} from './types';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the bearer token and refresh on 401 (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  /** Prefix for every path; '' means same origin (the portal is served by the API). */
  baseUrl?: string;
  /** Defaults to the global fetch, looked up at call time. */
  fetch?: typeof fetch;
  refreshStore?: RefreshTokenStore;
}

/** The identity providers the API knows (a sign-in button's `provider`). */
type SsoProvider = operations['postAuthOauthByProviderLink']['parameters']['path']['provider'];

export type SessionListener = (signedIn: boolean) => void;

/** Encode one path segment; ids are opaque strings. */
const seg = (v: string | number) => encodeURIComponent(String(v));

/** `?a=1&b=2` without empty values ('', null, undefined), or '' when nothing is left. */
export function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** `content-type` → `Content-Type`: header names as this client has always sent them. */
const headerName = (k: string) =>
  k.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());

/** The headers of a request as a plain object; Content-Type only when there is a body. */
function plainHeaders(init: HeadersInit | undefined, hasBody: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init).forEach((value, key) => {
    if (key === 'content-type' && !hasBody) return;
    out[headerName(key)] = value;
  });
  return out;
}

/** openapi-fetch's answer once `send` has thrown for every failure: the parsed success body. */
async function dataOf<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, response } = await call;
  if (response.status === 204) return undefined as T;
  return data as T;
}
/** For calls answered 204 No Content: resolves when the call succeeded. */
const done = (call: Promise<unknown>): Promise<void> => call.then(() => undefined);

export class ApiClient {
  private accessToken: string | null = null;
  private refreshing: Promise<string | null> | null = null;
  private readonly listeners = new Set<SessionListener>();
  private readonly baseUrl: string;
  private readonly fetchImpl?: typeof fetch;
  private readonly refreshStore: RefreshTokenStore;
  /** Calls made with the session's bearer token (refreshed on 401). */
  private readonly http: ReturnType<typeof createClient<paths>>;
  /** Calls made without it: sign-in, registration, shared links. */
  private readonly anon: ReturnType<typeof createClient<paths>>;

  constructor(opts: ApiClientOptions = {}) {
    this.baseUrl = opts.baseUrl ?? '';
    this.fetchImpl = opts.fetch;
    this.refreshStore = opts.refreshStore ?? sessionRefreshStore();
    const client = (auth: boolean) =>
      createClient<paths>({
        baseUrl: this.baseUrl,
        headers: { Accept: 'application/json' },
        querySerializer: (q) => buildQuery(q as Query).slice(1),
        fetch: ((input: RequestInfo | URL, init: RequestInit = {}) =>
          this.send(String(input), init, auth)) as typeof fetch,
      });
    this.http = client(true);
    this.anon = client(false);
  }

  // ---------- session plumbing ----------

  /** True when a refresh token is stored, i.e. a session can be resumed. */
  hasSession(): boolean {
    return this.accessToken !== null || this.refreshStore.get() !== null;
  }

  onSessionChange(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setTokens(pair: TokenPair): void {
    this.accessToken = pair.accessToken;
    this.refreshStore.set(pair.refreshToken);
  }

  private signedIn(result: AuthResult): AuthResult {
    this.setTokens(result);
    for (const l of this.listeners) l(true);
    return result;
  }

  /** Forget the tokens locally and tell listeners the session is over. */
  endSession(): void {
    const had = this.hasSession();
    this.accessToken = null;
    this.refreshStore.set(null);
    if (had) for (const l of this.listeners) l(false);
  }

  private doFetch(input: string, init: RequestInit): Promise<Response> {
    const f = this.fetchImpl ?? globalThis.fetch;
    return f(input, init);
  }

  /**
   * Exchange the refresh token for a new pair. Concurrent callers share one request: a second
   * refresh with the same (now spent) token would make the API revoke the whole session.
   * Resolves to the new access token, or null when the session is over.
   */
  refreshAccessToken(): Promise<string | null> {
    if (this.refreshing) return this.refreshing;
    const refreshToken = this.refreshStore.get();
    if (!refreshToken) return Promise.resolve(null);
    this.refreshing = (async () => {
      try {
        let res: Response;
        try {
          res = await this.doFetch(`${this.baseUrl}/api/auth/refresh`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: JSON.stringify({ refreshToken }),
          });
        } catch (e) {
          // Offline: keep the refresh token, it may still be good.
          throw networkError(e);
        }
        if (res.ok) {
          const pair = (await res.json()) as TokenPair;
          this.setTokens(pair);
          return pair.accessToken;
        }
        if (res.status === 400 || res.status === 401 || res.status === 403) {
          this.endSession();
          return null;
        }
        throw await errorFromResponse(res);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /**
   * Send one request: with the bearer token when `auth`, refreshing once on 401. Throws ApiError for
   * any non-2xx answer (network_error when the server cannot be reached); an abort is rethrown as is.
   */
  private async send(url: string, init: RequestInit, auth: boolean): Promise<Response> {
    const headers = plainHeaders(init.headers, init.body !== undefined && init.body !== null);
    const attempt = async (token: string | null): Promise<Response> => {
      try {
        return await this.doFetch(url, {
          ...init,
          headers: auth && token ? { ...headers, Authorization: `Bearer ${token}` } : headers,
        });
      } catch (e) {
        if (e instanceof DOMException && e.name === 'AbortError') throw e;
        throw networkError(e);
      }
    };

    let token = auth ? this.accessToken : null;
    // After a page load only the refresh token is known: get an access token first.
    if (auth && !token && this.refreshStore.get()) token = await this.refreshAccessToken();

    let res = await attempt(token);
    if (res.status === 401 && auth && (token || this.refreshStore.get())) {
      // If another request already refreshed while this one was in flight, just use the new token.
      const next =
        this.accessToken && this.accessToken !== token ? this.accessToken : await this.refreshAccessToken();
      if (next) res = await attempt(next);
    }
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }

  /**
   * Send a request and hand back the Response itself (streams, downloads, text answers); throws
   * ApiError for any non-2xx answer. Typed calls go through openapi-fetch instead.
   */
  raw(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    return this.send(
      `${this.baseUrl}${path}${buildQuery(opts.query)}`,
      {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
      },
      opts.auth ?? true,
    );
  }

  /** A task's live output as a server-sent event stream (read it with lib/liveText.ts). */
  taskEvents(id: string, signal: AbortSignal): Promise<Response> {
    return this.raw('GET', `/api/tasks/${seg(id)}/events`, {
      headers: { Accept: 'text/event-stream' },
      signal,
    });
  }

  // ---------- auth ----------

  async login(input: LoginInput): Promise<AuthResult> {
    return this.signedIn(await dataOf(this.anon.POST('/api/auth/login', { body: input })));
  }

  async register(input: RegisterInput): Promise<AuthResult> {
    return this.signedIn(await dataOf(this.anon.POST('/api/auth/register', { body: input })));
  }

  // ---------- sign-in with an identity provider ----------

  /** The identity providers configured for sign-in (one portal button each). */
  ssoProviders(signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/auth/providers', { signal })).then((r) => r.items);
  }

  /** Where a sign-in button leads: the server redirects on to the provider. */
  ssoStartUrl(provider: string, next?: string): string {
    const q = next && next !== '/' ? `?next=${encodeURIComponent(next)}` : '';
    return `${this.baseUrl}/api/auth/oauth/${seg(provider)}/start${q}`;
  }

  /** Trades the one-time code from the sign-in callback for a session. */
  async exchangeSsoCode(code: string): Promise<AuthResult> {
    return this.signedIn(await dataOf(this.anon.POST('/api/auth/oauth/exchange', { body: { code } })));
  }

  identities(signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/auth/identities', { signal })).then((r) => r.items);
  }
  /** Starts linking another identity; the caller opens the returned URL in this tab. */
  linkIdentity(provider: string, next = '/profile') {
    return dataOf(
      this.http.POST('/api/auth/oauth/{provider}/link', {
        params: { path: { provider: provider as SsoProvider } },
        body: { next },
      }),
    );
  }
  unlinkIdentity(id: string) {
    return done(this.http.DELETE('/api/auth/identities/{id}', { params: { path: { id } } }));
  }

  /** Revoke this session on the server, then forget it locally whatever the server said. */
  async logout(): Promise<void> {
    try {
      if (this.hasSession()) await this.http.POST('/api/auth/logout', {});
    } catch {
      // Already signed out server-side, or offline: forgetting the tokens locally is what matters.
    } finally {
      this.endSession();
    }
  }

  me(signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/auth/me', { signal })).then((r) => r.user);
  }
  updateMe(input: UpdateMeInput) {
    return dataOf(this.http.PUT('/api/auth/me', { body: input })).then((r) => r.user);
  }
  createApiToken(input: BodyOf<'postAuthTokens'>) {
    return dataOf(this.http.POST('/api/auth/tokens', { body: input }));
  }
  listApiTokens(signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/auth/tokens', { signal }));
  }
  revokeApiToken(id: string) {
    return done(this.http.DELETE('/api/auth/tokens/{id}', { params: { path: { id } } }));
  }

  // ---------- tasks ----------

  taskTypes(signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/task-types', { signal }));
  }
  createTask(input: BodyOf<'postTasks'>, idempotencyKey?: string) {
    return dataOf(
      this.http.POST('/api/tasks', {
        body: input,
        headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : undefined,
      }),
    );
  }
  /** What a task would cost (nothing is written): POST /api/tasks/estimate. */
  estimateTask(input: BodyOf<'estimateTask'>, signal?: AbortSignal) {
    return dataOf(this.http.POST('/api/tasks/estimate', { body: input, signal }));
  }
  listTasks(query: TaskListQuery = {}, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/tasks', { params: { query }, signal }));
  }
  getTask(id: string, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/tasks/{id}', { params: { path: { id } }, signal }));
  }
  updateTask(id: string, input: BodyOf<'putTasksById'>) {
    return dataOf(this.http.PUT('/api/tasks/{id}', { params: { path: { id } }, body: input }));
  }
  deleteTask(id: string) {
    return done(this.http.DELETE('/api/tasks/{id}', { params: { path: { id } } }));
  }
  taskStatus(id: string, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/tasks/{id}/status', { params: { path: { id } }, signal }));
  }
  cancelTask(id: string) {
    return dataOf(this.http.POST('/api/tasks/{id}/cancel', { params: { path: { id } } }));
  }
  /** A task awaiting approval (an `approve` budget): approve (it is queued) or reject (it is cancelled). */
  approveTask(id: string) {
    return dataOf(this.http.POST('/api/tasks/{id}/approve', { params: { path: { id } } }));
  }
  rejectTask(id: string) {
    return dataOf(this.http.POST('/api/tasks/{id}/reject', { params: { path: { id } } }));
  }
  taskRouting(id: string, signal?: AbortSignal): Promise<ResponseOf<'getTasksByIdRouting'> | null> {
    return dataOf(this.http.GET('/api/tasks/{id}/routing', { params: { path: { id } }, signal }));
  }

  // ---------- content ----------

  listContent(query: ContentListQuery = {}, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/content', { params: { query }, signal }));
  }
  getContent(id: string, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/content/{id}', { params: { path: { id } }, signal }));
  }
  getContentVersion(id: string, version: number, signal?: AbortSignal) {
    return dataOf(
      this.http.GET('/api/content/{id}/versions/{version}', { params: { path: { id, version } }, signal }),
    );
  }
  /** The answer's shape is normalised by lib/diff.ts. May be JSON or text. */
  async contentDiff(id: string, from: number, to: number, signal?: AbortSignal): Promise<unknown> {
    const res = await this.raw('GET', `/api/content/${seg(id)}/diff`, { query: { from, to }, signal });
    const type = res.headers.get('content-type') ?? '';
    return type.includes('json') ? res.json() : res.text();
  }
  updateContent(id: string, input: BodyOf<'putContentById'>) {
    return dataOf(this.http.PUT('/api/content/{id}', { params: { path: { id } }, body: input }));
  }
  deleteContent(id: string) {
    return done(this.http.DELETE('/api/content/{id}', { params: { path: { id } } }));
  }
  restoreContent(id: string, version: number) {
    return dataOf(
      this.http.POST('/api/content/{id}/restore', { params: { path: { id } }, body: { version } }),
    );
  }
  regenerateContent(id: string, providerId?: string) {
    return dataOf(
      this.http.POST('/api/content/{id}/regenerate', {
        params: { path: { id } },
        body: providerId ? { providerId } : {},
      }),
    );
  }
  async exportContent(id: string, format: ExportFormat, version?: number): Promise<ExportedFile> {
    const { data: blob, response } = await this.http.POST('/api/content/{id}/export', {
      params: { path: { id } },
      body: version === undefined ? { format } : { format, version },
      headers: { Accept: '*/*' },
      parseAs: 'blob',
    });
    const file = blob as unknown as Blob;
    const ext = { markdown: 'md', html: 'html', txt: 'txt', json: 'json', pdf: 'pdf', docx: 'docx' }[format];
    return {
      blob: file,
      filename: filenameFromDisposition(response.headers.get('content-disposition'), `content.${ext}`),
      contentType: response.headers.get('content-type') ?? file.type,
    };
  }
  shareContent(id: string, input: BodyOf<'postContentByIdShare'> = {}) {
    return dataOf(this.http.POST('/api/content/{id}/share', { params: { path: { id } }, body: input }));
  }
  listComments(id: string, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/content/{id}/comments', { params: { path: { id } }, signal }));
  }
  addComment(id: string, input: BodyOf<'postContentByIdComments'>) {
    return dataOf(this.http.POST('/api/content/{id}/comments', { params: { path: { id } }, body: input }));
  }
  updateComment(id: string, commentId: string, input: BodyOf<'putContentByIdCommentsByCommentId'>) {
    return dataOf(
      this.http.PUT('/api/content/{id}/comments/{commentId}', {
        params: { path: { id, commentId } },
        body: input,
      }),
    );
  }
  reviewContent(id: string, input: BodyOf<'postContentByIdReview'>) {
    return dataOf(this.http.POST('/api/content/{id}/review', { params: { path: { id } }, body: input }));
  }
  contentActivity(id: string, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/content/{id}/activity', { params: { path: { id } }, signal }));
  }

  // ---------- reports ----------

  usageReport(query: Record<string, string>, signal?: AbortSignal) {
    return dataOf(
      this.http.GET('/api/reports/usage', { params: { query: query as QueryOf<'getReportsUsage'> }, signal }),
    );
  }
  failureReport(query: Record<string, string>, signal?: AbortSignal) {
    return dataOf(
      this.http.GET('/api/reports/failures', {
        params: { query: query as QueryOf<'getReportsFailures'> },
        signal,
      }),
    );
  }
  reportSchedules(signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/reports/schedules', { signal }));
  }
  deleteReportSchedule(id: string) {
    return done(this.http.DELETE('/api/reports/schedules/{id}', { params: { path: { id } } }));
  }
  async usageReportCsv(query: Record<string, string>) {
    const { data } = await this.http.GET('/api/reports/usage', {
      params: { query: { ...query, format: 'csv' } as QueryOf<'getReportsUsage'> },
      parseAs: 'blob',
    });
    return data as unknown as Blob;
  }

  // ---------- spend ----------

  listPrices(signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/prices', { signal }));
  }
  /** Replaces every admin override (send the ones to keep too). */
  replacePriceOverrides(input: BodyOf<'replacePriceOverrides'>) {
    return dataOf(this.http.PUT('/api/admin/prices', { body: input }));
  }
  listBudgets(signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/budgets', { signal }));
  }
  createBudget(input: BodyOf<'createBudget'>) {
    return dataOf(this.http.POST('/api/budgets', { body: input }));
  }
  updateBudget(id: string, input: BodyOf<'updateBudget'>) {
    return dataOf(this.http.PUT('/api/budgets/{id}', { params: { path: { id } }, body: input }));
  }
  deleteBudget(id: string) {
    return done(this.http.DELETE('/api/budgets/{id}', { params: { path: { id } } }));
  }
  budgetForecast(id: string, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/budgets/{id}/forecast', { params: { path: { id } }, signal }));
  }

  // ---------- notifications and sharing ----------

  notifications(query: { unread?: 'true'; limit?: number } = {}, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/notifications', { params: { query }, signal }));
  }
  markNotificationsRead(ids?: string[]) {
    return dataOf(this.http.POST('/api/notifications/read', { body: ids ? { ids } : {} }));
  }
  listShares(id: string, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/content/{id}/shares', { params: { path: { id } }, signal }));
  }
  revokeShare(id: string, shareId: string) {
    return done(
      this.http.DELETE('/api/content/{id}/shares/{shareId}', { params: { path: { id, shareId } } }),
    );
  }
  sharedContent(token: string, signal?: AbortSignal) {
    return dataOf(this.anon.GET('/api/shared/{token}', { params: { path: { token } }, signal }));
  }

  // ---------- providers ----------

  listProviders(signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/providers', { signal }));
  }
  getProvider(id: string, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/providers/{id}', { params: { path: { id } }, signal }));
  }
  providerStatus(id: string, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/providers/{id}/status', { params: { path: { id } }, signal }));
  }
  testProvider(id: string) {
    return dataOf(this.http.POST('/api/providers/{id}/test', { params: { path: { id } } }));
  }
  createProvider(input: BodyOf<'postProviders'>) {
    return dataOf(this.http.POST('/api/providers', { body: input }));
  }
  updateProvider(id: string, input: BodyOf<'putProvidersById'>) {
    return dataOf(this.http.PUT('/api/providers/{id}', { params: { path: { id } }, body: input }));
  }
  deleteProvider(id: string) {
    return done(this.http.DELETE('/api/providers/{id}', { params: { path: { id } } }));
  }
  createAccount(providerId: string, input: BodyOf<'postProvidersByIdAccounts'>) {
    return dataOf(
      this.http.POST('/api/providers/{id}/accounts', { params: { path: { id: providerId } }, body: input }),
    );
  }
  updateAccount(providerId: string, accountId: string, input: BodyOf<'putProvidersByIdAccountsByAccountId'>) {
    return dataOf(
      this.http.PUT('/api/providers/{id}/accounts/{accountId}', {
        params: { path: { id: providerId, accountId } },
        body: input,
      }),
    );
  }
  deleteAccount(providerId: string, accountId: string) {
    return done(
      this.http.DELETE('/api/providers/{id}/accounts/{accountId}', {
        params: { path: { id: providerId, accountId } },
      }),
    );
  }

  // ---------- admin ----------

  listUsers(query: QueryOf<'getAdminUsers'> = {}, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/admin/users', { params: { query }, signal }));
  }
  updateUser(id: string, input: BodyOf<'putAdminUsersById'>) {
    return dataOf(this.http.PUT('/api/admin/users/{id}', { params: { path: { id } }, body: input }));
  }
  stats(since?: string, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/admin/stats', { params: { query: { since } }, signal }));
  }
  auditLog(query: QueryOf<'getAdminLogs'> = {}, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/admin/logs', { params: { query }, signal }));
  }
  settings(signal?: AbortSignal) {
    return dataOf<unknown>(this.http.GET('/api/admin/settings', { signal })).then(normalizeSettings);
  }
  updateSettings(values: Settings) {
    return dataOf<unknown>(
      this.http.POST('/api/admin/settings', { body: values as BodyOf<'postAdminSettings'> }),
    ).then(normalizeSettings);
  }

  // ---------- teams ----------

  listTeams(signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/teams', { signal }));
  }
  createTeam(input: BodyOf<'postTeams'>) {
    return dataOf(this.http.POST('/api/teams', { body: input }));
  }
  getTeam(id: string, signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/teams/{id}', { params: { path: { id } }, signal }));
  }
  createInvite(teamId: string, input: BodyOf<'postTeamsByIdInvites'>) {
    return dataOf(
      this.http.POST('/api/teams/{id}/invites', { params: { path: { id: teamId } }, body: input }),
    );
  }
  acceptInvite(token: string) {
    return dataOf(this.http.POST('/api/invites/{token}/accept', { params: { path: { token } } }));
  }
  setMemberRole(teamId: string, userId: string, input: BodyOf<'putTeamsByIdMembersByUserId'>) {
    return dataOf(
      this.http.PUT('/api/teams/{id}/members/{userId}', {
        params: { path: { id: teamId, userId } },
        body: input,
      }),
    );
  }
  removeMember(teamId: string, userId: string) {
    return done(
      this.http.DELETE('/api/teams/{id}/members/{userId}', { params: { path: { id: teamId, userId } } }),
    );
  }
  addChatWorkspace(teamId: string, input: BodyOf<'postTeamsByIdChatWorkspaces'>) {
    return dataOf(
      this.http.POST('/api/teams/{id}/chat-workspaces', { params: { path: { id: teamId } }, body: input }),
    );
  }
  removeChatWorkspace(teamId: string, workspaceId: string) {
    return done(
      this.http.DELETE('/api/teams/{id}/chat-workspaces/{workspaceId}', {
        params: { path: { id: teamId, workspaceId } },
      }),
    );
  }

  // ---------- account linking ----------

  createLinkCode() {
    return dataOf(this.http.POST('/api/links/codes', {}));
  }
  listLinks(signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/links', { signal }));
  }
  deleteLink(id: string) {
    return done(this.http.DELETE('/api/links/{id}', { params: { path: { id } } }));
  }

  // ---------- inbound webhooks ----------

  listWebhooks(signal?: AbortSignal) {
    return dataOf(this.http.GET('/api/webhooks', { signal }));
  }
  createWebhook(input: BodyOf<'postWebhooks'>) {
    return dataOf(this.http.POST('/api/webhooks', { body: input }));
  }
  deleteWebhook(id: string) {
    return done(this.http.DELETE('/api/webhooks/{id}', { params: { path: { id } } }));
  }
  rotateWebhook(id: string) {
    return dataOf(this.http.POST('/api/webhooks/{id}/rotate', { params: { path: { id } }, body: {} }));
  }
  webhookDeliveries(id: string, query: QueryOf<'getWebhooksByIdDeliveries'> = {}, signal?: AbortSignal) {
    return dataOf(
      this.http.GET('/api/webhooks/{id}/deliveries', { params: { path: { id }, query }, signal }),
    );
  }

  // ---------- health (not in the OpenAPI document) ----------

  async health(signal?: AbortSignal): Promise<{ status: string } | undefined> {
    const res = await this.raw('GET', '/healthz', { auth: false, signal });
    return (res.headers.get('content-type') ?? '').includes('json') ? res.json() : undefined;
  }
}

/**
 * "200 all settings" is not spelled out; accept `{key: value}`, `{settings: {…}}` or
 * `{items: [{key, value}]}` and always hand the UI a flat map.
 */
export function normalizeSettings(body: unknown): Settings {
  if (!body || typeof body !== 'object') return {};
  const b = body as Record<string, unknown>;
  if (Array.isArray(b.items)) {
    const out: Settings = {};
    for (const item of b.items as Array<{ key?: unknown; value?: unknown }>) {
      if (item && typeof item.key === 'string') out[item.key] = item.value as Settings[string];
    }
    return out;
  }
  if (b.settings && typeof b.settings === 'object' && !Array.isArray(b.settings))
    return b.settings as Settings;
  return b as Settings;
}

/** The portal's one client. */
export const api = new ApiClient();
