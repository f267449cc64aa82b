import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { type NextFunction, type Request, type Response, Router } from 'express';
import type { z } from 'zod';
import type { Actor } from '../core/actor.js';
import type { Principal } from '../core/auth/authService.js';
import { AppError, forbidden, unauthorized } from '../core/errors.js';
import { errorResponse } from './openapi.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Auth = 'none' | 'user' | 'admin' | 'optional';

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  summary: string;
  /** Stable OpenAPI operationId; derived from the method and path when omitted (src/api/operationId.ts). */
  operationId?: string;
  description?: string;
  tags?: string[];
  auth: Auth;
  params?: P;
  query?: Q;
  body?: B;
  /** Success responses: status → description and optional schema (JSON), or a raw content type. */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  /** Extra error statuses this route may answer, for the docs. */
  errors?: number[];
  /** Extra middleware (e.g. a stricter rate limit) run before validation. */
  before?: Array<(req: Request, res: Response, next: NextFunction) => void>;
}

export interface RouteContext<P, Q, B> {
  req: Request;
  res: Response;
  params: P;
  query: Q;
  body: B;
  /** Present when auth is 'user' or 'admin' (and for 'optional' when a token was sent). */
  principal: Principal;
  ip: string | null;
}

/** The signed-in caller as core's one `Actor` (src/core/actor.ts). */
export const actorOf = (ctx: { principal: Principal; ip: string | null }): Actor => ({
  userId: ctx.principal.user.id,
  username: ctx.principal.user.username,
  isAdmin: ctx.principal.user.role === 'admin',
  ip: ctx.ip,
});

const AUTH_TEXT: Record<Auth, string> = {
  none: 'No authentication.',
  optional: 'Works signed out; a bearer token (access token or personal API token) adds the caller.',
  user: "Needs a bearer token (access token or personal API token). Another user's objects answer 404.",
  admin: 'Needs a bearer token of an admin; other users get 403.',
};
const describeAuth = (auth: Auth) => AUTH_TEXT[auth];

const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export function fieldErrors(error: z.ZodError, where: string) {
  return error.issues.map((i) => ({
    field: [where, ...i.path.map(String)].join('.'),
    message: i.message,
    code: i.code,
  }));
}

/**
 * A router whose routes validate with zod, enforce auth, and describe themselves in OpenAPI from
 * the same schemas. Handlers return the JSON body (sent with the first declared status) or send
 * the response themselves and return undefined.
 */
export function createRouteBuilder(registry: OpenAPIRegistry, base: string) {
  const router = Router();

  function add<
    P extends z.ZodType = z.ZodType,
    Q extends z.ZodType = z.ZodType,
    B extends z.ZodType = z.ZodType,
  >(
    method: Method,
    path: string,
    spec: RouteSpec<P, Q, B>,
    handler: (ctx: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>) => unknown | Promise<unknown>,
  ) {
    const responses: RouteConfig['responses'] = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      responses[Number(status)] = r.schema
        ? {
            description: r.description,
            content: { [r.contentType ?? 'application/json']: { schema: r.schema } },
          }
        : r.contentType
          ? {
              description: r.description,
              content: { [r.contentType]: { schema: { type: 'string', format: 'binary' } } },
            }
          : { description: r.description };
    }
    const errorStatuses = new Set<number>([...(spec.errors ?? []), 400, 500]);
    if (spec.auth === 'user' || spec.auth === 'admin') errorStatuses.add(401);
    if (spec.auth === 'admin') errorStatuses.add(403);
    if (spec.params) errorStatuses.add(404);
    if (spec.body) errorStatuses.add(413).add(415);
    for (const s of errorStatuses) {
      responses[s] ??= errorResponse('Error');
    }
    registry.registerPath({
      method,
      path: toOpenApiPath(base + path),
      operationId: spec.operationId,
      summary: spec.summary,
      description: spec.description ?? describeAuth(spec.auth),
      tags: spec.tags,
      security: spec.auth === 'none' ? [] : [{ bearer: [] }],
      request: {
        params: spec.params as never,
        query: spec.query as never,
        body: spec.body
          ? { content: { 'application/json': { schema: spec.body } }, required: true }
          : undefined,
      },
      responses,
    });

    const firstStatus = Number(Object.keys(spec.responses)[0] ?? 200);
    router[method](path, ...(spec.before ?? []), async (req: Request, res: Response, next: NextFunction) => {
      try {
        const principal = req.principal;
        if ((spec.auth === 'user' || spec.auth === 'admin') && !principal) throw unauthorized();
        if (spec.auth === 'admin' && principal?.user.role !== 'admin') throw forbidden('This needs an admin');
        const parse = <T extends z.ZodType>(schema: T | undefined, value: unknown, where: string) => {
          if (!schema) return value;
          const r = schema.safeParse(value);
          if (!r.success)
            throw new AppError('validation_failed', `Invalid ${where}`, {
              details: fieldErrors(r.error, where),
            });
          return r.data;
        };
        const params = parse(spec.params, req.params, 'params');
        const query = parse(spec.query, req.query, 'query');
        // A request with no body at all is treated as `{}` (e.g. POST …/share with every field optional);
        // a body in another format is refused.
        const sentBody =
          req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
        if (
          spec.body &&
          sentBody &&
          (req.body === undefined || req.body === null) &&
          !req.is('application/json')
        ) {
          throw new AppError(
            'unsupported_media_type',
            'Send the body as JSON with Content-Type: application/json',
          );
        }
        const body = parse(spec.body, req.body ?? {}, 'body');
        const out = await handler({
          req,
          res,
          params: params as never,
          query: query as never,
          body: body as never,
          principal: principal as Principal,
          ip: req.ip ?? null,
        });
        if (res.headersSent) return;
        if (out === undefined) res.status(firstStatus === 200 ? 204 : firstStatus).end();
        else res.status(firstStatus).json(out);
      } catch (e) {
        next(e);
      }
    });
  }

  /** One HTTP method's `add`, with the schemas' types inferred for the handler. */
  const verb =
    (method: Method) =>
    <P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
      path: string,
      spec: RouteSpec<P, Q, B>,
      h: (ctx: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>) => unknown,
    ) =>
      add(method, path, spec, h);

  return {
    router,
    get: verb('get'),
    post: verb('post'),
    put: verb('put'),
    patch: verb('patch'),
    delete: verb('delete'),
  };
}

export type RouteBuilder = ReturnType<typeof createRouteBuilder>;
