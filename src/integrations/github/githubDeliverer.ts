import { Octokit } from '@octokit/rest';
import type { ResultDeliverer, TaskEvent } from '../../core/tasks/types.js';
import type { GithubOrigin } from '../../core/webhooks/githubIntake.js';
import type { Logger } from '../../logger.js';

/** GitHub refuses comments longer than 65 536 characters. */
const MAX_COMMENT = 65_000;

export interface GithubDelivererOptions {
  token: string;
  /** GITHUB_API_URL (https://api.github.com, or a GitHub Enterprise / stub URL). */
  baseUrl: string;
  /** For the "open in Switchyard" link; read on each call. */
  publicUrl: () => string;
  logger: Logger;
  timeoutMs?: number;
}

const marker = (taskId: string, kind: string) => `<!-- switchyard:task=${taskId}:${kind} -->`;

/**
 * Posts a GitHub task's result (or failure) back as a comment on its issue or pull request, through
 * Octokit's REST client. Idempotent per (task, outcome): each comment carries a hidden marker, and a
 * retry first looks for a comment with that marker. Permanent refusals (the issue is gone, locked,
 * or the token may not comment: 4xx other than 429) are logged and not retried.
 */
export class GithubResultDeliverer implements ResultDeliverer {
  readonly source = 'github' as const;
  private readonly octokit: Octokit;

  constructor(private readonly opts: GithubDelivererOptions) {
    this.octokit = new Octokit({
      auth: opts.token,
      baseUrl: opts.baseUrl,
      userAgent: 'Switchyard',
      log: {
        debug() {},
        info() {},
        warn: (m: string) => opts.logger.warn(m),
        error: (m: string) => opts.logger.warn(m),
      },
      request: { retries: 0 },
    });
  }

  async deliver(event: TaskEvent): Promise<void> {
    if (event.kind !== 'completed' && event.kind !== 'failed' && event.kind !== 'cancelled') return;
    const origin = event.task.origin as Partial<GithubOrigin> | null;
    if (!origin?.owner || !origin.repo || !origin.issueNumber) {
      this.opts.logger.warn('GitHub task without an origin to post to', { taskId: event.task.id });
      return;
    }
    const where = { owner: origin.owner, repo: origin.repo, issue_number: origin.issueNumber };
    const tag = marker(event.task.id, event.kind);
    const signal = () => AbortSignal.timeout(this.opts.timeoutMs ?? 15_000);
    try {
      const existing = await this.octokit.paginate(this.octokit.rest.issues.listComments, {
        ...where,
        since: event.task.createdAt.toISOString(),
        per_page: 100,
        request: { signal: signal() },
      });
      if (existing.some((c) => c.body?.includes(tag))) return;
      await this.octokit.rest.issues.createComment({
        ...where,
        body: this.render(event, tag),
        request: { signal: signal() },
      });
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status && status >= 400 && status < 500 && status !== 408 && status !== 429) {
        this.opts.logger.warn('GitHub refused the result comment; not retrying', {
          taskId: event.task.id,
          status,
          err: (e as Error).message,
        });
        return;
      }
      throw e;
    }
  }

  /** Posts one comment that belongs to no task (an answer such as "link your account first"). */
  async comment(origin: GithubOrigin, body: string): Promise<void> {
    await this.octokit.rest.issues.createComment({
      owner: origin.owner,
      repo: origin.repo,
      issue_number: origin.issueNumber,
      body,
      request: { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000) },
    });
  }

  private render(event: TaskEvent, tag: string): string {
    const link = `${this.opts.publicUrl()}/tasks/${event.task.id}`;
    const footer = `\n\n---\n<sub>Switchyard task \`${event.task.id}\` · [open in Switchyard](${link})</sub>\n${tag}`;
    if (event.kind === 'failed')
      return `**Generation failed.** ${event.task.error ?? 'The task could not be completed.'}${footer}`;
    if (event.kind === 'cancelled') return `The generation task was cancelled.${footer}`;
    const text = event.content?.contentData ?? '(no content)';
    const room = MAX_COMMENT - footer.length - 200;
    const body =
      text.length > room ? `${text.slice(0, room)}\n\n… (truncated; the full result is in Switchyard)` : text;
    return `${body}${footer}`;
  }
}
