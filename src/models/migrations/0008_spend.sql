CREATE TABLE "budget_alerts" (
	"budget_id" uuid NOT NULL,
	"period_key" text NOT NULL,
	"threshold" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budget_alerts_budget_id_period_key_threshold_pk" PRIMARY KEY("budget_id","period_key","threshold")
);
--> statement-breakpoint
CREATE TABLE "budget_reservations" (
	"budget_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"reserved_micros" bigint NOT NULL,
	"reserved_tokens" bigint NOT NULL,
	"actual_micros" bigint,
	"actual_tokens" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone,
	CONSTRAINT "budget_reservations_budget_id_task_id_pk" PRIMARY KEY("budget_id","task_id")
);
--> statement-breakpoint
CREATE TABLE "budgets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"scope" text NOT NULL,
	"scope_id" uuid NOT NULL,
	"team_id" uuid,
	"owner_user_id" uuid,
	"name" text,
	"limit_micros" bigint,
	"limit_tokens" bigint,
	"period" text NOT NULL,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"action" text DEFAULT 'block' NOT NULL,
	"alert_thresholds" jsonb DEFAULT '[50,80,100]'::jsonb NOT NULL,
	"alert_targets" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"spent_micros" bigint DEFAULT 0 NOT NULL,
	"spent_tokens" bigint DEFAULT 0 NOT NULL,
	"reserved_micros" bigint DEFAULT 0 NOT NULL,
	"reserved_tokens" bigint DEFAULT 0 NOT NULL,
	"resets_at" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "price_overrides" (
	"provider_kind" text NOT NULL,
	"model" text NOT NULL,
	"input_per_mtok_usd" double precision NOT NULL,
	"output_per_mtok_usd" double precision NOT NULL,
	"cached_input_per_mtok_usd" double precision,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "price_overrides_provider_kind_model_pk" PRIMARY KEY("provider_kind","model")
);
--> statement-breakpoint
ALTER TABLE "provider_accounts" ADD COLUMN "spent_micros" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "task_assignments" ADD COLUMN "cost_micros" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "task_assignments" ADD COLUMN "micros_reserved" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "cost_micros" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "estimated_cost_micros" bigint;--> statement-breakpoint
ALTER TABLE "budget_alerts" ADD CONSTRAINT "budget_alerts_budget_id_budgets_id_fk" FOREIGN KEY ("budget_id") REFERENCES "public"."budgets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_reservations" ADD CONSTRAINT "budget_reservations_budget_id_budgets_id_fk" FOREIGN KEY ("budget_id") REFERENCES "public"."budgets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_reservations" ADD CONSTRAINT "budget_reservations_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_owner_user_id_users_id_fk" FOREIGN KEY ("owner_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_overrides" ADD CONSTRAINT "price_overrides_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "budget_reservations_task_idx" ON "budget_reservations" USING btree ("task_id");--> statement-breakpoint
CREATE INDEX "budget_reservations_settled_idx" ON "budget_reservations" USING btree ("budget_id","settled_at");--> statement-breakpoint
CREATE INDEX "budgets_scope_idx" ON "budgets" USING btree ("scope","scope_id");--> statement-breakpoint
CREATE INDEX "budgets_team_idx" ON "budgets" USING btree ("team_id");--> statement-breakpoint
CREATE INDEX "budgets_owner_idx" ON "budgets" USING btree ("owner_user_id");--> statement-breakpoint
-- The end of the calendar period containing `at`, in time zone `tz` (null for 'total').
CREATE OR REPLACE FUNCTION budget_period_end(period text, tz text, at timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT CASE period
    WHEN 'daily' THEN (date_trunc('day', at AT TIME ZONE tz) + interval '1 day') AT TIME ZONE tz
    WHEN 'weekly' THEN (date_trunc('week', at AT TIME ZONE tz) + interval '1 week') AT TIME ZONE tz
    WHEN 'monthly' THEN (date_trunc('month', at AT TIME ZONE tz) + interval '1 month') AT TIME ZONE tz
    ELSE NULL
  END
$$;
