-- Throttling is audited (issue 12). New enum labels get their own migration:
-- PostgreSQL lets a transaction add a label but not use it.
ALTER TYPE audit_action ADD VALUE 'security.throttled';
-- A client address (IPv4 or IPv6) that was throttled; no id of its own.
ALTER TYPE audit_target_kind ADD VALUE 'client_address';
