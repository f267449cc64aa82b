import { z } from 'zod';
import type { ApiDeps, RouteFactory } from '../api/deps.js';
import type { ChatCommandHandler } from '../core/commands/handler.js';
import type { ResultDelivererRegistry } from '../core/tasks/deliverers.js';
import type { LiveFeed } from '../core/tasks/liveStream.js';
import type { Env } from '../env.js';
import type { Logger } from '../logger.js';
import type { createChatOriginStore } from '../models/chatSupportStores.js';
import type { DmPlatform } from '../models/linkedIdentities.js';

/** Posts a PNG to a chat channel (see ChannelImage in core/reports/scheduleService.ts). */
export type ChannelImageSender = (
  channel: string,
  image: { png: Buffer; filename: string; title: string },
) => Promise<void>;

/** What every platform's wiring reads: the configuration and the shared chat services. */
export interface PlatformInputs {
  env: Env;
  /** The process logger (adapters take it as is). */
  logger: Logger;
  /** The chat-scoped child logger. */
  log: Logger;
  handler: ChatCommandHandler;
  origins: ReturnType<typeof createChatOriginStore>;
  deliverers: ResultDelivererRegistry;
  publicUrl: () => string;
  live?: LiveFeed;
  roles: { api: boolean; bots: boolean };
}

/** What the platforms add to, in the order they are wired. */
export interface ChatWiring {
  rawRoutes: RouteFactory[];
  /** One banner entry per platform. */
  status: string[];
  stoppers: Array<() => Promise<void>>;
  /** Direct messages per platform, for notifications (mentions, review requests). */
  dmSenders: Partial<Record<DmPlatform, (platformUserId: string, text: string) => Promise<void>>>;
  /** Posts to a channel per platform, for scheduled reports. */
  channelSenders: Partial<Record<DmPlatform, (channel: string, text: string) => Promise<void>>>;
  /** Posts an image (PNG) to a channel per platform, for scheduled reports' charts. */
  channelImageSenders: Partial<Record<DmPlatform, ChannelImageSender>>;
}

export function emptyWiring(): ChatWiring {
  return {
    rawRoutes: [],
    status: [],
    stoppers: [],
    dmSenders: {},
    channelSenders: {},
    channelImageSenders: {},
  };
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
