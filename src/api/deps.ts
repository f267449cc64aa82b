import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import type { Registry } from 'prom-client';
import type { AuthService } from '../core/auth/authService.js';
import type { SettingsStore } from '../core/settings/settings.js';
import type { Logger } from '../logger.js';
import type { createAuditStore } from '../models/auditStore.js';

export interface ApiConfig {
  bodyLimit: string;
  corsOrigins: string[];
  rateLimitPerMinute: number;
  authRateLimitPerMinute: number;
  metricsToken?: string;
  /** Base URL for links, without a trailing slash (`publicUrlOf`, src/env.ts); read on each call. */
  publicUrl: () => string;
  /** Built portal (web/dist) to serve at /, when present. */
  webDist?: string;
}

/** Everything the HTTP adapter needs, built by the composition root (src/main.ts). */
export interface ApiDeps {
  logger: Logger;
  config: ApiConfig;
  openapi: OpenAPIRegistry;
  metrics: Registry;
  auth: AuthService;
  audit: ReturnType<typeof createAuditStore>;
  settings: SettingsStore;
  readiness: () => Promise<Record<string, boolean>>;
  /**
   * Resource routers from other areas, mounted after the JSON parser and authentication.
   * Each is a factory so it can register its OpenAPI paths on deps.openapi.
   */
  routes?: RouteFactory[];
  /**
   * Routers with their own authentication, parser and error shape (the OpenAI-compatible gateway at
   * /v1): mounted first, before helmet, sessions and the /api rate limit.
   */
  earlyRoutes?: RouteFactory[];
  /** Routers that verify signatures over raw bodies (chat, GitHub, inbound hooks): mounted before any body parser. */
  rawRoutes?: RouteFactory[];
}

/** A router an area contributes, mounted at `path`; a factory so it can register its OpenAPI paths on deps.openapi. */
export type RouteFactory = {
  path: string;
  create: (deps: ApiDeps) => Router;
  /**
   * A lean node:http handler in front of Express for this router's hot requests (the gateway's
   * POST /v1/chat/completions and /v1/embeddings): it answers a request exactly as the router would
   * and returns true, or returns false before touching it and Express takes it.
   */
  fast?: (deps: ApiDeps) => FastHandler;
};

/** Takes a request (true) or leaves it untouched for Express (false). */
export type FastHandler = (req: IncomingMessage, res: ServerResponse) => boolean;
