import { z } from 'zod';

/** Shared request/response schemas used by many routes. */
export const idParams = z.object({ id: z.uuid('must be a UUID') });

export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export function listSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), page: z.number(), limit: z.number(), total: z.number() });
}

export const isoDate = z.string().describe('ISO-8601 UTC timestamp');
