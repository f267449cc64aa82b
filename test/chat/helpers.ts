import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { fallbackBotInfo } from '../../src/integrations/telegram/telegramAdapter.js';
import type { TestApp } from '../helpers/app.js';
import { sql } from '../helpers/sql.js';
import { type RecordedRequest, type StubServer, sendJson } from '../helpers/stubServer.js';

export { sql } from '../helpers/sql.js';
export { waitFor } from '../helpers/wait.js';
export { setMockConfig } from '../tasks/helpers.js';

export const countTasks = async (app: TestApp, source?: string) =>
  Number(
    (
      await sql<{ n: string }>(
        app,
        `SELECT count(*) AS n FROM tasks${source ? ' WHERE source = $1' : ''}`,
        source ? [source] : [],
      )
    )[0]!.n,
  );

export const nowSeconds = () => Math.floor(Date.now() / 1000);

// ---------- Slack ----------

export const SLACK_SECRET = 'slack-signing-secret-for-tests';

/** What Slack sends: v0 HMAC-SHA256 over `v0:<ts>:<raw body>`. */
export function slackHeaders(
  body: string,
  opts: { ts?: number; secret?: string; contentType?: string } = {},
) {
  const ts = opts.ts ?? nowSeconds();
  const sig = `v0=${createHmac('sha256', opts.secret ?? SLACK_SECRET)
    .update(`v0:${ts}:${body}`)
    .digest('hex')}`;
  return {
    'content-type': opts.contentType ?? 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': sig,
  };
}

let trigger = 0;
export function slashCommand(
  stubUrl: string,
  text: string,
  o: { command?: string; user?: string; team?: string; triggerId?: string; channel?: string } = {},
) {
  const triggerId = o.triggerId ?? `${Date.now()}.${++trigger}.abcdef`;
  return new URLSearchParams({
    token: 'legacy',
    team_id: o.team ?? 'T1',
    team_domain: 'acme',
    channel_id: o.channel ?? 'C123',
    channel_name: 'general',
    user_id: o.user ?? 'U1',
    user_name: 'alice',
    command: o.command ?? '/sy',
    text,
    api_app_id: 'A1',
    is_enterprise_install: 'false',
    response_url: `${stubUrl}/response_url/${triggerId}`,
    trigger_id: triggerId,
  }).toString();
}

