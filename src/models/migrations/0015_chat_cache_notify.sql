-- Chat intake's caches (src/models/chatCache.ts) hear of changes from every process. An identity
-- moved to another user (linking) or removed (unlinking) notifies its old and new user's tag
-- ('user:<id>', as sessions and API tokens do); a chat workspace attached to or detached from a team
-- notifies 'chat_workspaces'. A new identity notifies nothing: it was never cached.
CREATE TRIGGER chat_identities_cache_notify AFTER UPDATE OR DELETE ON chat_identities
  FOR EACH ROW EXECUTE FUNCTION switchyard_cache_notify_user();
--> statement-breakpoint
CREATE TRIGGER chat_identities_truncate_cache_notify AFTER TRUNCATE ON chat_identities
  FOR EACH STATEMENT EXECUTE FUNCTION switchyard_cache_notify_table('chat_identities');
--> statement-breakpoint
CREATE TRIGGER chat_workspaces_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat_workspaces
  FOR EACH STATEMENT EXECUTE FUNCTION switchyard_cache_notify_table('chat_workspaces');
