import { InteractionResponseType, InteractionType, MessageFlags } from 'discord-api-types/v10';
import express, { type Request, type Response, Router } from 'express';
import {
  buildCommand,
  buildGenerate,
  commandName,
  type ParseResult,
  parseCommand,
} from '../../core/commands/grammar.js';
import type { ChatCommandHandler } from '../../core/commands/handler.js';
import type { ChatIdentityKey } from '../../core/commands/ports.js';
import { type ChatReply, decodeButton } from '../../core/commands/reply.js';
import type { Logger } from '../../logger.js';
import { clip, components, NO_MENTIONS } from './discordMessages.js';
import { discordPublicKey, verifyDiscordRequest } from './discordVerify.js';

/** Where a Discord task's progress and result go (stored as the task's origin). */
export interface DiscordOrigin {
  platform: 'discord';
  applicationId: string;
  /** The interaction token: valid for 15 minutes after interactionAt. */
  token: string;
  interactionAt: number;
  channelId: string | null;
  guildId: string | null;
  /** The deferred response (@original) can be edited with progress and the result. */
  canEdit: boolean;
}

interface DiscordUser {
  id: string;
  username?: string;
  global_name?: string | null;
}

interface Interaction {
  id: string;
  application_id: string;
  type: number;
  token: string;
  guild_id?: string;
  channel_id?: string;
  channel?: { id: string };
  member?: { user?: DiscordUser };
  user?: DiscordUser;
  data?: {
    name?: string;
    custom_id?: string;
    options?: Array<{ name: string; type: number; value?: unknown }>;
  };
}

export interface DiscordAdapterOptions {
  publicKey: string;
  handler: ChatCommandHandler;
  logger: Logger;
  nowSeconds?: () => number;
}

/** Discord's options for an application command, as the same grammar's command. */
export function interactionCommand(data: NonNullable<Interaction['data']>): ParseResult {
  const opt = (n: string) => {
    const v = data.options?.find((o) => o.name === n)?.value;
    return v === undefined || v === null ? undefined : String(v);
  };
  const name = commandName(data.name ?? '');
  if (!name) return parseCommand(data.name ?? '');
  switch (name) {
    case 'generate':
      return buildGenerate({
        prompt: opt('prompt'),
        taskType: opt('type'),
        priority: opt('priority'),
        provider: opt('provider'),
      });
    case 'status':
    case 'cancel':
    case 'share':
      return buildCommand(name, opt('task'));
    case 'link':
      return buildCommand(name, opt('code'));
    case 'approve':
      return buildCommand(name, opt('content'));
    case 'comment':
      return buildCommand(name, `${opt('content') ?? ''} ${opt('text') ?? ''}`);
    default:
      return buildCommand(name);
  }
}

function message(reply: ChatReply) {
  return {
    type: InteractionResponseType.ChannelMessageWithSource,
    data: {
      content: clip(reply.text),
      components: components(reply.buttons),
      allowed_mentions: NO_MENTIONS,
      ...(reply.private ? { flags: MessageFlags.Ephemeral } : {}),
    },
  };
}

/**
 * Largest interaction body read before its Ed25519 signature is checked. Discord publishes no size
 * for interaction payloads; their documented parts are small (message content 2000 characters,
 * embeds 6000 in total, modal text inputs 4000 characters and at most 5 per modal, attachments
 * by URL), so 1 MB covers any of them with their resolved users and members.
 */
export const DISCORD_BODY_LIMIT = '1mb';

/**
 * Discord's HTTP interactions endpoint: Ed25519 over the raw body (and a 5-minute timestamp
 * window), PING → PONG, and commands and buttons handed to the core handler. A command that
 * starts a task is answered with a deferred response (type 5) whose message the deliver-result
 * queue later edits; anything else is answered at once (type 4).
 */
export function createDiscordRouter(opts: DiscordAdapterOptions): Router {
  const key = discordPublicKey(opts.publicKey);
  const log = opts.logger.child({ component: 'discord' });
  const now = opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const router = Router();

  router.post(
    '/interactions',
    express.raw({ type: () => true, limit: DISCORD_BODY_LIMIT }),
    async (req: Request, res: Response) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (
        !verifyDiscordRequest(
          key,
          raw,
          req.get('x-signature-ed25519'),
          req.get('x-signature-timestamp'),
          now(),
        )
      ) {
        res.status(401).type('text/plain').send('invalid request signature');
        return;
      }
      let i: Interaction;
      try {
        i = JSON.parse(raw.toString('utf8')) as Interaction;
        if (!i || typeof i !== 'object') throw new TypeError('not an interaction object');
      } catch {
        res.status(400).type('text/plain').send('invalid JSON');
        return;
      }
      if (i.type === InteractionType.Ping) {
        res.json({ type: InteractionResponseType.Pong });
        return;
      }
      const user = i.member?.user ?? i.user;
      if (!user?.id || !i.data) {
        res.status(400).type('text/plain').send('unsupported interaction');
        return;
      }
      const identity: ChatIdentityKey = {
        platform: 'discord',
        workspaceId: '',
        platformUserId: user.id,
        displayName: user.global_name ?? user.username,
      };
      const origin: DiscordOrigin = {
        platform: 'discord',
        applicationId: i.application_id,
        token: i.token,
        interactionAt: Date.now(),
        channelId: i.channel_id ?? i.channel?.id ?? null,
        guildId: i.guild_id ?? null,
        canEdit: true,
      };
      const delivery = { source: 'discord', id: `interaction:${i.id}` };
      let reply: ChatReply;
      if (i.type === InteractionType.ApplicationCommand) {
        reply = await opts.handler.handle({
          identity,
          parsed: interactionCommand(i.data),
          delivery,
          origin: { ...origin },
          ...(i.guild_id ? { workspace: i.guild_id } : {}),
        });
      } else if (i.type === InteractionType.MessageComponent) {
        const b = decodeButton(i.data.custom_id ?? '');
        if (!b) {
          res.json(message({ private: true, text: 'That button is not one of mine any more.' }));
          return;
        }
        reply = await opts.handler.handleAction({
          identity,
          action: b.action,
          taskId: b.taskId,
          delivery,
          origin: { ...origin },
        });
      } else {
        res.status(400).type('text/plain').send('unsupported interaction type');
        return;
      }
      if (reply.taskCreated && !reply.awaitingApproval) {
        // "Thinking…": the deliver-result queue edits this response with progress and the result.
        res.json({ type: InteractionResponseType.DeferredChannelMessageWithSource });
        return;
      }
      if (reply.duplicate)
        log.info('Discord interaction seen before; nothing new done', { interactionId: i.id });
      res.json(message(reply));
    },
  );

  return router;
}
