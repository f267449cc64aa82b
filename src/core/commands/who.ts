import type { Settings } from '../settings/settings.js';
import type { ChatHandlerDeps, LinkWho, Who } from './context.js';
import type { ChatIdentityKey, ChatIdentityRecord } from './ports.js';
import type { ChatReply } from './reply.js';
import { gateTexts } from './texts.js';

/**
 * The identity's user: a linked account, else a guest made for it on first use. With
 * `chat.requireLinkedAccount` guests are refused; a suspended account is refused.
 */
export async function resolveWho(
  deps: ChatHandlerDeps,
  key: ChatIdentityKey,
  settings: Settings,
  found: ChatIdentityRecord | null,
): Promise<{ who: Who } | { reply: ChatReply }> {
  const requireLinked = settings['chat.requireLinkedAccount'];
  const needLink = () => ({
    reply: { private: true, text: gateTexts.needLink(key.platform, deps.publicUrl()) },
  });
  if (!found && requireLinked) return needLink();
  const identity = found ?? (await deps.identities.ensureGuest(key));
  if (identity.user.status !== 'active') return { reply: { private: true, text: gateTexts.suspended } };
  if (requireLinked && identity.user.isGuest) return needLink();
  return { who: { identity, userId: identity.user.id, isGuest: identity.user.isGuest } };
}

/** For `link`: the identity as found, whatever its user's state (no guest is made for it). */
export function linkWho(found: ChatIdentityRecord | null): LinkWho {
  return found ? { known: true, identity: found } : { known: false };
}
