import { isAppError, isClientErrorCode } from '../errors.js';
import { chatCommands } from './commands/index.js';
import type { Composer } from './composer.js';
import type {
  BaseContext,
  ChatActionRequest,
  ChatHandlerDeps,
  ChatRequest,
  OriginSource,
} from './context.js';
import { admit, once } from './gate.js';
import { helpText, usageLine } from './help.js';
import type { ChatIdentityKey } from './ports.js';
import type { ChatReply } from './reply.js';
import { gateTexts } from './texts.js';
import { linkWho, resolveWho } from './who.js';

export type {
  ChatActionRequest,
  ChatApprovals,
  ChatEstimate,
  ChatEstimates,
  ChatHandlerDeps,
  ChatRequest,
  OriginSource,
} from './context.js';

/**
 * Runs chat commands for a chat identity: dedupes the platform's delivery, applies the per-identity
 * rate limit, resolves who it is (a linked account or a per-identity guest), then hands the command
 * or button to its module (src/core/commands/commands/) and answers with a platform-neutral reply.
 * Adapters only verify, acknowledge, translate and render.
 */
export class ChatCommandHandler {
  private readonly modules: Composer = chatCommands();

  constructor(private readonly deps: ChatHandlerDeps) {}

  /** Handles one typed (or structured) command. Never throws: failures become a friendly reply. */
  async handle(req: ChatRequest): Promise<ChatReply> {
    const platform = req.identity.platform;
    if (!req.parsed.ok) {
      const { error, name } = req.parsed;
      const hint = name ? usageLine(platform, name) : helpText(platform, this.deps.publicUrl());
      return { private: true, text: `${error}\n${hint}` };
    }
    const cmd = req.parsed.command;
    const m = this.modules.commandFor(cmd.name);
    if (m.who === 'none') return m.run({ platform, portal: this.deps.publicUrl() });
    try {
      const gate = await admit(this.deps, req.identity, req.delivery);
      if ('reply' in gate) return gate.reply;
      const base = this.context(req.identity, req.delivery, req.origin);
      if (m.who === 'identity')
        return await this.run(m.once, base, () => m.run({ ...base, cmd, current: linkWho(gate.found) }));
      const who = await resolveWho(this.deps, req.identity, gate.settings, gate.found);
      if ('reply' in who) return who.reply;
      const ctx = { ...base, cmd, who: who.who, workspace: req.workspace };
      return await this.run(m.once, base, () => m.run(ctx));
    } catch (e) {
      return this.failure(e, { command: cmd.name, platform });
    }
  }

  /** Handles a button press (regenerate, share, cancel, approve/reject, Run/Cancel) on one of our messages. */
  async handleAction(req: ChatActionRequest): Promise<ChatReply> {
    const platform = req.identity.platform;
    try {
      const gate = await admit(this.deps, req.identity, req.delivery);
      if ('reply' in gate) return gate.reply;
      const who = await resolveWho(this.deps, req.identity, gate.settings, gate.found);
      if ('reply' in who) return who.reply;
      const m = this.modules.actionFor(req.action);
      const base = this.context(req.identity, req.delivery, req.origin);
      return await this.run(m.once, base, () => m.run({ ...base, taskId: req.taskId, who: who.who }));
    } catch (e) {
      return this.failure(e, { action: req.action, platform });
    }
  }

  private context(
    key: ChatIdentityKey,
    delivery: BaseContext['delivery'],
    origin: OriginSource,
  ): BaseContext {
    const deps = this.deps;
    return {
      deps,
      key,
      platform: key.platform,
      delivery,
      portal: deps.publicUrl(),
      origin: async () => (typeof origin === 'function' ? await origin() : origin),
      once: (run) => once(deps, delivery, run),
    };
  }

  private run(atMostOnce: boolean, ctx: BaseContext, run: () => Promise<ChatReply>): Promise<ChatReply> {
    return atMostOnce ? ctx.once(run) : run();
  }

  private failure(e: unknown, meta: Record<string, unknown>): ChatReply {
    if (isAppError(e) && isClientErrorCode(e.code)) return { private: true, text: e.message };
    this.deps.log.error('Chat command failed', { ...meta, err: e instanceof Error ? e.message : String(e) });
    return { private: true, text: gateTexts.failed };
  }
}
