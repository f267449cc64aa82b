-- A budget added or removed, or its limits, action, period or scope changed, is heard by every
-- process (src/models/cacheBus.ts, payload 'budgets'): the gateway's leases on budgets go back, so
-- the next call leases against the new limits. Reservations and settlements (which set only the
-- reserved/spent columns and resets_at) notify nothing.
CREATE TRIGGER budgets_cache_notify AFTER INSERT OR DELETE OR TRUNCATE
  OR UPDATE OF limit_micros, limit_tokens, action, period, time_zone, scope, scope_id ON budgets
  FOR EACH STATEMENT EXECUTE FUNCTION switchyard_cache_notify_table('budgets');
