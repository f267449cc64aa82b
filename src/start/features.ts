import type pg from 'pg';
import { composeChat } from '../composeChat/index.js';
import { composeCollab } from '../composeCollab.js';
import { composeGateway } from '../composeGateway.js';
import { composeProviders } from '../composeProviders.js';
import { composeReports } from '../composeReports.js';
import { composeWebhooks } from '../composeWebhooks.js';
import { ContentService } from '../core/content/contentService.js';
import type { ExecutorInstrumentation } from '../core/routing/routedExecutor.js';
import { SsoService } from '../core/sso/ssoService.js';
import { createIdentityProviderClients } from '../identityProviders/openidClients.js';
import type { Integration } from '../integrations/integration.js';
import { createContentRepository } from '../models/contentRepository.js';
import { createSsoStore } from '../models/ssoStore.js';
import type { StreamBus } from '../models/streamBus.js';
import { RenderPool } from '../workers/renderPool.js';
import type { Core } from './services.js';
import type { Stoppers } from './stoppers.js';

/** What the feature areas need besides the core services. */
export interface FeatureInputs {
  pool: pg.Pool;
  live: StreamBus;
  instrument?: ExecutorInstrumentation;
  roles: { api: boolean; bots: boolean };
}

export type Features = Awaited<ReturnType<typeof createFeatures>>;

/**
 * Builds every feature area on top of the core services, in dependency order. Each area is wired in
 * its own src/compose*.ts; this only passes each what it needs from the others.
 */
export async function createFeatures(core: Core, inputs: FeatureInputs, stoppers: Stoppers) {
  const { providers, gateway } = await createProvidersAndGateway(core, inputs.instrument);
  const { renderPool, contentStore, content } = createContent(core, stoppers);
  // Webhooks: GitHub intake + result comments, generic inbound hooks, signed callbacks (issue 7).
  const webhooks = composeWebhooks({
    env: core.env,
    db: core.db,
    boss: core.boss,
    logger: core.logger,
    secretBox: core.secretBox,
    masterKey: core.secrets.encryptionKey,
    audit: core.audit,
    tasks: core.tasks,
    taskSource: core.taskStore,
    taskTypes: core.taskTypes,
    publicUrl: core.publicUrl,
    teams: core.teams,
  });
  const { chat, collab, reportSchedules } = await createChatAndCollab(
    core,
    inputs,
    content,
    webhooks,
    renderPool,
  );
  const sso = createSso(core, chat);
  // Every inbound/outbound integration (src/integrations/*), in the order their endpoints are mounted.
  const integrations: Integration[] = [providers.manus, ...webhooks.integrations, ...chat.integrations];
  for (const i of integrations) if (i.deliverer) core.deliverers.register(i.deliverer);
  return {
    providers,
    gateway,
    renderPool,
    contentStore,
    content,
    webhooks,
    chat,
    collab,
    reportSchedules,
    sso,
    integrations,
  };
}

/**
 * Providers and the router (issue 4): provider API, providers from env keys, routed executor,
 * budget resets; and the OpenAI-compatible gateway (issue 17): /v1, routed and budgeted like
 * tasks, recorded after each call.
 */
async function createProvidersAndGateway(core: Core, instrument: ExecutorInstrumentation | undefined) {
  const { env, db, logger, taskTypes, tasks, spend } = core;
  const providers = await composeProviders({
    env,
    db,
    boss: core.boss,
    logger,
    secretBox: core.secretBox,
    audit: core.audit,
    taskTypes,
    instrument: core.metrics.executorHooks(instrument),
    directory: core.providerDirectory,
    teams: core.teams,
    taskSharedWith: async (taskId, userId) => (await tasks.get(taskId, { userId, isAdmin: false })) !== null,
    pricing: spend.prices,
    settleEndedBudgets: () => spend.budgets.settleEnded(),
  });
  const gateway = composeGateway({
    env,
    db,
    logger,
    directory: core.providerDirectory,
    settings: providers.settings,
    taskTypes,
    open: (envelope, id) => providers.service.open(envelope, id),
    connectors: providers.connectors,
    spend,
  });
  // A budget added, removed or changed anywhere (migration 0014_budget_notify): every lease on
  // budgets goes back, so a lowered limit binds from the next call, not from the next lease.
  core.cache.onInvalidate((tag) => {
    if (tag !== 'budgets' && tag !== '*') return;
    spend.budgetsChanged();
    gateway.revokeLeases();
  });
  return { providers, gateway };
}

