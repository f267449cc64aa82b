import { AppError } from '../errors.js';
import type { TaskCommands } from '../tasks/types.js';
import type { IdentityDirectory } from './ports.js';
import { extractTrigger } from './trigger.js';

/** What the GitHub adapter hands over, already taken out of the typed payload. */
export interface GithubTriggerEvent {
  /** X-GitHub-Delivery: the dedupe key ("Redeliver" reuses it). */
  deliveryId: string;
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
  | { accepted: false; reason: string };

/** Where a GitHub task's result goes back to (tasks.origin). */
export interface GithubOrigin {
  owner: string;
  repo: string;
  issueNumber: number;
  installation?: number;
  event: string;
  htmlUrl?: string;
}

/**
 * GitHub events to tasks: a body with a `/generate …` trigger becomes a task (source 'github')
 * for the linked user, or a guest made for that GitHub identity; bots are ignored so our own
 * comments can never trigger us.
 */
export class GithubIntake {
  constructor(
    private readonly tasks: Pick<TaskCommands, 'submit'>,
    private readonly identities: IdentityDirectory,
    private readonly opts: { defaultTaskType: string },
  ) {}

  async handle(e: GithubTriggerEvent): Promise<GithubIntakeResult> {
    if (e.sender.type === 'Bot' || /\[bot\]$/.test(e.sender.login))
      return { accepted: false, reason: 'sent by a bot' };
    // Our own result comments (posted with a user token, so not flagged as a bot) carry this marker.
    if (e.text?.includes('<!-- switchyard:task='))
      return { accepted: false, reason: 'a Switchyard result comment' };
    const t = extractTrigger(e.text);
    if (!t.found) return { accepted: false, reason: 'no /generate trigger' };
    if (!t.ok) return { accepted: false, reason: t.error };
    const who = await this.identities.resolve({
      platform: 'github',
      platformUserId: String(e.sender.id),
      displayName: e.sender.login,
    });
    const providerId = t.trigger.provider ? await this.identities.providerIdByName(t.trigger.provider) : null;
    const origin: GithubOrigin = {
      owner: e.repo.owner,
      repo: e.repo.name,
      issueNumber: e.issueNumber,
      event: e.event,
      ...(e.installationId !== undefined ? { installation: e.installationId } : {}),
      ...(e.htmlUrl ? { htmlUrl: e.htmlUrl } : {}),
    };
    const submitted = this.tasks.submit({
      userId: who.userId,
      description: t.trigger.prompt,
      taskType: t.trigger.taskType ?? this.opts.defaultTaskType,
      ...(t.trigger.priority ? { priority: t.trigger.priority } : {}),
      ...(providerId ? { providerId } : {}),
      source: 'github',
      origin: origin as unknown as Record<string, unknown>,
      dedupe: { source: 'github', deliveryId: e.deliveryId },
    });
    try {
      const r = await submitted;
      return { accepted: true, taskId: r.task.id, duplicate: r.duplicate };
    } catch (err) {
      // A bad --type and the like: acknowledged (GitHub would not retry anyway) with the reason.
      if (err instanceof AppError && err.status === 400) return { accepted: false, reason: err.message };
      throw err;
    }
  }
}
