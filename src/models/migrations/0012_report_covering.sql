-- Hand-written: usage reports read tasks' settled cost too (spend control added `cost_micros` after
-- 0007), so the covering index of a date range of tasks carries it, for an index-only scan again.
DROP INDEX IF EXISTS "tasks_report_idx";
--> statement-breakpoint
CREATE INDEX "tasks_report_idx" ON "tasks" USING btree ("created_at")
  INCLUDE ("id", "user_id", "team_id", "status", "source", "task_type", "started_at", "completed_at", "cost_micros");
--> statement-breakpoint
-- Hand-written: the attempts made since a date (an attempt is never recorded before its task), so a
-- report hashes one window of attempts instead of probing each task's attempts one by one.
CREATE INDEX "task_assignments_created_idx" ON "task_assignments" USING btree ("created_at")
  INCLUDE ("task_id", "tokens_used", "provider_name");
