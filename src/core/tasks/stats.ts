import type { TaskStatus } from './types.js';

/** GET /api/admin/stats: what the admin dashboard shows. */
export interface AdminStats {
  users: { total: number };
  tasks: {
    total: number;
    byStatus: Record<string, number>;
    byType: Record<string, number>;
    bySource: Record<string, number>;
  };
  providers: Array<{
    id: string;
    name: string;
    tasksCompleted: number;
    tasksFailed: number;
    tokensUsed: number;
    errorRate: number;
    p50LatencyMs: number | null;
  }>;
  queue: { queued: number; running: number; failed: number };
  /** Tasks created per UTC day, by status (for the portal's chart). */
  tasksOverTime: Array<{ date: string; total: number } & Partial<Record<TaskStatus, number>>>;
}

export interface StatsReader {
  /** Counts since `since` (all time when unset); the queue figures are always current. */
  adminStats(since?: Date): Promise<AdminStats>;
}
