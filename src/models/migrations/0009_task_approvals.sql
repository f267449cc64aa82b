CREATE TABLE "task_approvals" (
	"task_id" uuid PRIMARY KEY NOT NULL,
	"budgets" jsonb NOT NULL,
	"estimated_micros" bigint NOT NULL,
	"estimated_tokens" bigint NOT NULL,
	"api_token_id" uuid,
	"expires_at" timestamp with time zone NOT NULL,
	"decision" text,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "task_approvals" ADD CONSTRAINT "task_approvals_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_approvals" ADD CONSTRAINT "task_approvals_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "task_approvals_waiting_idx" ON "task_approvals" USING btree ("expires_at") WHERE decision IS NULL;