import { randomBytes, randomUUID } from 'node:crypto';
import type { Actor } from '../actor.js';
import type { AuditSink } from '../audit/audit.js';
import { type Clock, systemClock } from '../clock.js';
import { AppError, conflict, forbidden, notFound } from '../errors.js';
import type { TeamMembership } from '../tasks/ports.js';
import type { Priority, TaskCommands } from '../tasks/types.js';
import { authorizeTeam, canTeam } from '../teams/authorization.js';
import { type IntakeLedger, type IntakeUsers, underExtraKey } from './intakePorts.js';
import type { DeliveryRecord, HookRecord, WebhookStore } from './ports.js';
import { type SignatureFailure, verifySignature } from './signature.js';
import { OutboundRefusedError, parseOutboundUrl } from './ssrf.js';
import { renderOrThrow, validateTemplate } from './template.js';

/** Encrypts secrets at rest (core/crypto/secretBox.ts). */
export interface SecretSealer {
  encrypt(plaintext: string, aad?: string): string;
  decrypt(envelope: string, aad?: string): string;
}

export interface HookServiceOptions {
  /** Base URL that inbound deliveries are sent to (PUBLIC_URL); read on each call. */
  publicUrl: () => string;
  /** Known task types, to refuse a hook for one that does not exist. */
  taskTypes?: { has(id: string): boolean; ids(): string[] };
  now?: Clock;
  /** How far a signature timestamp may be from now, either way. */
  toleranceSeconds?: number;
  defaultGraceHours?: number;
  /** Who a hook's creator is now: a hook acts on their authority, so it stops when they lose it. */
  users: IntakeUsers;
  /** inbound_deliveries, for the Idempotency-Key besides the signature. */
  ledger: IntakeLedger;
  /** Team membership: team admins manage their team's hooks. Without it hooks are admins' only. */
  teams?: TeamMembership;
}

export interface CreateHookInput {
  name: string;
  taskType: string;
  promptTemplate: string;
  priority?: Priority;
  callbackUrl?: string | null;
  /** Makes it the team's hook (site admins, or the team's admins). */
  teamId?: string | null;
}

export interface InboundDelivery {
  hookId: string;
  rawBody: Buffer;
  signature?: string;
  idempotencyKey?: string;
}

const SIGNATURE_MESSAGES: Record<SignatureFailure, string> = {
  missing: 'Missing X-Switchyard-Signature header',
  malformed: 'Malformed X-Switchyard-Signature header (expected t=<unix seconds>,v1=<hex>)',
  stale: 'The signature timestamp is more than 5 minutes from now',
  mismatch: 'The signature does not match the body',
};

export const newHookSecret = () => `sy_whs_${randomBytes(32).toString('base64url')}`;
const aadFor = (hookId: string) => `webhook:${hookId}`;

/**
 * Generic inbound hooks: admins create them (each with its own secret, encrypted at rest, shown
 * once, rotatable with a grace period for the old one); other tools POST signed JSON to them, which
 * becomes a task through the prompt template.
 */
export class HookService {
  constructor(
    private readonly store: WebhookStore,
    private readonly sealer: SecretSealer,
    private readonly tasks: Pick<TaskCommands, 'submit'>,
    private readonly audit: AuditSink,
    private readonly opts: HookServiceOptions,
  ) {}

  private now() {
    return (this.opts.now ?? systemClock)().getTime();
  }

  urlOf(hookId: string): string {
    return `${this.opts.publicUrl()}/api/webhooks/in/${hookId}`;
  }

  async create(
    actor: Actor,
    input: CreateHookInput,
  ): Promise<{ hook: HookRecord; secret: string; url: string }> {
    await this.mayManage(actor, input.teamId ?? null);
    validateTemplate(input.promptTemplate);
    if (this.opts.taskTypes && !this.opts.taskTypes.has(input.taskType)) {
      throw new AppError('validation_failed', `Unknown task type "${input.taskType}"`, {
        details: [
          {
            field: 'body.taskType',
            message: `must be one of: ${this.opts.taskTypes.ids().join(', ')}`,
            code: 'invalid_value',
          },
        ],
      });
    }
    if (input.callbackUrl) {
      try {
        parseOutboundUrl(input.callbackUrl);
      } catch (e) {
        if (e instanceof OutboundRefusedError) {
          throw new AppError('validation_failed', e.message, {
            details: [{ field: 'body.callbackUrl', message: e.message, code: 'invalid_url' }],
          });
        }
        throw e;
      }
    }
    const id = randomUUID();
    const secret = newHookSecret();
    const hook = await this.store.createHook({
      id,
      name: input.name,
      taskType: input.taskType,
      promptTemplate: input.promptTemplate,
      priority: input.priority ?? 'normal',
      callbackUrl: input.callbackUrl ?? null,
      secret: this.sealer.encrypt(secret, aadFor(id)),
      createdBy: actor.userId,
      teamId: input.teamId ?? null,
    });
    await this.audit.record({
      actorId: actor.userId,
      action: 'webhook.create',
      targetType: 'webhook',
      targetId: id,
      ip: actor.ip,
      details: { name: input.name, taskType: input.taskType },
    });
    return { hook, secret, url: this.urlOf(id) };
  }

