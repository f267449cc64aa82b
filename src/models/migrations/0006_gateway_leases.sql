CREATE TABLE "gateway_leases" (
	"process_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"tokens" bigint DEFAULT 0 NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "gateway_leases_process_id_account_id_pk" PRIMARY KEY("process_id","account_id")
);
--> statement-breakpoint
ALTER TABLE "gateway_leases" ADD CONSTRAINT "gateway_leases_account_id_provider_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."provider_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "gateway_leases_heartbeat_idx" ON "gateway_leases" USING btree ("heartbeat_at");