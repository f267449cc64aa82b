import { REST } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import { createDiscordRouter } from '../bots/discord/discordAdapter.js';
import { DiscordDeliverer } from '../bots/discord/discordDeliverer.js';
import { type ChatWiring, integrationRoute, type PlatformInputs } from './wiring.js';

/**
 * Discord: on with the application's public key. The bot token adds channel messages after the
 * 15-minute token.
 */
export function wireDiscord(p: PlatformInputs, w: ChatWiring): void {
  const { env } = p;
  if (!env.DISCORD_PUBLIC_KEY) {
    w.status.push('discord off');
    return;
  }
  if (p.roles.api) w.rawRoutes.push(discordRoute(p, env.DISCORD_PUBLIC_KEY));
  const botRest = env.DISCORD_BOT_TOKEN ? discordRest(p).setToken(env.DISCORD_BOT_TOKEN) : undefined;
  registerDiscordDeliverer(p, botRest);
  if (botRest) addDiscordSenders(p, botRest, w);
  w.status.push(
    `discord on${env.DISCORD_BOT_TOKEN ? '' : ' (no DISCORD_BOT_TOKEN: no results after 15 minutes)'}`,
  );
}

function discordRest(p: PlatformInputs, extra: Partial<ConstructorParameters<typeof REST>[0]> = {}): REST {
  return new REST({ api: p.env.DISCORD_API_URL, version: '10', retries: 0, timeout: 10_000, ...extra });
}

function discordRoute(p: PlatformInputs, publicKey: string) {
  const router = createDiscordRouter({ publicKey, handler: p.handler, logger: p.logger });
  return integrationRoute('/api/integrations/discord', router, {
    path: '/api/integrations/discord/interactions',
    summary: 'Discord interactions (commands and buttons)',
    description:
      'Ed25519 over timestamp + raw body (X-Signature-Ed25519, X-Signature-Timestamp within 5 minutes).',
    contentType: 'application/json',
  });
}

function registerDiscordDeliverer(p: PlatformInputs, botRest: REST | undefined): void {
  const rest = discordRest(p);
  // Live edits learn of a 429 (and wait its Retry-After) instead of the client retrying a stale edit.
  const liveRest = discordRest(p, { rejectOnRateLimit: () => true });
  p.deliverers.register(
    new DiscordDeliverer({
      origins: p.origins,
      rest,
      liveRest,
      botRest,
      publicUrl: p.publicUrl,
      logger: p.log,
      live: p.live,
    }),
  );
}

function addDiscordSenders(p: PlatformInputs, botRest: REST, w: ChatWiring): void {
  w.dmSenders.discord = async (userId, text) => {
    const channel = (await botRest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as {
      id: string;
    };
    await botRest.post(Routes.channelMessages(channel.id), {
      body: { content: text.slice(0, 2000), allowed_mentions: { parse: [] } },
    });
  };
  w.channelSenders.discord = async (channelId, text) => {
    await botRest.post(Routes.channelMessages(channelId), {
      body: { content: text.slice(0, 2000), allowed_mentions: { parse: [] } },
    });
  };
  // Uploads go through Node's fetch: the FormData @discordjs/rest builds is Node's global one,
  // which its bundled undici `request` refuses ("must be a FormData created by this undici").
  const uploadRest = discordRest(p, { makeRequest: fetch as never }).setToken(
    p.env.DISCORD_BOT_TOKEN as string,
  );
  w.channelImageSenders.discord = async (channelId, image) => {
    await uploadRest.post(Routes.channelMessages(channelId), {
      body: {
        content: image.title.slice(0, 2000),
        allowed_mentions: { parse: [] },
        attachments: [{ id: 0, filename: image.filename, description: image.title.slice(0, 1024) }],
      },
      files: [{ name: image.filename, data: image.png, contentType: 'image/png' }],
    });
  };
}