  /** Site admins: every hook (or one team's); anyone else: a team's hooks, as its admin. */
  async list(actor: Actor, q: { page: number; limit: number; teamId?: string }) {
    await this.mayManage(actor, q.teamId ?? null);
    return this.store.listHooks(q);
  }

  /**
   * Who may manage hooks: site admins any; a team's admins (hooks.manage) that team's — its other
   * members get 403, outsiders 404 — and an admin's own (teamless) hooks only admins (403).
   */
  private async mayManage(actor: Actor, teamId: string | null): Promise<void> {
    if (actor.isAdmin) {
      if (teamId && !(await this.opts.teams?.exists(teamId))) throw notFound('Team');
      return;
    }
    if (!teamId) throw forbidden('This needs an admin (or a teamId of a team you administer)');
    const teamRole = this.opts.teams ? await this.opts.teams.roleOf(teamId, actor.userId) : null;
    authorizeTeam({ teamRole, siteAdmin: false }, 'hooks.manage', 'Team');
  }

  /** The hook if the actor may manage it. */
  async get(id: string, actor?: Actor): Promise<HookRecord> {
    const hook = await this.store.getHook(id);
    if (!hook) throw notFound('Webhook');
    if (actor && !actor.isAdmin) {
      if (!hook.teamId) throw forbidden('This needs an admin');
      const teamRole = this.opts.teams ? await this.opts.teams.roleOf(hook.teamId, actor.userId) : null;
      authorizeTeam({ teamRole, siteAdmin: false }, 'hooks.manage', 'Webhook');
    }
    return hook;
  }

  async delete(actor: Actor, id: string): Promise<void> {
    await this.get(id, actor);
    if (!(await this.store.deleteHook(id))) throw notFound('Webhook');
    await this.audit.record({
      actorId: actor.userId,
      action: 'webhook.delete',
      targetType: 'webhook',
      targetId: id,
      ip: actor.ip,
    });
  }

  /** New secret; the old one keeps working for `graceHours` (0 = revoked at once). */
  async rotate(
    actor: Actor,
    id: string,
    graceHours?: number,
  ): Promise<{ secret: string; previousSecretExpiresAt: Date }> {
    const hook = await this.get(id, actor);
    const secret = newHookSecret();
    const previousSecretExpiresAt = new Date(
      this.now() + (graceHours ?? this.opts.defaultGraceHours ?? 24) * 3_600_000,
    );
    const updated = await this.store.rotateSecret(id, {
      secret: this.sealer.encrypt(secret, aadFor(id)),
      previousSecret: hook.secret,
      previousSecretExpiresAt,
    });
    if (!updated) throw notFound('Webhook');
    await this.audit.record({
      actorId: actor.userId,
      action: 'webhook.rotate_secret',
      targetType: 'webhook',
      targetId: id,
      ip: actor.ip,
      details: { graceHours: graceHours ?? this.opts.defaultGraceHours ?? 24 },
    });
    return { secret, previousSecretExpiresAt };
  }

  async deliveries(
    actor: Actor,
    id: string,
    q: { page: number; limit: number },
  ): Promise<{ items: DeliveryRecord[]; total: number }> {
    await this.get(id, actor);
    return this.store.listDeliveries({ webhookId: id, ...q });
  }

  /** The plaintext secret a hook signs its callbacks with (current one). */
  currentSecret(hook: HookRecord): string {
    return this.sealer.decrypt(hook.secret, aadFor(hook.id));
  }