/**
 * Content: versions, edits, restore, regenerate, diff, export and share links (issue 5). Rendering
 * runs on worker threads; the pool closes after the HTTP server (stoppers run in reverse).
 */
function createContent(core: Core, stoppers: Stoppers) {
  const renderPool = new RenderPool({ logger: core.logger, niceIncrement: 5 });
  stoppers.push(() => renderPool.close());
  const contentStore = createContentRepository(core.db);
  const content = new ContentService({
    renderer: renderPool,
    store: contentStore,
    tasks: core.tasks,
    teams: core.teams,
    audit: core.audit,
    defaultShareHours: () => core.settings.get('shares.defaultExpiresInHours'),
    shareUrl: (token) => `${core.publicUrl()}/s/${token}`,
  });
  return { renderPool, contentStore, content };
}

/**
 * Chat: Slack, Discord and Telegram commands, their result deliverers, account linking (issue 6);
 * collaboration (issue 16): comments, mentions, notifications (portal + chat DMs), review, activity;
 * and the scheduled reports that go out through hooks and chat channels.
 */
async function createChatAndCollab(
  core: Core,
  inputs: FeatureInputs,
  content: ContentService,
  webhooks: ReturnType<typeof composeWebhooks>,
  renderPool: RenderPool,
) {
  const { env, db, logger, audit, teams, publicUrl } = core;
  // A chat user acts as their linked account, without site-admin powers.
  const chatViewer = (userId: string) => ({ userId, isAdmin: false });
  const chat = await composeChat({
    env,
    db,
    cache: core.cache,
    pool: inputs.pool,
    logger,
    audit,
    settings: core.settings,
    tasks: core.tasks,
    shares: content.shareLinks(),
    // The collaboration area is built after chat (it sends DMs through it); these run later.
    collab: {
      comment: (userId, contentId, text) =>
        collab.comments.create(chatViewer(userId), contentId, { body: text }),
      approve: async (userId, contentId) => {
        const c = await collab.review.act(chatViewer(userId), contentId, { action: 'approve' });
        return { reviewState: c.reviewState, title: c.title };
      },
    },
    teamForWorkspace: (platform, externalId) => teams.teamForWorkspace(platform, externalId),
    approvals: core.spend.approvals,
    estimate: core.spend.estimate,
    publicUrl,
    roles: inputs.roles,
    live: inputs.live,
  });
  const collab = composeCollab({
    db,
    logger,
    audit,
    content,
    teams,
    directMessages: chat.directMessages,
    publicUrl,
  });
  const reportSchedules = composeReports({
    db,
    boss: core.boss,
    logger,
    reports: collab.reports,
    hooks: webhooks.hooks,
    channelSenders: chat.channelSenders,
    channelImageSenders: chat.channelImageSenders,
    renderer: renderPool,
    outbound: { allowPrivate: env.OUTBOUND_ALLOW_PRIVATE, timeoutMs: env.WEBHOOK_TIMEOUT_MS },
  });
  return { chat, collab, reportSchedules };
}

/** Sign-in with GitHub, Google, Slack, Discord and any OIDC issuer (issue 13). */
function createSso(core: Core, chat: Awaited<ReturnType<typeof composeChat>>) {
  const { settings, teams, secretBox } = core;
  return new SsoService({
    store: createSsoStore(core.db),
    clients: createIdentityProviderClients(core.env),
    auth: core.auth,
    settings,
    audit: core.audit,
    chat: { claim: (userId, identity) => chat.links.claimProven(userId, identity) },
    seal: (v) => secretBox.encrypt(v, 'sso_flow'),
    open: (v) => secretBox.decrypt(v, 'sso_flow'),
    publicUrl: core.publicUrl,
    // New SSO users join the team named by the auth.defaultTeam setting (a team id; empty = none).
    onUserCreated: async (user) => {
      const teamId = await settings.get('auth.defaultTeam');
      if (teamId) await teams.addMember(teamId, user.id, 'member');
    },
    log: core.logger.child({ scope: 'sso' }),
  });
}
