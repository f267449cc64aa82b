import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

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

export function buildOpenApiDocument(registry: OpenAPIRegistry, serverUrl?: string) {
  const generator = new OpenApiGeneratorV31(registry.definitions);
  return generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Switchyard API',
      version: '0.1.0',
      description:
        'Chat-bot and webhook hub for AI content generation. Errors: {"error":{"code","message","details?"}}.',
    },
    servers: serverUrl ? [{ url: serverUrl }] : [],
  });
}
