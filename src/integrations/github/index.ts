import type { TaskCommands } from '../../core/tasks/types.js';
import { GithubIntake } from '../../core/webhooks/githubIntake.js';
import type { GithubIdentityDirectory, IntakeLedger } from '../../core/webhooks/intakePorts.js';
import type { Env } from '../../env.js';
import type { Logger } from '../../logger.js';
import type { Integration } from '../integration.js';
import { GithubResultDeliverer } from './githubDeliverer.js';
import { githubWebhookRoutes, registerGithubIntakeDocs } from './githubRoutes.js';

/**
 * GitHub: intake (POST /api/webhooks/github) on when GITHUB_WEBHOOK_SECRET is set; GITHUB_TOKEN
 * adds the result deliverer, which also posts the intake's answer comments.
 */
export function githubIntegration(c: {
  env: Env;
  tasks: Pick<TaskCommands, 'submit'>;
  identities: GithubIdentityDirectory;
  /** inbound_deliveries (shared with the generic hooks). */
  ledger: IntakeLedger;
  /** The `chat.requireLinkedAccount` setting, read on each event. */
  requireLinkedAccount: () => Promise<boolean>;
  publicUrl: () => string;
  log: Logger;
}): Integration {
  const { env, log } = c;
  if (!env.GITHUB_WEBHOOK_SECRET) return { name: 'github', status: 'github off' };
  const secret = env.GITHUB_WEBHOOK_SECRET;
  const intake = new GithubIntake(c.tasks, c.identities, {
    defaultTaskType: 'article',
    ledger: c.ledger,
    requireLinkedAccount: c.requireLinkedAccount,
    portalUrl: c.publicUrl,
  });
  const comments = env.GITHUB_TOKEN
    ? new GithubResultDeliverer({
        token: env.GITHUB_TOKEN,
        baseUrl: env.GITHUB_API_URL,
        publicUrl: c.publicUrl,
        logger: log,
      })
    : undefined;
  if (!comments)
    log.warn(
      'GITHUB_WEBHOOK_SECRET is set but GITHUB_TOKEN is not: GitHub tasks run, but their results are not posted back',
    );
  return {
    name: 'github',
    status: `github on${env.GITHUB_TOKEN ? '' : ' (no GITHUB_TOKEN: results not posted)'}`,
    rawRoutes: [
      {
        path: '/api/webhooks/github',
        create: (d) => {
          registerGithubIntakeDocs(d.openapi);
          return githubWebhookRoutes({
            secret,
            intake,
            logger: log,
            ...(comments ? { comment: (origin, body) => comments.comment(origin, body) } : {}),
          });
        },
      },
    ],
    ...(comments ? { deliverer: comments } : {}),
  };
}
