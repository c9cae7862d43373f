-- Single sign-on is audited (issue 13). New enum labels get their own
-- migration: PostgreSQL lets a transaction add a label but not use it.
ALTER TYPE audit_action ADD VALUE 'sso.identity_bound';
ALTER TYPE audit_action ADD VALUE 'sso.identity_unlinked';
ALTER TYPE audit_action ADD VALUE 'sso.refused';
ALTER TYPE audit_action ADD VALUE 'sso.settings_changed';
ALTER TYPE audit_action ADD VALUE 'account.sign_in_method_changed';
