import { type Command, Option } from 'commander';
import { followLive } from './_live.js';

interface Options {
  type: string;
  priority?: string;
  title?: string;
  url: string;
  token?: string;
  wait?: boolean;
  json?: boolean;
  timeout: string;
  idempotencyKey?: string;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

class ApiError extends Error {}

function api(base: string, token: string) {
  return async <T>(
    method: string,
    p: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(new URL(p, base), {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(
        `Could not reach Switchyard at ${base} (${(e as Error).message}). Is it running? Use --url to point elsewhere.`,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = (
        json as
          | {
              error?: {
                code?: string;
                message?: string;
                details?: Array<{ field: string; message: string }>;
              };
            }
          | undefined
      )?.error;
      const details = err?.details?.map((d) => `\n  ${d.field}: ${d.message}`).join('') ?? '';
      throw new ApiError(
        `${method} ${p} → ${res.status} ${err?.code ?? ''}: ${err?.message ?? text.slice(0, 200)}${details}`,
      );
    }
    return json as T;
  };
}

/** One status line, redrawn in place on a terminal; plain lines on status changes otherwise. */
function progressLine(stream: NodeJS.WriteStream) {
  let frame = 0;
  let lastPlain = '';
  return {
    update(text: string) {
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${SPINNER[frame++ % SPINNER.length]} ${text}`);
      } else if (text !== lastPlain) {
        stream.write(`${text}\n`);
        lastPlain = text;
      }
    },
    done(text: string) {
      if (stream.isTTY) stream.write(`\r\x1b[2K${text}\n`);
      else stream.write(`${text}\n`);
    },
  };
}

export function register(program: Command): void {
  program
    .command('submit')
    .description(
      'Submit a generation task through the API; with --wait, show its progress and print the result',
    )
    .argument('<prompt...>', 'what to generate (quote it, or pass several words)')
    .option('-t, --type <type>', 'task type (see GET /api/task-types)', 'article')
    .addOption(
      new Option('-p, --priority <priority>', 'priority').choices(['low', 'normal', 'high', 'urgent']),
    )
    .option('--title <title>', 'title (default: the first line of the prompt)')
    .option('-w, --wait', 'wait until the task finishes and print the generated content')
    .option('--json', 'print the task (and content) as JSON instead of text')
    .option('--timeout <seconds>', 'give up waiting after this many seconds', '600')
    .option('--idempotency-key <key>', 'makes a retried submission safe: the same key returns the same task')
    .option(
      '--url <url>',
      'Switchyard base URL (default: SWITCHYARD_URL, else http://localhost:PORT)',
      process.env.SWITCHYARD_URL ?? `http://localhost:${process.env.PORT || 3000}`,
    )
    .option('--token <token>', 'API token or access token (default: SWITCHYARD_TOKEN)')
    .addHelpText(
      'after',
      '\nCreate a personal API token in the portal or with POST /api/auth/tokens, then:\n  SWITCHYARD_TOKEN=sy_pat_… npm run cli -- submit "A post about tide pools" --type social_post --wait',
    )
    .action(async (words: string[], o: Options) => {
      const token = o.token ?? process.env.SWITCHYARD_TOKEN;
      if (!token) throw new Error('An API token is required: --token or SWITCHYARD_TOKEN');
      const call = api(o.url, token);
      const prompt = words.join(' ').trim();
      if (!prompt) throw new Error('The prompt is empty');

      type Task = {
        id: string;
        status: string;
        title: string;
        contentId: string | null;
        error: string | null;
        attempts: number;
      };
      const task = await call<Task>(
        'POST',
        '/api/tasks',
        {
          description: prompt,
          taskType: o.type,
          ...(o.priority ? { priority: o.priority } : {}),
          ...(o.title ? { title: o.title } : {}),
        },
        o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {},
      );
      const held =
        task.status === 'awaiting_approval'
          ? `Task ${task.id} (${o.type}) is waiting for approval: it would exceed a budget whose action is "approve". ` +
            `Its owner or a team admin approves it in the portal or with POST /api/tasks/${task.id}/approve.\n`
          : null;
      if (!o.wait) {
        process.stdout.write(
          o.json
            ? `${JSON.stringify(task, null, 2)}\n`
            : (held ??
                `Queued task ${task.id} (${o.type}). Follow it with: GET /api/tasks/${task.id}/status\n`),
        );
        return;
      }
      if (held)
        process.stderr.write(
          `${held}Waiting for the decision (Ctrl-C stops waiting; the task carries on).\n`,
        );

      const line = progressLine(process.stderr);
      const started = Date.now();
      const deadline = started + Number(o.timeout) * 1000;
      let status: {
        status: string;
        attempts: number;
        provider: string | null;
        contentId: string | null;
        error: string | null;
        lastError?: string | null;
      } = {
        status: task.status,
        attempts: 0,
        provider: null,
        contentId: null,
        error: null,
      };
      let interrupted = false;
      const onInterrupt = () => {
        interrupted = true;
      };
      process.once('SIGINT', onInterrupt);
      // The answer is printed as it is generated; the status is then read once.
      const liveAbort = new AbortController();
      const stopLive = () => liveAbort.abort();
      process.once('SIGINT', stopLive);
      const timer = setTimeout(stopLive, Number(o.timeout) * 1000);
      const printed =
        !o.json &&
        (await followLive({
          base: o.url,
          token,
          taskId: task.id,
          out: process.stdout,
          signal: liveAbort.signal,
        }));
      clearTimeout(timer);
      process.off('SIGINT', stopLive);
      if (printed) status = await call('GET', `/api/tasks/${task.id}/status`);
      try {
        while (!TERMINAL.has(status.status)) {
          if (interrupted) {
            line.done(
              `Stopped waiting. Task ${task.id} carries on (cancel it with POST /api/tasks/${task.id}/cancel).`,
            );
            process.exitCode = 130;
            return;
          }
          if (Date.now() > deadline) {
            line.done(`Still ${status.status} after ${o.timeout}s; task ${task.id} carries on.`);
            process.exitCode = 2;
            return;
          }
          const secs = ((Date.now() - started) / 1000).toFixed(0);
          const where = status.provider ? ` on ${status.provider}` : '';
          const retry = status.attempts > 1 ? `, attempt ${status.attempts}` : '';
          line.update(`${task.id.slice(0, 8)} ${status.status}${where}${retry} (${secs}s)`);
          await new Promise((r) => setTimeout(r, 250));
          status = await call('GET', `/api/tasks/${task.id}/status`);
        }
      } finally {
        process.off('SIGINT', onInterrupt);
      }

      const secs = ((Date.now() - started) / 1000).toFixed(1);
      if (status.status !== 'completed') {
        line.done(
          `Task ${task.id} ${status.status} after ${secs}s${status.error ? `: ${status.error}` : ''}`,
        );
        process.exitCode = 1;
        return;
      }
      line.done(`Task ${task.id} completed in ${secs}s${status.provider ? ` by ${status.provider}` : ''}`);
      const content = await call<{
        id: string;
        title: string;
        contentData: string;
        version: number;
        metadata: Record<string, unknown>;
      }>('GET', `/api/content/${status.contentId}`);
      if (o.json)
        process.stdout.write(`${JSON.stringify({ task: { ...task, ...status }, content }, null, 2)}\n`);
      else if (!printed) process.stdout.write(`\n${content.contentData}\n`);
    });
}
