import { AppError, type ErrorCode } from '../errors.js';
import type { TaskCommands } from '../tasks/types.js';
import { type GithubIdentityDirectory, type IntakeLedger, underExtraKey } from './intakePorts.js';
import { extractTrigger } from './trigger.js';

/** What the GitHub adapter hands over, already taken out of the typed payload. */
export interface GithubTriggerEvent {
  /** X-GitHub-Delivery: a dedupe key ("Redeliver" reuses it), but not covered by the signature. */
  deliveryId: string;
  /**
   * What the signed payload says happened, once: event, action and the comment / issue / pull
   * request id (e.g. `issue_comment.created:1234`). The dedupe key a replay cannot change.
   */
  subjectKey: string;
  /** e.g. 'issue_comment.created'. */
  event: string;
  /** The body that may hold the `/generate` trigger (comment, issue or pull request body). */
  text: string | null;
  sender: { id: number; login: string; type?: string };
  repo: { owner: string; name: string };
  issueNumber: number;
  installationId?: number;
  /** The web page of the comment / issue / pull request, for the record. */
  htmlUrl?: string;
}

export type GithubIntakeResult =
  | { accepted: true; taskId: string; duplicate: boolean }
  | {
      accepted: false;
      reason: string;
      /** A comment to post in answer (at most once per event), as chat answers the same refusal. */
      reply?: { origin: GithubOrigin; body: string };
    };

/** Where a GitHub task's result goes back to (tasks.origin). */
export interface GithubOrigin {
  owner: string;
  repo: string;
  issueNumber: number;
  installation?: number;
  event: string;
  htmlUrl?: string;
}

export interface GithubIntakeOptions {
  defaultTaskType: string;
  /** inbound_deliveries, for X-GitHub-Delivery besides the signed subject. */
  ledger: IntakeLedger;
  /** The `chat.requireLinkedAccount` setting: read on each event. */
  requireLinkedAccount: () => Promise<boolean>;
  /** The portal's base URL, for the "link your account" answer. */
  portalUrl: () => string;
}

/** Refusals of the request itself (a bad --type and the like): answered, not retried. */
const REFUSED_INPUT: ReadonlySet<ErrorCode> = new Set(['validation_failed', 'invalid_json', 'bad_request']);

/** Marks our own comments (results and notices): a body holding it never triggers anything. */
const OWN_COMMENT = '<!-- switchyard:';

/**
 * GitHub events to tasks: a body with a `/generate …` trigger becomes a task (source 'github')
 * for the linked user, or a guest made for that GitHub identity; bots are ignored so our own
 * comments can never trigger us. The rules of chat apply: a sender whose Switchyard account is
 * suspended gets nothing, and with `chat.requireLinkedAccount` an unlinked sender gets no task (and
 * no guest), only one comment saying how to link.
 */
export class GithubIntake {
  constructor(
    private readonly tasks: Pick<TaskCommands, 'submit'>,
    private readonly identities: GithubIdentityDirectory,
    private readonly opts: GithubIntakeOptions,
  ) {}

  async handle(e: GithubTriggerEvent): Promise<GithubIntakeResult> {
    if (e.sender.type === 'Bot' || /\[bot\]$/.test(e.sender.login))
      return { accepted: false, reason: 'sent by a bot' };
    // Our own result comments (posted with a user token, so not flagged as a bot) carry this marker.
    if (e.text?.includes(OWN_COMMENT)) return { accepted: false, reason: 'a Switchyard comment' };
    const t = extractTrigger(e.text);
    if (!t.found) return { accepted: false, reason: 'no /generate trigger' };
    if (!t.ok) return { accepted: false, reason: t.error };
    const origin: GithubOrigin = {
      owner: e.repo.owner,
      repo: e.repo.name,
      issueNumber: e.issueNumber,
      event: e.event,
      ...(e.installationId !== undefined ? { installation: e.installationId } : {}),
      ...(e.htmlUrl ? { htmlUrl: e.htmlUrl } : {}),
    };

    const identity = { platform: 'github' as const, platformUserId: String(e.sender.id) };
    const requireLinked = await this.opts.requireLinkedAccount();
    let who = await this.identities.find(identity);
    // Said in the logs only: a public comment must not announce that someone's account is suspended.
    const suspended = {
      accepted: false,
      reason: 'the Switchyard account of this sender is suspended',
    } as const;
    if (who && who.status !== 'active') return suspended;
    if (requireLinked && (!who || who.isGuest)) return this.needLink(e, origin);
    who ??= await this.identities.resolve({ ...identity, displayName: e.sender.login });
    if (who.status !== 'active') return suspended;
    const userId = who.userId;

    const providerId = t.trigger.provider ? await this.identities.providerIdByName(t.trigger.provider) : null;
    const submit = async () => {
      const r = await this.tasks.submit({
        userId,
        description: t.trigger.prompt,
        taskType: t.trigger.taskType ?? this.opts.defaultTaskType,
        ...(t.trigger.priority ? { priority: t.trigger.priority } : {}),
        ...(providerId ? { providerId } : {}),
        source: 'github',
        origin: origin as unknown as Record<string, unknown>,
        // The signed subject, so a captured delivery replayed under a new X-GitHub-Delivery makes nothing.
        dedupe: { source: 'github', deliveryId: e.subjectKey },
      });
      return { taskId: r.task.id, duplicate: r.duplicate };
    };
    try {
      const r = await underExtraKey(
        this.opts.ledger,
        { source: 'github', deliveryId: e.deliveryId },
        submit,
        () => new AppError('conflict', 'This delivery is still being processed'),
      );
      return { accepted: true, taskId: r.taskId, duplicate: r.duplicate };
    } catch (err) {
      // A bad --type and the like: acknowledged (GitHub would not retry anyway) with the reason.
      if (err instanceof AppError && REFUSED_INPUT.has(err.code))
        return { accepted: false, reason: err.message };
      throw err;
    }
  }

  /** Refused for want of a linked account: one answer per event, however often it is delivered. */
  private async needLink(e: GithubTriggerEvent, origin: GithubOrigin): Promise<GithubIntakeResult> {
    const reason = 'chat.requireLinkedAccount is on and this GitHub account is not linked';
    const key = `notice:${e.subjectKey}`;
    const claim = await this.opts.ledger.claim('github', key);
    if (!claim.claimed) return { accepted: false, reason };
    await this.opts.ledger.settle('github', key, { response: { notice: 'link_required' } });
    const portal = this.opts.portalUrl();
    return {
      accepted: false,
      reason,
      reply: {
        origin,
        body: `@${e.sender.login}, this Switchyard only runs \`/generate\` for people whose GitHub account is linked to a Switchyard account. Link yours (${portal}/links), then comment again.\n${OWN_COMMENT}notice -->`,
      },
    };
  }
}
