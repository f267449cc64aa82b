import { webApi } from '@slack/bolt';
import { boltLogger, createSlackRouter } from '../bots/slack/slackAdapter.js';
import { SlackDeliverer } from '../bots/slack/slackDeliverer.js';
import { type ChatWiring, integrationRoute, type PlatformInputs } from './wiring.js';

/**
 * Slack: on with a signing secret. The bot token adds chat.postMessage (results after response_url
 * runs out, mentions).
 */
export function wireSlack(p: PlatformInputs, w: ChatWiring): void {
  const { env } = p;
  if (!env.SLACK_SIGNING_SECRET) {
    w.status.push('slack off');
    return;
  }
  if (p.roles.api) w.rawRoutes.push(slackRoute(p, env.SLACK_SIGNING_SECRET));
  const web = slackWebClient(p);
  // With the bot token, replies are also edited live (chat.postMessage, then chat.update) as the answer streams.
  p.deliverers.register(
    new SlackDeliverer({ origins: p.origins, web, publicUrl: p.publicUrl, logger: p.log, live: p.live }),
  );
  if (web) addSlackSenders(web, w);
  w.status.push(
    `slack on${env.SLACK_BOT_TOKEN ? '' : ' (no SLACK_BOT_TOKEN: results only through response_url)'}`,
  );
}

function slackRoute(p: PlatformInputs, signingSecret: string) {
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

function slackWebClient(p: PlatformInputs): webApi.WebClient | undefined {
  if (!p.env.SLACK_BOT_TOKEN) return undefined;
  return new webApi.WebClient(p.env.SLACK_BOT_TOKEN, {
    slackApiUrl: p.env.SLACK_API_URL,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logger: boltLogger(p.logger),
  });
}

function addSlackSenders(web: webApi.WebClient, w: ChatWiring): void {
  // A user id as the channel opens (or reuses) the app's DM with that user.
  w.dmSenders.slack = async (userId, text) => {
    await web.chat.postMessage({ channel: userId, text, unfurl_links: false });
  };
  w.channelSenders.slack = w.dmSenders.slack;
  // files.uploadV2: getUploadURLExternal, a POST of the bytes to that URL, completeUploadExternal.
  w.channelImageSenders.slack = async (channel, image) => {
    await web.filesUploadV2({
      channel_id: channel,
      file: image.png,
      filename: image.filename,
      title: image.title,
      alt_text: image.title,
    });
  };
}
