import { webApi } from '@slack/bolt';
import {
  type ChatPlatformInputs,
  type ChatSenders,
  type Integration,
  integrationRoute,
} from '../integration.js';
import { boltLogger, createSlackRouter } from './slackAdapter.js';
import { SlackDeliverer } from './slackDeliverer.js';

/**
 * Slack: on with a signing secret. The bot token adds chat.postMessage (results after response_url
 * runs out, mentions).
 */
export function slackIntegration(p: ChatPlatformInputs): Integration {
  const { env } = p;
  if (!env.SLACK_SIGNING_SECRET) return { name: 'slack', status: 'slack off' };
  const web = slackWebClient(p);
  return {
    name: 'slack',
    status: `slack on${env.SLACK_BOT_TOKEN ? '' : ' (no SLACK_BOT_TOKEN: results only through response_url)'}`,
    ...(p.roles.api ? { rawRoutes: [slackRoute(p, env.SLACK_SIGNING_SECRET)] } : {}),
    // With the bot token, replies are also edited live (chat.postMessage, then chat.update) as the answer streams.
    deliverer: new SlackDeliverer({
      origins: p.origins,
      web,
      publicUrl: p.publicUrl,
      logger: p.log,
      live: p.live,
    }),
    ...(web ? { senders: slackSenders(web) } : {}),
  };
}

function slackRoute(p: ChatPlatformInputs, signingSecret: string) {
  const router = createSlackRouter({
    signingSecret,
    botToken: p.env.SLACK_BOT_TOKEN,
    apiUrl: p.env.SLACK_API_URL,
    handler: p.handler,
    logger: p.logger,
  });
  return integrationRoute('/api/integrations/slack', router, {
    path: '/api/integrations/slack/events',
    summary: 'Slack slash commands, interactivity and events (Bolt request URL)',
    description:
      'Signed with the signing secret (X-Slack-Signature, X-Slack-Request-Timestamp within 5 minutes either way).',
    contentType: 'application/x-www-form-urlencoded',
  });
}

function slackWebClient(p: ChatPlatformInputs): webApi.WebClient | undefined {
  if (!p.env.SLACK_BOT_TOKEN) return undefined;
  return new webApi.WebClient(p.env.SLACK_BOT_TOKEN, {
    slackApiUrl: p.env.SLACK_API_URL,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logger: boltLogger(p.logger),
  });
}

function slackSenders(web: webApi.WebClient): ChatSenders {
  // A user id as the channel opens (or reuses) the app's DM with that user.
  const dm = async (userId: string, text: string) => {
    await web.chat.postMessage({ channel: userId, text, unfurl_links: false });
  };
  return {
    dm,
    channel: dm,
    // files.uploadV2: getUploadURLExternal, a POST of the bytes to that URL, completeUploadExternal.
    channelImage: async (channel, image) => {
      await web.filesUploadV2({
        channel_id: channel,
        file: image.png,
        filename: image.filename,
        title: image.title,
        alt_text: image.title,
      });
    },
  };
}
