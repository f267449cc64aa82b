import { REST } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import {
  type ChatPlatformInputs,
  type ChatSenders,
  type Integration,
  integrationRoute,
} from '../integration.js';
import { createDiscordRouter } from './discordAdapter.js';
import { DiscordDeliverer } from './discordDeliverer.js';

/**
 * Discord: on with the application's public key. The bot token adds channel messages after the
 * 15-minute token.
 */
export function discordIntegration(p: ChatPlatformInputs): Integration {
  const { env } = p;
  if (!env.DISCORD_PUBLIC_KEY) return { name: 'discord', status: 'discord off' };
  const botRest = env.DISCORD_BOT_TOKEN ? discordRest(p).setToken(env.DISCORD_BOT_TOKEN) : undefined;
  return {
    name: 'discord',
    status: `discord on${env.DISCORD_BOT_TOKEN ? '' : ' (no DISCORD_BOT_TOKEN: no results after 15 minutes)'}`,
    ...(p.roles.api ? { rawRoutes: [discordRoute(p, env.DISCORD_PUBLIC_KEY)] } : {}),
    deliverer: discordDeliverer(p, botRest),
    ...(botRest ? { senders: discordSenders(p, botRest) } : {}),
  };
}

function discordRest(
  p: ChatPlatformInputs,
  extra: Partial<ConstructorParameters<typeof REST>[0]> = {},
): REST {
  return new REST({ api: p.env.DISCORD_API_URL, version: '10', retries: 0, timeout: 10_000, ...extra });
}

function discordRoute(p: ChatPlatformInputs, publicKey: string) {
  const router = createDiscordRouter({ publicKey, handler: p.handler, logger: p.logger });
  return integrationRoute('/api/integrations/discord', router, {
    path: '/api/integrations/discord/interactions',
    summary: 'Discord interactions (commands and buttons)',
    description:
      'Ed25519 over timestamp + raw body (X-Signature-Ed25519, X-Signature-Timestamp within 5 minutes).',
    contentType: 'application/json',
  });
}

function discordDeliverer(p: ChatPlatformInputs, botRest: REST | undefined): DiscordDeliverer {
  const rest = discordRest(p);
  // Live edits learn of a 429 (and wait its Retry-After) instead of the client retrying a stale edit.
  const liveRest = discordRest(p, { rejectOnRateLimit: () => true });
  return new DiscordDeliverer({
    origins: p.origins,
    rest,
    liveRest,
    botRest,
    publicUrl: p.publicUrl,
    logger: p.log,
    live: p.live,
  });
}

function discordSenders(p: ChatPlatformInputs, botRest: REST): ChatSenders {
  // Uploads go through Node's fetch: the FormData @discordjs/rest builds is Node's global one,
  // which its bundled undici `request` refuses ("must be a FormData created by this undici").
  const uploadRest = discordRest(p, { makeRequest: fetch as never }).setToken(
    p.env.DISCORD_BOT_TOKEN as string,
  );
  return {
    dm: async (userId, text) => {
      const channel = (await botRest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as {
        id: string;
      };
      await botRest.post(Routes.channelMessages(channel.id), {
        body: { content: text.slice(0, 2000), allowed_mentions: { parse: [] } },
      });
    },
    channel: async (channelId, text) => {
      await botRest.post(Routes.channelMessages(channelId), {
        body: { content: text.slice(0, 2000), allowed_mentions: { parse: [] } },
      });
    },
    channelImage: async (channelId, image) => {
      await uploadRest.post(Routes.channelMessages(channelId), {
        body: {
          content: image.title.slice(0, 2000),
          allowed_mentions: { parse: [] },
          attachments: [{ id: 0, filename: image.filename, description: image.title.slice(0, 1024) }],
        },
        files: [{ name: image.filename, data: image.png, contentType: 'image/png' }],
      });
    },
  };
}