export function blockAction(
  stubUrl: string,
  action: 'regenerate' | 'share' | 'cancel' | 'approve' | 'reject' | 'run' | 'drop',
  taskId: string,
  o: { user?: string; team?: string } = {},
) {
  const triggerId = `${Date.now()}.${++trigger}.action`;
  const payload = {
    type: 'block_actions',
    team: { id: o.team ?? 'T1', domain: 'acme' },
    user: { id: o.user ?? 'U1', username: 'alice', team_id: o.team ?? 'T1' },
    api_app_id: 'A1',
    token: 'legacy',
    trigger_id: triggerId,
    response_url: `${stubUrl}/response_url/${triggerId}`,
    channel: { id: 'C123', name: 'general' },
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C123' },
    message: { type: 'message', ts: '1700000000.000100', text: 'x' },
    actions: [
      {
        type: 'button',
        action_id: `sy_${action}`,
        block_id: 'b1',
        value: taskId,
        action_ts: '1700000001.000200',
        text: { type: 'plain_text', text: action },
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Slack Web API + response_url stub: records everything, answers like Slack. */
export function slackStubHandler(stub: () => StubServer) {
  return (r: RecordedRequest, res: import('node:http').ServerResponse) => {
    void stub;
    if (r.path === '/api/auth.test')
      return sendJson(res, 200, { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1' });
    if (r.path === '/api/chat.postMessage' || r.path === '/api/chat.postEphemeral') {
      return sendJson(res, 200, { ok: true, channel: 'C123', ts: `${Date.now() / 1000}` });
    }
    if (r.path === '/api/chat.update') {
      const f = Object.fromEntries(new URLSearchParams(r.body));
      return sendJson(res, 200, { ok: true, channel: f.channel, ts: f.ts });
    }
    if (r.path.startsWith('/response_url/')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
  };
}

/** Text of every section block in a Slack JSON or form payload. */
export function slackText(r: RecordedRequest): string {
  const body = r.headers['content-type']?.includes('json')
    ? r.json()
    : Object.fromEntries(new URLSearchParams(r.body));
  const blocks = typeof body.blocks === 'string' ? JSON.parse(body.blocks) : (body.blocks ?? []);
  return blocks
    .filter((b: { type: string }) => b.type === 'section')
    .map((b: { text: { text: string } }) => b.text.text)
    .join('\n');
}

// ---------- Discord ----------

export function discordKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const hex = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
  return {
    publicKeyHex: hex,
    headers(body: string, ts = String(nowSeconds()), key = privateKey) {
      return {
        'content-type': 'application/json',
        'x-signature-ed25519': sign(null, Buffer.from(ts + body), key).toString('hex'),
        'x-signature-timestamp': ts,
      };
    },
  };
}

export const DISCORD_APP_ID = '111111111111111111';
let interactionSeq = 0;

export function discordCommand(
  name: string,
  options: Record<string, string> = {},
  o: { id?: string; user?: string; token?: string; channel?: string } = {},
) {
  const id = o.id ?? `9${Date.now()}${++interactionSeq}`;
  return {
    id,
    application_id: DISCORD_APP_ID,
    type: 2,
    token: o.token ?? `itoken-${id}`,
    version: 1,
    guild_id: 'G1',
    channel_id: o.channel ?? 'CH1',
    member: { user: { id: o.user ?? 'DU1', username: 'alice', global_name: 'Alice' }, roles: [] },
    data: {
      id: '333',
      name,
      type: 1,
      options: Object.entries(options).map(([k, v]) => ({ name: k, type: 3, value: v })),
    },
  };
}

export function discordButton(customId: string, o: { user?: string; token?: string } = {}) {
  const id = `8${Date.now()}${++interactionSeq}`;
  return {
    id,
    application_id: DISCORD_APP_ID,
    type: 3,
    token: o.token ?? `itoken-${id}`,
    version: 1,
    guild_id: 'G1',
    channel_id: 'CH1',
    member: { user: { id: o.user ?? 'DU1', username: 'alice' }, roles: [] },
    message: { id: 'M1', channel_id: 'CH1' },
    data: { custom_id: customId, component_type: 2 },
  };
}

// ---------- Telegram ----------

export const TELEGRAM_TOKEN = '123456:TEST-telegram-token-abcdefghijklmnopqrstuv';
export const TELEGRAM_SECRET = 'tg-webhook-secret';
/** What the stub's getMe answers: the adapter's own fallback identity, with a username. */
export const BOT_INFO = { ...fallbackBotInfo(TELEGRAM_TOKEN), username: 'sy_test_bot' };

let updateId = 5000;
let messageId = 100;
export function telegramMessage(
  text: string,
  o: { updateId?: number; userId?: number; chatType?: 'private' | 'group'; chatId?: number } = {},
) {
  const cmd = text.startsWith('/') ? text.split(/\s/)[0]! : null;
  const userId = o.userId ?? 777;
  return {
    update_id: o.updateId ?? ++updateId,
    message: {
      message_id: ++messageId,
      date: nowSeconds(),
      chat:
        o.chatType === 'group'
          ? { id: o.chatId ?? -100, type: 'group', title: 'Team' }
          : { id: o.chatId ?? userId, type: 'private', first_name: 'Alice' },
      from: { id: userId, is_bot: false, first_name: 'Alice', username: 'alice' },
      text,
      ...(cmd ? { entities: [{ type: 'bot_command', offset: 0, length: cmd.length }] } : {}),
    },
  };
}

export function telegramCallback(
  data: string,
  o: { userId?: number; chatId?: number; messageId?: number } = {},
) {
  const userId = o.userId ?? 777;
  return {
    update_id: ++updateId,
    callback_query: {
      id: `cq${updateId}`,
      from: { id: userId, is_bot: false, first_name: 'Alice', username: 'alice' },
      chat_instance: 'ci',
      data,
      message: {
        message_id: o.messageId ?? 42,
        date: nowSeconds(),
        chat: { id: o.chatId ?? userId, type: 'private', first_name: 'Alice' },
        text: 'result',
      },
    },
  };
}

/** Telegram Bot API stub: getMe, sendMessage (increasing message ids), editMessageText, answerCallbackQuery… */
export function telegramStubHandler() {
  let nextId = 1000;
  return (r: RecordedRequest, res: import('node:http').ServerResponse) => {
    const method = r.path.split('/').pop();
    if (!r.path.startsWith(`/bot${TELEGRAM_TOKEN}/`))
      return sendJson(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    switch (method) {
      case 'getMe':
        return sendJson(res, 200, { ok: true, result: BOT_INFO });
      case 'sendMessage': {
        const b = r.json();
        return sendJson(res, 200, {
          ok: true,
          result: {
            message_id: ++nextId,
            date: nowSeconds(),
            chat: { id: b.chat_id, type: 'private' },
            text: b.text,
          },
        });
      }
      case 'editMessageText': {
        const b = r.json();
        return sendJson(res, 200, {
          ok: true,
          result: {
            message_id: b.message_id,
            date: nowSeconds(),
            chat: { id: b.chat_id, type: 'private' },
            text: b.text,
          },
        });
      }
      case 'answerCallbackQuery':
      case 'deleteMessage':
      case 'setWebhook':
      case 'deleteWebhook':
        return sendJson(res, 200, { ok: true, result: true });
      default:
        return sendJson(res, 400, { ok: false, error_code: 400, description: `stub: ${method}` });
    }
  };
}

export const telegramCalls = (stub: StubServer, method: string) =>
  stub.requests.filter((r) => r.path.endsWith(`/${method}`));
