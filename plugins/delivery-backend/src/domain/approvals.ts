import type { EnvironmentConfig } from '../config/types';
import { listInWords } from './describe';
import { describeInvolvement, outsideTeams } from './people';
import type { Actor, Approval, Promotion } from './types';

/** Whether the viewer may decide a promotion's approval, and if not, why. */
export type ApprovalEligibility =
  | { allowed: true }
  | { allowed: false; reason: string };

/**
 * Whether an actor may decide a promotion's approval, and if not, why: the
 * rules of separation of duties, shared by the API (which refuses) and the
 * UI (which disables the buttons and says why). Only users decide, never the
 * people behind the change (the requester, who started the pipeline run, the
 * commit author), only members of the environment's approver groups, once
 * each; where configured, the approvals must include someone on none of the
 * committing teams, so the last one cannot come from that team.
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
  const involved =
    actor.ref === promotion.requestedBy
      ? { ref: actor.ref, role: 'requester' as const }
      : promotion.people?.find(p => p.ref === actor.ref);
  if (involved) {
    return {
      allowed: false,
      reason: `${describeInvolvement(
        involved,
      )} and cannot approve or reject it; another member of the approver groups must`,
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
  const teams = promotion.committingTeams ?? [];
  if (
    environment?.approvals.outsideCommittingTeam &&
    !outsideTeams(actor.ownershipRefs, teams) &&
    !approvals.some(a => a.decision === 'approve' && a.outsideCommittingTeam) &&
    approvals.filter(a => a.decision === 'approve').length + 1 >=
      promotion.requiredApprovals
  ) {
    return {
      allowed: false,
      reason: `The approvals for ${
        promotion.environment
      } must include someone outside the committing team (${listInWords(
        teams,
      )}); ${actor.ref} is on it, so someone from another team must decide`,
    };
  }
  return { allowed: true };
}

/**
 * Whether the approvals recorded so far complete a promotion's approval:
 * enough of them, and one from outside the committing team where the
 * environment asks for it.
 */
export function approvalsComplete(
  promotion: Promotion,
  approvals: Approval[],
  environment: EnvironmentConfig | undefined,
): boolean {
  const approved = approvals.filter(a => a.decision === 'approve');
  return (
    approved.length >= promotion.requiredApprovals &&
    (!environment?.approvals.outsideCommittingTeam ||
      promotion.requiredApprovals === 0 ||
      approved.some(a => a.outsideCommittingTeam))
  );
}
