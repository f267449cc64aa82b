import type { ChatPlatform } from '../commands/help.js';

/**
 * Who someone is outside Switchyard: one account on one platform (a chat platform, or a GitHub
 * sender), kept as a chat_identities row. An identity belongs to a guest user made for it on first
 * use, until a real account claims it with a link code.
 */
export type IdentityPlatform = ChatPlatform | 'github';

export interface IdentityKey<P extends IdentityPlatform = IdentityPlatform> {
  platform: P;
  /** Slack team id; empty for platforms whose user ids are global (Discord, Telegram, GitHub). */
  workspaceId: string;
  platformUserId: string;
  displayName?: string;
}

export interface IdentityRecord<P extends IdentityPlatform = IdentityPlatform> {
  id: string;
  platform: P;
  workspaceId: string;
  platformUserId: string;
  displayName: string | null;
  /** Set when a real account claimed this identity with a link code. */
  linkedAt: Date | null;
  user: {
    id: string;
    username: string;
    isGuest: boolean;
    status: 'active' | 'suspended';
    role: 'admin' | 'user';
  };
}
