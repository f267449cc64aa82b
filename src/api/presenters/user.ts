import { z } from 'zod';
import type { UserRecord } from '../../core/auth/authService.js';

export const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  role: z.enum(['admin', 'user']),
  status: z.enum(['active', 'suspended']),
  isGuest: z.boolean(),
  estimateConfirmThresholdMicros: z
    .number()
    .int()
    .nullable()
    .describe(
      'Above this estimate (integer micro-dollars) the portal and chat `generate` ask before running a task; null: the server default (ESTIMATE_CONFIRM_THRESHOLD_MICROS)',
    ),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastLogin: z.string().nullable(),
});

/** Whitelists the fields a client may see: never the password hash. */
export function presentUser(u: UserRecord): z.infer<typeof userSchema> {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    role: u.role,
    status: u.status,
    isGuest: u.isGuest,
    estimateConfirmThresholdMicros: u.estimateConfirmThresholdMicros ?? null,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
    lastLogin: u.lastLogin ? u.lastLogin.toISOString() : null,
  };
}
