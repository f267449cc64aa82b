import { type Env, mockProviderEnabled } from '../env.js';

/** What the banner reports; each line is on or off. */
export interface BannerFacts {
  env: Env;
  roles: Iterable<string>;
  apiUrl?: string;
  databaseLabel: string;
  workers: boolean;
  metricsPort?: number;
  chat: string;
  webhooks: string;
}

/** Human-readable lines describing what runs (the start-up banner). */
export function bannerText({
  env,
  roles,
  apiUrl,
  databaseLabel,
  workers,
  metricsPort,
  chat,
  webhooks,
}: BannerFacts): string {
  const lines = [
    'Switchyard is running',
    `  roles:     ${[...roles].join(', ')}`,
    apiUrl ? `  API:       ${apiUrl}/api  (docs: ${apiUrl}/api/docs)` : '  API:       off',
    apiUrl ? `  portal:    ${apiUrl}/` : undefined,
    apiUrl
      ? `  gateway:   ${apiUrl}/v1  (OpenAI-compatible; API key = a personal or team API token)`
      : undefined,
    `  database:  ${databaseLabel}`,
    `  worker:    ${workers ? `on (${env.WORKER_CONCURRENCY} tasks at a time)` : 'off'}`,
    metricsPort !== undefined ? `  metrics:   http://${env.HOST}:${metricsPort}/metrics` : undefined,
    `  providers: ${providersLine(env)}`,
    `  chat:      ${chat}`,
    `  webhooks:  ${webhooks}`,
  ];
  return lines.filter(Boolean).join('\n');
}

function providersLine(env: Env): string {
  const keys = [
    env.OPENAI_API_KEY && 'openai',
    env.ANTHROPIC_API_KEY && 'anthropic',
    env.XAI_API_KEY && 'xai',
    env.MANUS_API_KEY && 'manus',
  ].filter(Boolean);
  return `${mockProviderEnabled(env) ? 'mock (built-in, no AI keys needed)' : 'mock off'}${keys.map((s) => `, ${s}`).join('')}`;
}
