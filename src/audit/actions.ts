/**
 * Every action the code writes to the audit trail. recordAudit and refused attempts take only these, so
 * the compiler keeps the list complete, and GET /api/v1/audit-events/actions offers it to the audit
 * trail's action filter. Rows written by older versions may carry actions no longer listed here; the
 * filter still finds them by name.
 */
export const AUDIT_ACTIONS = [
  'audit.refusals_suppressed',
  'audit.refusals_throttled',
  'auth.challenge_exhausted',
  'auth.code_failed',
  'auth.code_sent',
  'auth.login',
  'auth.password_changed',
  'auth.password_reset',
  'auth.password_reset_confirmed',
  'auth.password_reset_requested',
  'auth.signup',
  'auth.step_up',
  'auth.step_up_refused',
  'contract.visibility_change_refused',
  'contract.visibility_changed',
  'document.downloaded',
  'group.created',
  'group.deleted',
  'group.member_add_refused',
  'group.member_added',
  'group.member_remove_refused',
  'group.member_removed',
  'group.renamed',
  'group.updated',
  'invitation.accepted',
  'invitation.created',
  'invitation.refused',
  'session.ended',
  'user.contracts_handed_over',
  'user.phone_change_old_number_verified',
  'user.phone_change_started',
  'user.phone_changed',
  'user.renamed',
  'user.revoke_refused',
  'user.revoked',
  'user.role_change_refused',
  'user.role_changed',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
