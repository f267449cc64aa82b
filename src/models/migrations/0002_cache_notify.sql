-- In-process caches (src/models/cacheBus.ts) are invalidated across processes by NOTIFY on one
-- channel. Triggers send it, so every write path (API, CLI, scripts, bootstrap) notifies, and only
-- at commit: a rolled-back write notifies nothing. Payloads: 'user:<id>' (the user, its sessions or
-- its API tokens changed), 'providers', 'settings'. Budgets (token_used/token_reserved/token_limit)
-- and provider health are not cached, so their writes notify nothing.
CREATE FUNCTION switchyard_cache_notify_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    PERFORM pg_notify('switchyard_cache', 'user:' || OLD.id);
  ELSE
    PERFORM pg_notify('switchyard_cache', 'user:' || OLD.user_id);
    IF TG_OP = 'UPDATE' AND NEW.user_id IS DISTINCT FROM OLD.user_id THEN
      PERFORM pg_notify('switchyard_cache', 'user:' || NEW.user_id);
    END IF;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION switchyard_cache_notify_table() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('switchyard_cache', TG_ARGV[0]);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER users_cache_notify AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION switchyard_cache_notify_user();
--> statement-breakpoint
CREATE TRIGGER sessions_cache_notify AFTER UPDATE OF revoked_at, user_id OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION switchyard_cache_notify_user();
--> statement-breakpoint
CREATE TRIGGER api_tokens_cache_notify AFTER UPDATE OF revoked_at, expires_at, user_id, token_hash OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION switchyard_cache_notify_user();
--> statement-breakpoint
CREATE TRIGGER ai_providers_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ai_providers
  FOR EACH STATEMENT EXECUTE FUNCTION switchyard_cache_notify_table('providers');
--> statement-breakpoint
CREATE TRIGGER provider_accounts_cache_notify AFTER INSERT OR DELETE OR TRUNCATE
  OR UPDATE OF status, credentials, account_name, provider_id, created_at ON provider_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION switchyard_cache_notify_table('providers');
--> statement-breakpoint
CREATE TRIGGER settings_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings
  FOR EACH STATEMENT EXECUTE FUNCTION switchyard_cache_notify_table('settings');