  /** Secrets a delivery may be signed with right now: the current one, and the previous one during its grace period. */
  acceptedSecrets(hook: HookRecord): string[] {
    const out = [this.currentSecret(hook)];
    if (
      hook.previousSecret &&
      hook.previousSecretExpiresAt &&
      hook.previousSecretExpiresAt.getTime() > this.now()
    ) {
      out.push(this.sealer.decrypt(hook.previousSecret, aadFor(hook.id)));
    }
    return out;
  }

  /**
   * Verifies and accepts one signed delivery: signature (current or grace-period secret, 5-minute
   * window both ways), the creator's standing, JSON, template fields, then the task.
   *
   * Deduplication covers both what the sender chose and what it signed. The signature value is the
   * task's own ledger key (claimed with the insert): the same signed request replayed inside its
   * window never makes a second task, whatever Idempotency-Key it carries, since that header is not
   * signed. An Idempotency-Key is claimed besides (24 h, API.md): a sender retrying with a fresh
   * signature gets its first task back. Two requests with one key at the same time: the second
   * answers 409 until the first is done (Stripe's rule for concurrent idempotent requests).
   */
  async receive(d: InboundDelivery): Promise<{ taskId: string; duplicate: boolean }> {
    const hook = await this.store.getHook(d.hookId);
    if (hook?.status !== 'active') throw notFound('Webhook');
    const v = verifySignature(d.signature, d.rawBody, this.acceptedSecrets(hook), {
      nowMs: this.now(),
      toleranceSeconds: this.opts.toleranceSeconds,
    });
    if (!v.ok) throw new AppError('invalid_signature', SIGNATURE_MESSAGES[v.reason]);
    if (!hook.createdBy)
      throw conflict('This hook has no owner any more (its creator was deleted); create a new hook');
    await this.assertOwnerMayAct(hook.createdBy, hook.teamId);
    let body: unknown;
    try {
      body = JSON.parse(d.rawBody.toString('utf8'));
    } catch {
      throw new AppError('invalid_json', 'The request body is not valid JSON');
    }
    const description = renderOrThrow(hook.promptTemplate, body);
    const createdBy = hook.createdBy;
    const window = 24 * 3600;
    const submit = async () => {
      const r = await this.tasks.submit(
        {
          userId: createdBy,
          teamId: hook.teamId,
          title: hook.name,
          description,
          taskType: hook.taskType,
          priority: hook.priority,
          source: 'webhook',
          webhookId: hook.id,
          callbackUrl: hook.callbackUrl,
          origin: { webhookId: hook.id, idempotencyKey: d.idempotencyKey ?? null },
          // A signature is only accepted inside its 5-minute window, so 24 h outlives every replay of it.
          dedupe: { source: 'webhook', deliveryId: `${hook.id}:sig:${v.signature}`, windowSeconds: window },
        },
        // assertOwnerMayAct checked the creator's standing in the team.
        { teamChecked: true },
      );
      return { taskId: r.task.id, duplicate: r.duplicate };
    };
    if (!d.idempotencyKey) return submit();
    return underExtraKey(
      this.opts.ledger,
      { source: 'webhook', deliveryId: `${hook.id}:key:${d.idempotencyKey}`, windowSeconds: window },
      submit,
      () => conflict('A delivery with this Idempotency-Key is still being processed; retry in a moment'),
    );
  }

  /**
   * A hook makes tasks as its creator, who had to be an admin to create it. A suspended creator, or
   * one who is no longer an admin, takes the hook down with them (403 to a sender who proved it
   * holds the secret; nothing is created), as Slack stops a deactivated member's incoming webhooks.
   */
  private async assertOwnerMayAct(userId: string, teamId: string | null): Promise<void> {
    const owner = await this.opts.users.get(userId);
    if (!owner)
      throw conflict('This hook has no owner any more (its creator was deleted); create a new hook');
    if (owner.status !== 'active')
      throw forbidden('The account this hook acts for is suspended, so it accepts no deliveries');
    if (owner.role === 'admin') return;
    // A team hook's creator may also act while they administer its team.
    if (teamId && this.opts.teams) {
      const teamRole = await this.opts.teams.roleOf(teamId, userId);
      if (canTeam({ teamRole, siteAdmin: false }, 'hooks.manage')) return;
    }
    throw forbidden(
      'The account this hook acts for is no longer an administrator, so it accepts no deliveries; an administrator must create a new hook',
    );
  }
}
