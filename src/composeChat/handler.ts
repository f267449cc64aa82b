import { type ChatApprovals, ChatCommandHandler, type ChatEstimates } from '../core/commands/handler.js';
import type { ChatCollab, PendingRunStore, ShareLinks } from '../core/commands/ports.js';
import type { LinkService } from '../core/linking/linkService.js';
import type { SettingsStore } from '../core/settings/settings.js';
import type { EstimateInput, TaskQuote } from '../core/spend/intakeReservation.js';
import type { IntakeScopes } from '../core/spend/ports.js';
import type { TaskCommands } from '../core/tasks/types.js';
import type { ChatPlatform } from '../integrations/integration.js';
import type { Logger } from '../logger.js';
import type { CacheBus } from '../models/cacheBus.js';
import { cachedChatIdentities } from '../models/chatCache.js';
import { createChatIdentityStore } from '../models/chatIdentityStore.js';
import { createPendingRunStore } from '../models/chatPendingRunStore.js';
import {
  createAdmissionReads,
  createChatProviderDirectory,
  createContentLookup,
  createDeliveryLedger,
} from '../models/chatSupportStores.js';
import type { Db } from '../models/db.js';

/** How long Run stays possible on a `generate` waiting for its cost to be confirmed. */
export const PENDING_RUN_TTL_MS = 15 * 60_000;

/** Spend control's quote with the user's confirm threshold (`estimate` below). */
export type ChatEstimate = (
  task: EstimateInput,
  scopes: Omit<IntakeScopes, 'taskId'>,
) => Promise<
  Pick<TaskQuote, 'estimatedCostMicros' | 'estimatedTokens' | 'thresholdMicros' | 'exceedsThreshold'>
>;

/** What the command handler is built from besides account linking: the database and the other areas' ports. */
export interface ChatHandlerInputs {
  db: Db;
  /** Caches chat identities in this process (invalidated across processes); without it every command looks its identity up. */
  cache?: CacheBus;
  tasks: TaskCommands;
  settings: SettingsStore;
  publicUrl: () => string;
  /** Share links for `share` (the content area's ContentService.shareLinks()); without them `share` points to the portal. */
  shares?: ShareLinks;
  /** `comment` and `approve` (the collaboration area); without them they point to the portal. */
  collab?: ChatCollab;
  /** Approve/Reject buttons on tasks held by an `approve` budget (spend control's TaskApprovals). */
  approvals?: ChatApprovals;
  /**
   * Estimate before running (spend control's quote with the user's confirm threshold): a `generate`
   * above it waits for Run/Cancel.
   */
  estimate?: ChatEstimate;
  /** The team a chat workspace is attached to (TeamService.teamForWorkspace). */
  teamForWorkspace?: (platform: ChatPlatform, externalId: string) => Promise<string | null>;
}

/** The command handler: the chat stores on `db` plus the optional areas' ports. */
export function createChatHandler(
  c: ChatHandlerInputs & { links: LinkService; log: Logger },
): ChatCommandHandler {
  const { db } = c;
  return new ChatCommandHandler({
    tasks: c.tasks,
    identities: c.cache
      ? cachedChatIdentities(createChatIdentityStore(db), c.cache)
      : createChatIdentityStore(db),
    links: c.links,
    admission: createAdmissionReads(db),
    ledger: createDeliveryLedger(db),
    settings: c.settings,
    providers: createChatProviderDirectory(db),
    content: createContentLookup(db),
    ...(c.shares ? { shares: c.shares } : {}),
    ...(c.collab ? { collab: c.collab } : {}),
    ...(c.approvals ? { approvals: c.approvals } : {}),
    publicUrl: c.publicUrl,
    log: c.log,
    defaultTaskType: 'article',
    ...(c.teamForWorkspace ? { teamForWorkspace: c.teamForWorkspace } : {}),
    ...(c.estimate ? { estimates: chatEstimates(c.estimate, createPendingRunStore(db)) } : {}),
  });
}

function chatEstimates(estimate: ChatEstimate, pending: PendingRunStore): ChatEstimates {
  return {
    pending,
    ttlMs: PENDING_RUN_TTL_MS,
    async quote(t) {
      const q = await estimate(
        { taskType: t.taskType, description: t.description, options: {}, providerId: t.providerId },
        { userId: t.userId, teamId: t.teamId, webhookId: null, apiTokenId: null, chatWorkspace: null },
      );
      return {
        minMicros: q.estimatedCostMicros.min,
        maxMicros: q.estimatedCostMicros.max,
        tokens: q.estimatedTokens,
        thresholdMicros: q.thresholdMicros,
        exceedsThreshold: q.exceedsThreshold,
      };
    },
  };
}
