import { z } from 'zod';

/** Admin-editable settings: each key has a schema and a default. Unknown keys are rejected. */
export const settingSchemas = {
  registration: z.enum(['open', 'closed']),
  'chat.requireLinkedAccount': z.boolean(),
  'chat.rateLimitPerMinute': z.number().int().min(1).max(1000),
  'tasks.defaultPriority': z.enum(['low', 'normal', 'high', 'urgent']),
  'shares.defaultExpiresInHours': z.number().int().min(1).max(720),
  /** Off: password sign-in and registration are refused; sign-in with an identity provider still works. */
  'auth.passwordLogin': z.boolean(),
  /** When non-empty, only verified e-mail addresses at these domains may sign up with an identity provider. */
  'auth.allowedEmailDomains': z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'a domain such as example.com'),
    )
    .max(100),
  /** The id of the team that new SSO users join (empty = none). */
  'auth.defaultTeam': z.union([z.literal(''), z.string().trim().uuid('a team id')]),
} as const;

export type SettingKey = keyof typeof settingSchemas;
export type Settings = { [K in SettingKey]: z.infer<(typeof settingSchemas)[K]> };

export const settingDefaults: Settings = {
  registration: 'open',
  'chat.requireLinkedAccount': false,
  'chat.rateLimitPerMinute': 20,
  'tasks.defaultPriority': 'normal',
  'shares.defaultExpiresInHours': 72,
  'auth.passwordLogin': true,
  'auth.allowedEmailDomains': [],
  'auth.defaultTeam': '',
};

export const settingsUpdateSchema = z
  .object(
    Object.fromEntries(Object.entries(settingSchemas).map(([k, s]) => [k, s.optional()])) as {
      [K in SettingKey]: z.ZodOptional<(typeof settingSchemas)[K]>;
    },
  )
  .strict();

export interface SettingsStore {
  getAll(): Promise<Settings>;
  get<K extends SettingKey>(key: K): Promise<Settings[K]>;
  set(values: Partial<Settings>, actorId: string | null): Promise<Settings>;
}
