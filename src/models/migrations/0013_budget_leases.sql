CREATE TABLE "budget_leases" (
	"process_id" uuid NOT NULL,
	"budget_id" uuid NOT NULL,
	"micros" bigint DEFAULT 0 NOT NULL,
	"tokens" bigint DEFAULT 0 NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budget_leases_process_id_budget_id_pk" PRIMARY KEY("process_id","budget_id")
);
--> statement-breakpoint
ALTER TABLE "gateway_leases" ADD COLUMN "micros" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "budget_leases" ADD CONSTRAINT "budget_leases_budget_id_budgets_id_fk" FOREIGN KEY ("budget_id") REFERENCES "public"."budgets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "budget_leases_heartbeat_idx" ON "budget_leases" USING btree ("heartbeat_at");