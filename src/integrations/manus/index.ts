import type { Logger } from '../../logger.js';
import type { Integration } from '../integration.js';
import { manusPublicKeySource, manusWebhookRoutes } from './manusRoutes.js';

/**
 * Manus (a provider): its task webhooks at POST /api/integrations/manus/webhook, always mounted.
 * Manus signs them; the public key is fetched with `account`'s API key (the first active Manus
 * account, read by the providers area) and cached.
 */
export function manusIntegration(c: {
  log: Logger;
  account: () => Promise<{ baseUrl: string; apiKey: string } | null>;
}): Integration {
  const publicKey = manusPublicKeySource(c.account);
  return {
    name: 'manus',
    rawRoutes: [
      {
        path: '/api/integrations/manus',
        create: (d) => manusWebhookRoutes({ logger: c.log, publicUrl: d.config.publicUrl, publicKey }),
      },
    ],
  };
}
