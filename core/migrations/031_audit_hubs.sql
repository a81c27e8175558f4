-- 031: an audit row names the hub of the record written (issue 20): a hub's admins read the audit rows of their hubs'
-- records only, the top hub's admins every row (core.platform.users.audit_hubs). Rows written before carry none (the
-- whole install's, read by the top hub's admins); a row's hub is part of its keyed hash (core.platform.audit).
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS hub_id BIGINT;
