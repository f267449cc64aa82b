import { z } from 'zod';
import type { ApiDeps, RouteFactory } from '../api/deps.js';
import type { ChatCommandHandler } from '../core/commands/handler.js';
import type { ChatOriginStore } from '../core/commands/ports.js';
import type { LiveFeed } from '../core/tasks/liveStream.js';
import type { ResultDeliverer } from '../core/tasks/types.js';
import type { Env } from '../env.js';
import type { Logger } from '../logger.js';

/** Every inbound/outbound integration, one folder each under src/integrations/. */
export type IntegrationName = 'slack' | 'discord' | 'telegram' | 'github' | 'hooks' | 'manus';

/** The chat platforms: they take commands, and can send direct messages and channel posts. */
export type ChatPlatform = Extract<IntegrationName, 'slack' | 'discord' | 'telegram'>;

/** Posts a PNG to a chat channel (see ChannelImage in core/reports/scheduleService.ts). */
export type ChannelImageSender = (
  channel: string,
  image: { png: Buffer; filename: string; title: string },
) => Promise<void>;

/** What a chat platform can send on its own (with its bot token), outside any reply. */
export interface ChatSenders {
  /** A direct message to a platform user id, for notifications (mentions, review requests). */
  dm?: (platformUserId: string, text: string) => Promise<void>;
  /** A post to a channel, for scheduled reports. */
  channel?: (channel: string, text: string) => Promise<void>;
  /** An image (PNG) posted to a channel, for scheduled reports' charts. */
  channelImage?: ChannelImageSender;
}

/**
 * One integration, whatever its direction (the shape of Bolt's Receiver: routes in, a deliverer out,
 * start/stop for anything that runs by itself). Each folder's index.ts builds one from the
 * configuration; the composition root (src/start/features.ts) registers the deliverers, src/start/api.ts
 * mounts the routes, the banner prints the statuses and the bots role starts and stops them. An integration whose
 * credentials are missing is still returned, with only its `status` saying it is off.
 */
export interface Integration {
  readonly name: IntegrationName;
  /**
   * The banner entry: on or off, and what a missing setting leaves out. Manus has none: its key is
   * on the banner's providers line.
   */
  readonly status?: string;
  /**
   * Signature-verified endpoints (API role). They read raw bodies, so each is mounted before the JSON
   * body parser at exactly its own path, with its own per-address limit (src/api/app.ts).
   */
  readonly rawRoutes?: RouteFactory[];
  /** JSON API routes (zod-validated, in the OpenAPI document), mounted with the rest of the API. */
  readonly routes?: RouteFactory[];
  /** Delivers the results of tasks that came in through this integration (its task source). */
  readonly deliverer?: ResultDeliverer;
  /** Messages sent outside any reply (chat platforms with a bot token). */
  readonly senders?: ChatSenders;
  /** The bots role: starts what runs by itself (Telegram long polling). */
  start?(): Promise<void>;
  /** Stops what `start` started; safe to call when nothing was. */
  stop?(): Promise<void>;
}

/** What every chat platform's integration is built from: the configuration and the shared chat services. */
export interface ChatPlatformInputs {
  env: Env;
  /** The process logger (adapters take it as is). */
  logger: Logger;
  /** The chat-scoped child logger. */
  log: Logger;
  handler: ChatCommandHandler;
  origins: ChatOriginStore;
  publicUrl: () => string;
  live?: LiveFeed;
  roles: { api: boolean; bots: boolean };
}

/** The signature-verified endpoints in the OpenAPI document (they bypass the zod route builder). */
export function describeIntegration(
  deps: ApiDeps,
  path: string,
  summary: string,
  description: string,
  contentType: string,
) {
  deps.openapi.registerPath({
    method: 'post',
    path,
    summary,
    description,
    tags: ['Inbound integrations'],
    security: [],
    request: { body: { content: { [contentType]: { schema: z.object({}).passthrough() } }, required: true } },
    responses: {
      200: { description: 'Acknowledged (the platform-specific answer)' },
      401: { description: 'Signature, timestamp or secret token missing or wrong' },
    },
  });
}

/** A raw (signature-verified) route mounted at `path`, described in the OpenAPI document as `doc`. */
export function integrationRoute(
  path: string,
  router: ReturnType<RouteFactory['create']>,
  doc: { path: string; summary: string; description: string; contentType: string },
): RouteFactory {
  return {
    path,
    create: (d) => {
      describeIntegration(d, doc.path, doc.summary, doc.description, doc.contentType);
      return router;
    },
  };
}

/** The banner line of a group of integrations: their statuses, in order. */
export function statusLine(integrations: Integration[]): string {
  return integrations.flatMap((i) => (i.status ? [i.status] : [])).join(', ');
}
