import type { EnvironmentConfig } from '../config/types';
import { listInWords } from './describe';
import type { Actor, Approval, Promotion } from './types';

/** Whether the viewer may decide a promotion's approval, and if not, why. */
export type ApprovalEligibility =
  | { allowed: true }
  | { allowed: false; reason: string };

/**
 * Whether an actor may decide a promotion's approval, and if not, why: the
 * rules of separation of duties, shared by the API (which refuses) and the
 * UI (which disables the buttons and says why). Only users decide, never the
 * requester, only members of the environment's approver groups, once each.
 */
export function approvalEligibility(
  actor: Actor,
  promotion: Promotion,
  approvals: Approval[],
  environment: EnvironmentConfig | undefined,
): ApprovalEligibility {
  if (actor.type !== 'user') {
    return {
      allowed: false,
      reason: 'Only users can approve or reject promotions',
    };
  }
  if (actor.ref === promotion.requestedBy) {
    return {
      allowed: false,
      reason: `${actor.ref} requested this promotion and cannot approve or reject it; another member of the approver groups must`,
    };
  }
  const groups = environment?.approvals.groups ?? [];
  if (!groups.some(g => actor.ownershipRefs.includes(g))) {
    return {
      allowed: false,
      reason: `Only members of ${
        listInWords(groups) || 'the configured approver groups'
      } may approve promotions to ${promotion.environment}; ${
        actor.ref
      } is not one`,
    };
  }
  if (approvals.some(a => a.approverRef === actor.ref)) {
    return {
      allowed: false,
      reason: `${actor.ref} has already decided on this promotion`,
    };
  }
  return { allowed: true };
}

/** Whether the approvals recorded so far complete a promotion's approval. */
export function approvalsComplete(
  promotion: Promotion,
  approvals: Approval[],
): boolean {
  return (
    approvals.filter(a => a.decision === 'approve').length >=
    promotion.requiredApprovals
  );
}
