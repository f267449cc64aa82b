import type { DirectMessenger } from '../core/collab/ports.js';
import type { ChatPlatform, ChatSenders } from '../integrations/integration.js';
import type { Db } from '../models/db.js';
import { createLinkedIdentityLookup } from '../models/linkedIdentities.js';

/** Direct messages to every linked chat identity of a user; one failing platform does not stop the others. */
export function createDirectMessenger(
  db: Db,
  dmSenders: Partial<Record<ChatPlatform, NonNullable<ChatSenders['dm']>>>,
): DirectMessenger {
  const linkedIdentities = createLinkedIdentityLookup(db);
  return {
    async send(userId, text) {
      const failures: string[] = [];
      for (const id of await linkedIdentities(userId)) {
        const send = dmSenders[id.platform];
        if (!send) continue;
        try {
          await send(id.platformUserId, text);
        } catch (e) {
          failures.push(`${id.platform}: ${(e as Error).message}`);
        }
      }
      if (failures.length) throw new Error(failures.join('; '));
    },
  };
}
