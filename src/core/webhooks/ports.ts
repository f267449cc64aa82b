import type { Priority, TaskRecord } from '../tasks/types.js';

/** An inbound hook as stored. `secret` and `previousSecret` are SecretBox envelopes. */
export interface HookRecord {
  id: string;
  name: string;
  taskType: string;
  promptTemplate: string;
  priority: Priority;
  callbackUrl: string | null;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  status: 'active' | 'disabled';
  createdBy: string | null;
  /** The owning team (its admins manage the hook, its tasks are the team's); null = an admin's. */
  teamId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'refused';
export type CallbackEvent = 'task.completed' | 'task.failed' | 'task.cancelled';

/** One attempt of one outbound callback (a webhook_deliveries row). */
export interface DeliveryRecord {
  id: string;
  webhookId: string | null;
  taskId: string | null;
  url: string;
  event: string;
  attempt: number;
  status: DeliveryStatus;
  responseStatus: number | null;
  error: string | null;
  durationMs: number | null;
  createdAt: Date;
}

export type NewHook = Pick<
  HookRecord,
  'id' | 'name' | 'taskType' | 'promptTemplate' | 'priority' | 'callbackUrl' | 'secret'
> & { createdBy: string; teamId: string | null };

export interface WebhookStore {
  createHook(hook: NewHook): Promise<HookRecord>;
  getHook(id: string): Promise<HookRecord | null>;
  listHooks(q: {
    page: number;
    limit: number;
    teamId?: string;
  }): Promise<{ items: HookRecord[]; total: number }>;
  deleteHook(id: string): Promise<boolean>;
  /** Replaces the secret, keeping the old one as `previousSecret` until `previousSecretExpiresAt`. */
  rotateSecret(
    id: string,
    s: { secret: string; previousSecret: string; previousSecretExpiresAt: Date },
  ): Promise<HookRecord | null>;
  recordDelivery(d: Omit<DeliveryRecord, 'id' | 'createdAt'>): Promise<DeliveryRecord>;
  listDeliveries(q: {
    webhookId?: string;
    taskId?: string;
    page: number;
    limit: number;
  }): Promise<{ items: DeliveryRecord[]; total: number }>;
}

/** Where a task and its result are read from when a callback goes out (the tasks area's store fits). */
export interface CallbackTaskSource {
  get(id: string): Promise<TaskRecord | null>;
  contentOf(
    task: TaskRecord,
  ): Promise<{ id: string; title: string; contentData: string; version: number } | null>;
}

/** Who a GitHub sender is in Switchyard: a linked user, or a guest made for that identity. */
export interface IdentityDirectory {
  resolve(identity: {
    platform: 'github';
    platformUserId: string;
    displayName: string;
  }): Promise<{ userId: string; isGuest: boolean }>;
  /** A provider's id by its (case-insensitive) name, for `--provider NAME`. */
  providerIdByName(name: string): Promise<string | null>;
}
