import type { Settings } from '../settings/settings.js';
import type { ChatHandlerDeps, Delivery } from './context.js';
import type { ChatIdentityKey, ChatIdentityRecord } from './ports.js';
import { button, type ChatButton, type ChatReply, shortId } from './reply.js';
import { gateTexts } from './texts.js';

type Seen = { taskId: string | null; response: Record<string, unknown> | null };

/** Let in: what the identity resolution needs next. Turned away: the reply to send instead. */
export type Admission = { settings: Settings; found: ChatIdentityRecord | null } | { reply: ChatReply };

/**
 * Everything before the command itself, with the independent reads in one round trip: a delivery
 * seen before is replayed; the per-identity rate limit applies.
 */
export async function admit(
  deps: ChatHandlerDeps,
  key: ChatIdentityKey,
  delivery: Delivery,
): Promise<Admission> {
  const [settings, found, rate] = await Promise.all([
    deps.settings.getAll(),
    deps.identities.find(key),
    deps.admission.read({
      source: delivery.source,
      deliveryId: delivery.id,
      rateKey: `chat:${key.platform}:${key.workspaceId}:${key.platformUserId}`,
      windowSeconds: 60,
    }),
  ]);
  if (rate.seen) return { reply: replay(rate.seen) };
  const perMinute = settings['chat.rateLimitPerMinute'];
  if (rate.count > perMinute) {
    return { reply: { private: true, text: gateTexts.rateLimited(perMinute, rate.retryAfterSeconds) } };
  }
  return { settings, found };
}

/** Runs a command with side effects at most once per delivery, replaying its reply to repeats. */
export async function once(
  deps: ChatHandlerDeps,
  delivery: Delivery,
  run: () => Promise<ChatReply>,
): Promise<ChatReply> {
  if (!(await deps.ledger.claim(delivery.source, delivery.id))) {
    const seen = await deps.ledger.lookup(delivery.source, delivery.id);
    return replay(seen ?? { taskId: null, response: null });
  }
  const reply = await run();
  await deps.ledger.saveResponse(delivery.source, delivery.id, { ...reply });
  return reply;
}

/** The reply saved for a delivery seen before, or what can be said about it. */
export function replay(seen: Seen): ChatReply {
  const r = seen.response;
  if (r && typeof r.text === 'string') {
    return {
      text: r.text,
      private: r.private === true,
      ...(Array.isArray(r.buttons) ? { buttons: r.buttons as ChatButton[] } : {}),
      ...(typeof r.taskId === 'string' ? { taskId: r.taskId } : {}),
      duplicate: true,
    };
  }
  if (seen.taskId) {
    return {
      private: true,
      text: gateTexts.alreadyOnIt(shortId(seen.taskId)),
      taskId: seen.taskId,
      buttons: [button('cancel', seen.taskId)],
      duplicate: true,
    };
  }
  return { private: true, text: gateTexts.alreadyHandled, duplicate: true };
}
