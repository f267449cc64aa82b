import type { ChatIdentityStore } from '../core/commands/ports.js';
import type { Db } from './db.js';
import { findIdentity, findOrCreateGuestForIdentity } from './guestUsers.js';

/** Chat identities (Slack, Discord, Telegram) and their per-identity guest users (see guestUsers.ts). */
export function createChatIdentityStore(db: Db): ChatIdentityStore {
  return {
    find: (key) => findIdentity(db, key),
    ensureGuest: (key) => findOrCreateGuestForIdentity(db, key),
  };
}
