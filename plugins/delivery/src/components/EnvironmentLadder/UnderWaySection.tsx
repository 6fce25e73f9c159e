import Typography from '@material-ui/core/Typography';
import { Promotion } from '../../api';
import { DeliveryPermissions } from '../../hooks/useDeliveryPermissions';
import { actorName, artifactLabel, relativeTime } from '../common/format';
import { GuardedButton } from '../common/GuardedButton';
import { StateChip } from '../common/StatusChips';
import { useColumnStyles } from './columnStyles';
import { ExecutionProgress } from './ExecutionProgress';
import { PromotionAction } from './usePromotionActions';

function ApprovalProgress(props: { promotion: Promotion }) {
  const { approvals } = props.promotion;
  return (
    <Typography variant="body2">
      {approvals.received} of {approvals.required} approvals
      {approvals.decisions.length > 0 &&
        ` (${approvals.decisions
          .map(
            d => `${d.decision === 'approve' ? '✓' : '✗'} ${actorName(d.by)}`,
          )
          .join(', ')})`}
    </Typography>
  );
}

/** The promotion under way into an environment: its state, approvals, and decisions on it. */
export function UnderWaySection(props: {
  promotion: Promotion;
  permissions: DeliveryPermissions;
  open(action: PromotionAction): void;
}) {
  const { promotion, permissions, open } = props;
  const classes = useColumnStyles();
  const approveBlocked =
    permissions.approve.blockedBecause ??
    (promotion.viewer && !promotion.viewer.canApprove
      ? promotion.viewer.reason
      : undefined);
  const awaiting = promotion.state === 'awaiting-approval';
  return (
    <>
      <div className={classes.row} id={`promotion-${promotion.id}`}>
        <StateChip promotion={promotion.state} />
        <Typography className={classes.version}>
          {artifactLabel(promotion.artifact)}
        </Typography>
      </div>
      <Typography variant="body2" className={classes.meta}>
        {promotion.kind !== 'normal' ? `${promotion.kind} ` : ''}
        requested {relativeTime(promotion.createdAt)} by{' '}
        {actorName(promotion.requestedBy)}
        {promotion.reason ? `: ${promotion.reason}` : ''}
      </Typography>
      {peopleBehind(promotion) && (
        <Typography variant="body2" className={classes.meta}>
          {peopleBehind(promotion)}
        </Typography>
      )}
      {awaiting && <ApprovalProgress promotion={promotion} />}
      {promotion.deployment && (
        <ExecutionProgress deployment={promotion.deployment} />
      )}
      <div className={classes.actions}>
        {awaiting && (
          <>
            <GuardedButton
              color="primary"
              variant="contained"
              blockedBecause={approveBlocked}
              onClick={() => open({ action: 'approve' })}
            >
              Approve
            </GuardedButton>
            <GuardedButton
              blockedBecause={approveBlocked}
              onClick={() => open({ action: 'reject' })}
            >
              Reject
            </GuardedButton>
          </>
        )}
        <GuardedButton
          // The backend decides exactly: requesters abort their own requests
          // before they execute; anything else takes the abort permission.
          blockedBecause={
            permissions.request.allowed || permissions.abort.allowed
              ? undefined
              : permissions.abort.blockedBecause
          }
          onClick={() => open({ action: 'abort' })}
        >
          Abort
        </GuardedButton>
      </div>
      {promotion.deployment?.progress.rollouts?.some(r => !r.native) &&
      (promotion.state === 'deploying' || promotion.state === 'verifying') ? (
        <div className={classes.actions} aria-label="Argo Rollout">
          <GuardedButton
            blockedBecause={permissions.request.blockedBecause}
            onClick={() => open({ action: 'rollout', rollout: 'promote' })}
          >
            Promote step
          </GuardedButton>
          <GuardedButton
            blockedBecause={permissions.request.blockedBecause}
            onClick={() => open({ action: 'rollout', rollout: 'promote-full' })}
          >
            Promote fully
          </GuardedButton>
          <GuardedButton
            blockedBecause={permissions.abort.blockedBecause}
            onClick={() => open({ action: 'rollout', rollout: 'abort' })}
          >
            Abort rollout
          </GuardedButton>
        </div>
      ) : null}
    </>
  );
}

const ROLE_WORDS: Record<string, string> = {
  'triggered-by': 'pushed or started the run',
  'commit-author': 'commit author',
};

/** Who is behind a CI-requested change (they may not approve it), in words. */
function peopleBehind(promotion: Promotion): string | undefined {
  const roles = new Map<string, string[]>();
  for (const p of promotion.people ?? []) {
    if (p.role === 'requester') continue;
    roles.set(p.ref, [
      ...(roles.get(p.ref) ?? []),
      ROLE_WORDS[p.role] ?? p.role,
    ]);
  }
  if (roles.size === 0) return undefined;
  return `Behind it, and so not an approver: ${[...roles]
    .map(([ref, what]) => `${actorName(ref)} (${what.join(', ')})`)
    .join('; ')}`;
}
