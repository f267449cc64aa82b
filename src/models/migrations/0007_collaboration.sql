CREATE TABLE "content_comments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"content_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"author_id" uuid,
	"body" text NOT NULL,
	"quote" text,
	"parent_id" uuid,
	"resolved_at" timestamp with time zone,
	"resolved_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "content_review_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"content_id" uuid NOT NULL,
	"actor_id" uuid,
	"action" text NOT NULL,
	"from_state" text NOT NULL,
	"to_state" text NOT NULL,
	"version" integer NOT NULL,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "content_reviewers" (
	"content_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"decision" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "content_reviewers_content_id_user_id_pk" PRIMARY KEY("content_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"read_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "report_schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"team_id" uuid,
	"report" text NOT NULL,
	"group_by" text NOT NULL,
	"every" text NOT NULL,
	"deliver_to" jsonb NOT NULL,
	"last_sent_at" timestamp with time zone,
	"next_run_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "content" ADD COLUMN "review_state" text DEFAULT 'draft' NOT NULL;--> statement-breakpoint
ALTER TABLE "content" ADD COLUMN "published_version" integer;--> statement-breakpoint
ALTER TABLE "content_comments" ADD CONSTRAINT "content_comments_content_id_content_id_fk" FOREIGN KEY ("content_id") REFERENCES "public"."content"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "content_comments" ADD CONSTRAINT "content_comments_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "content_comments" ADD CONSTRAINT "content_comments_resolved_by_users_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "content_review_events" ADD CONSTRAINT "content_review_events_content_id_content_id_fk" FOREIGN KEY ("content_id") REFERENCES "public"."content"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "content_review_events" ADD CONSTRAINT "content_review_events_actor_id_users_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "content_reviewers" ADD CONSTRAINT "content_reviewers_content_id_content_id_fk" FOREIGN KEY ("content_id") REFERENCES "public"."content"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "content_reviewers" ADD CONSTRAINT "content_reviewers_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_schedules" ADD CONSTRAINT "report_schedules_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_schedules" ADD CONSTRAINT "report_schedules_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "content_comments_content_idx" ON "content_comments" USING btree ("content_id","created_at");--> statement-breakpoint
CREATE INDEX "content_comments_parent_idx" ON "content_comments" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "content_review_events_content_idx" ON "content_review_events" USING btree ("content_id","created_at");--> statement-breakpoint
CREATE INDEX "content_reviewers_user_idx" ON "content_reviewers" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "notifications_user_idx" ON "notifications" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "notifications_unread_idx" ON "notifications" USING btree ("user_id") WHERE "notifications"."read_at" IS NULL;--> statement-breakpoint
CREATE INDEX "report_schedules_due_idx" ON "report_schedules" USING btree ("next_run_at");--> statement-breakpoint
-- Hand-written: a new version of approved or published content returns it to draft (the published
-- version stays pinned), whoever appends it (an edit, a restore, the worker's regeneration).
CREATE OR REPLACE FUNCTION content_version_resets_review() RETURNS trigger AS $$
DECLARE prev text;
BEGIN
  SELECT review_state INTO prev FROM content WHERE id = NEW.content_id;
  IF prev IN ('approved', 'published') AND NEW.version > 1 THEN
    UPDATE content SET review_state = 'draft' WHERE id = NEW.content_id;
    INSERT INTO content_review_events (content_id, actor_id, action, from_state, to_state, version)
    VALUES (NEW.content_id, NEW.created_by, 'reset_by_edit', prev, 'draft', NEW.version);
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER content_versions_reset_review AFTER INSERT ON content_versions
  FOR EACH ROW EXECUTE FUNCTION content_version_resets_review();
--> statement-breakpoint
-- Hand-written: usage reports scan a date range of tasks; this index answers them without the heap.
CREATE INDEX "tasks_report_idx" ON "tasks" USING btree ("created_at")
  INCLUDE ("id", "user_id", "team_id", "status", "source", "task_type", "started_at", "completed_at");
--> statement-breakpoint
-- Hand-written: a content item's audited exports and shares for its activity timeline.
CREATE INDEX "audit_log_content_target_idx" ON "audit_log" USING btree ("target_id", "at")
  WHERE "target_type" = 'content';
--> statement-breakpoint
-- Hand-written: each task's attempts (tokens, provider) for reports, read from the index alone.
CREATE INDEX "task_assignments_report_idx" ON "task_assignments" USING btree ("task_id")
  INCLUDE ("tokens_used", "provider_name", "created_at");
