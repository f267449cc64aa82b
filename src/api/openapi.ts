import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { operationIdFor } from './operationId.js';

/**
 * The OpenAPI document is generated from the same zod schemas the routes validate with: every
 * route is declared through src/api/route.ts, which registers it here.
 */
export function createOpenApiRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A JWT access token from /api/auth/login, or a personal API token (sy_pat_…)',
  });
  return registry;
}

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

/** A documented error answer: `description` and the one error body. */
export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorBodySchema } },
});

/** Every tag an operation may carry, declared once with a description (Spectral's operation-tag-defined). */
const TAGS: Record<string, string> = {
  Health: 'Liveness, readiness and metrics',
  Auth: 'Accounts, sessions and personal API tokens',
  Tasks: 'Content-generation tasks and their routing decisions',
  Content: 'Versioned content, export and share links',
  Providers: 'AI providers and their accounts',
  Admin: 'Users, settings, audit log and statistics (admins)',
  'Account linking': 'Link chat identities to a Switchyard account',
  Webhooks: 'Signed inbound hooks and their callbacks',
  Gateway: "OpenAI-compatible gateway at /v1 (API key: a personal API token; errors in OpenAI's shape)",
  Teams: 'Teams, members, invites and chat workspaces owned by teams',
  Collaboration: 'Comments, review decisions and activity on content, and the notifications they send',
  Reports: 'Usage and failure reports over a date range, and report deliveries on a schedule',
  Spend: 'Model prices, money and token budgets with their forecasts, and tasks a budget holds for approval',
  'Inbound integrations':
    'Signature-verified endpoints that chat platforms call (events, commands, interactions)',
};

/**
 * zod-to-openapi turns a regex with flags into `source/flags` (it strips only the slashes of
 * `toString()`); JSON Schema patterns are ECMA-262 and carry no flags, so drop them.
 */
function stripRegexFlags(node: unknown): void {
  if (Array.isArray(node)) for (const v of node) stripRegexFlags(v);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    for (const [k, v] of Object.entries(o)) {
      if (k === 'pattern' && typeof v === 'string') o[k] = v.replace(/(?<!\\)\/[dgimsuvy]+$/, '');
      else stripRegexFlags(v);
    }
  }
}

export function buildOpenApiDocument(registry: OpenAPIRegistry, serverUrl?: string) {
  const used = new Set<string>();
  for (const d of registry.definitions) {
    if (d.type !== 'route') continue;
    d.route.operationId ??= operationIdFor(d.route.method, d.route.path.replace(/\{([^}]+)\}/g, ':$1'));
    for (const t of d.route.tags ?? []) used.add(t);
  }
  const generator = new OpenApiGeneratorV31(registry.definitions);
  const doc = generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Switchyard API',
      version: '0.1.0',
      description:
        'Chat-bot and webhook hub for AI content generation. Errors: {"error":{"code","message","details?"}}.',
      contact: { name: 'Switchyard maintainers' },
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: serverUrl ? [{ url: serverUrl }] : [],
    tags: [...used].sort().map((name) => ({ name, description: TAGS[name] ?? name })),
  });
  stripRegexFlags(doc);
  return doc;
}
