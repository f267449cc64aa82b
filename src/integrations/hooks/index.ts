import type { Integration } from '../integration.js';
import { inboundHookRoutes } from './inboundRoutes.js';
import {
  registerInboundHookDocs,
  taskCallbackRoutes,
  type WebhookRouteDeps,
  webhookAdminRoutes,
} from './routes.js';

/**
 * Generic signed webhooks, always on: inbound hooks (POST /api/webhooks/in/:hookId) and their
 * management API, and the signed callbacks' API (their deliveries are the deliver-webhook job,
 * started by the worker role through composeWebhooks).
 */
export function hooksIntegration(
  deps: WebhookRouteDeps & {
    /** OUTBOUND_ALLOW_PRIVATE, for the banner. */
    allowPrivate: boolean;
  },
): Integration {
  const { allowPrivate, ...routeDeps } = deps;
  return {
    name: 'hooks',
    status: `generic inbound hooks on, callbacks ${allowPrivate ? 'may reach private addresses' : 'to public addresses only'}`,
    routes: [
      { path: '/api', create: (d) => webhookAdminRoutes(d, routeDeps) },
      { path: '/api', create: (d) => taskCallbackRoutes(d, routeDeps) },
    ],
    rawRoutes: [
      {
        path: '/api/webhooks/in',
        create: (d) => {
          registerInboundHookDocs(d.openapi);
          return inboundHookRoutes({ hooks: routeDeps.hooks });
        },
      },
    ],
  };
}
