import { Entity } from '@backstage/catalog-model';
import { Link } from '@backstage/core-components';
import MuiLink from '@material-ui/core/Link';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Card from '@material-ui/core/Card';
import CardContent from '@material-ui/core/CardContent';
import Chip from '@material-ui/core/Chip';
import Divider from '@material-ui/core/Divider';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import Warning from '@material-ui/icons/Warning';
import { useState } from 'react';
import { deliveryApiRef, EnvironmentOverview, Promotion } from '../../api';
import { DeliveryPermissions } from '../../hooks/useDeliveryPermissions';
import { ActionDialog } from '../common/ActionDialog';
import { EvidenceBadges } from '../common/EvidenceBadges';
import {
  actorName,
  artifactLabel,
  commitUrl,
  formatSeconds,
  relativeTime,
  shortDigest,
} from '../common/format';
import { GateList } from '../common/GateList';
import { GuardedButton } from '../common/GuardedButton';
import { LiveStatus } from './LiveStatus';
import { PromotionStateChip, useToneClasses } from '../common/StatusChips';

const useStyles = makeStyles(theme => ({
  card: { height: '100%', display: 'flex', flexDirection: 'column' },
  section: { marginTop: theme.spacing(1.5), marginBottom: theme.spacing(1.5) },
  label: {
    textTransform: 'uppercase',
    letterSpacing: 0.5,
    fontSize: theme.typography.overline.fontSize,
    color: theme.palette.text.secondary,
    marginBottom: theme.spacing(0.5),
  },
  version: { fontWeight: theme.typography.fontWeightBold as number },
  mono: { fontFamily: 'monospace', fontSize: '0.85em' },
  actions: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
    marginTop: theme.spacing(1),
  },
  meta: { color: theme.palette.text.secondary },
  row: {
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
  },
}));

type Dialog =
  | { action: 'promote'; hotfix: boolean }
  | { action: 'approve' | 'reject' | 'abort' }
  | { action: 'rollback' }
  | { action: 'quarantine' };

export interface EnvironmentColumnProps {
  entity: Entity;
  componentRef: string;
  env: EnvironmentOverview;
  /** The environment before this one, where the candidate comes from. */
  previousTitle?: string;
  isProduction: boolean;
  permissions: DeliveryPermissions;
  onChanged(): void;
}

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

/** One environment of the ladder: its release, what is under way, what is next. */
export function EnvironmentColumn(props: EnvironmentColumnProps) {
  const { env, entity, componentRef, permissions, isProduction } = props;
  const classes = useStyles();
  const tone = useToneClasses();
  const deliveryApi = useApi(deliveryApiRef);
  const alertApi = useApi(alertApiRef);
  const [dialog, setDialog] = useState<Dialog>();
  const [showGates, setShowGates] = useState(false);
  const { environment, release, activePromotion, candidate, rollbackTarget } =
    env;
  const title = environment.title;

  const done = (message: string) => {
    alertApi.post({ message, severity: 'success', display: 'transient' });
    props.onChanged();
  };

  const failedGates =
    candidate?.gates.filter(g => g.verdict === 'failed') ?? [];
  const problems =
    candidate?.gates.filter(
      g => g.verdict === 'failed' || g.verdict === 'pending',
    ) ?? [];
  const onlyWindowBlocks =
    failedGates.length > 0 && failedGates.every(g => g.gate === 'window');
  let promoteBlocked = permissions.request.blockedBecause;
  if (!promoteBlocked && activePromotion) {
    promoteBlocked = `A promotion to ${title} is already under way`;
  } else if (!promoteBlocked && candidate?.decision === 'refused') {
    promoteBlocked = `Blocked: ${failedGates.map(g => g.message).join('; ')}`;
  }
  const approveBlocked =
    permissions.approve.blockedBecause ??
    (activePromotion?.viewer && !activePromotion.viewer.canApprove
      ? activePromotion.viewer.reason
      : undefined);

  return (
    <Card
      className={classes.card}
      variant="outlined"
      component="section"
      aria-label={title}
    >
      <CardContent>
        <Box display="flex" alignItems="center" justifyContent="space-between">
          <Typography variant="h6" component="h3">
            {title}
          </Typography>
          <Chip
            size="small"
            label={environment.strategy}
            aria-label={`Strategy ${environment.strategy}`}
          />
        </Box>
        <Typography variant="caption" className={classes.meta}>
          {[environment.cluster, environment.namespace]
            .filter(Boolean)
            .join(' / ')}
        </Typography>
        <LiveStatus live={env.live} drift={env.drift} />

        <div className={classes.section}>
          <div className={classes.label}>Released</div>
          {release ? (
            <>
              <Typography className={classes.version} component="div">
                <span>{artifactLabel(release.artifact)}</span>
                {release.kind !== 'normal' && (
                  <Chip
                    size="small"
                    label={release.kind}
                    style={{ marginLeft: 8 }}
                  />
                )}
              </Typography>
              <Typography
                variant="body2"
                className={classes.mono}
                title={release.artifact.digest}
              >
                {shortDigest(release.artifact.digest)}
              </Typography>
              <Typography variant="body2" className={classes.meta}>
                {(() => {
                  const url = commitUrl(entity, release.artifact.commitSha);
                  const sha = release.artifact.commitSha.slice(0, 8);
                  return url ? (
                    <Link to={url}>commit {sha}</Link>
                  ) : (
                    `commit ${sha}`
                  );
                })()}
                {release.artifact.buildUrl && (
                  <>
                    {' · '}
                    <Link to={release.artifact.buildUrl}>
                      build {release.artifact.buildId ?? ''}
                    </Link>
                  </>
                )}
              </Typography>
              <Typography variant="body2" className={classes.meta}>
                {relativeTime(release.releasedAt)} by{' '}
                {actorName(release.releasedBy)}
              </Typography>
              {release.quarantine && (
                <Typography variant="body2" className={tone.bad}>
                  <Warning fontSize="inherit" /> Quarantined by{' '}
                  {actorName(release.quarantine.quarantinedBy)}:{' '}
                  {release.quarantine.reason}
                </Typography>
              )}
              <Box mt={1}>
                <EvidenceBadges evidence={release.evidence ?? []} />
              </Box>
              <div className={classes.actions}>
                {rollbackTarget && (
                  <GuardedButton
                    blockedBecause={
                      permissions.rollback.blockedBecause ??
                      (activePromotion
                        ? `A promotion to ${title} is already under way`
                        : undefined)
                    }
                    onClick={() => setDialog({ action: 'rollback' })}
                  >
                    Roll back to {artifactLabel(rollbackTarget.artifact)}
                  </GuardedButton>
                )}
                {!release.quarantine && (
                  <GuardedButton
                    blockedBecause={permissions.quarantine.blockedBecause}
                    onClick={() => setDialog({ action: 'quarantine' })}
                  >
                    Quarantine
                  </GuardedButton>
                )}
              </div>
            </>
          ) : (
            <Typography variant="body2" className={classes.meta}>
              Nothing released in {title} yet
            </Typography>
          )}
        </div>

        {activePromotion && (
          <>
            <Divider />
            <div className={classes.section}>
              <div className={classes.label}>Under way</div>
              <div className={classes.row}>
                <PromotionStateChip state={activePromotion.state} />
                <Typography className={classes.version}>
                  {artifactLabel(activePromotion.artifact)}
                </Typography>
              </div>
              <Typography variant="body2" className={classes.meta}>
                {activePromotion.kind !== 'normal'
                  ? `${activePromotion.kind} `
                  : ''}
                requested {relativeTime(activePromotion.createdAt)} by{' '}
                {actorName(activePromotion.requestedBy)}
                {activePromotion.reason ? `: ${activePromotion.reason}` : ''}
              </Typography>
              {activePromotion.state === 'awaiting-approval' && (
                <ApprovalProgress promotion={activePromotion} />
              )}
              <div className={classes.actions}>
                {activePromotion.state === 'awaiting-approval' && (
                  <>
                    <GuardedButton
                      color="primary"
                      variant="contained"
                      blockedBecause={approveBlocked}
                      onClick={() => setDialog({ action: 'approve' })}
                    >
                      Approve
                    </GuardedButton>
                    <GuardedButton
                      blockedBecause={approveBlocked}
                      onClick={() => setDialog({ action: 'reject' })}
                    >
                      Reject
                    </GuardedButton>
                  </>
                )}
                <GuardedButton
                  blockedBecause={permissions.request.blockedBecause}
                  onClick={() => setDialog({ action: 'abort' })}
                >
                  Abort
                </GuardedButton>
              </div>
            </div>
          </>
        )}

        {candidate && (
          <>
            <Divider />
            <div className={classes.section}>
              <div className={classes.label}>
                Next{props.previousTitle ? ` from ${props.previousTitle}` : ''}
              </div>
              <Typography className={classes.version}>
                {artifactLabel(candidate.artifact)}{' '}
                <span className={classes.mono}>
                  {shortDigest(candidate.artifact.digest)}
                </span>
              </Typography>
              {candidate.soak && (
                <Box mt={0.5} mb={0.5}>
                  <LinearProgress
                    variant="determinate"
                    value={Math.min(
                      100,
                      (100 * candidate.soak.soakedSeconds) /
                        candidate.soak.requiredSeconds,
                    )}
                    aria-label={`Soak ${formatSeconds(
                      candidate.soak.soakedSeconds,
                    )} of ${formatSeconds(candidate.soak.requiredSeconds)}`}
                  />
                  <Typography variant="caption" className={classes.meta}>
                    Soaked {formatSeconds(candidate.soak.soakedSeconds)} of{' '}
                    {formatSeconds(candidate.soak.requiredSeconds)} in{' '}
                    {props.previousTitle}
                  </Typography>
                </Box>
              )}
              {problems.length > 0 || showGates ? (
                <GateList gates={candidate.gates} onlyProblems={!showGates} />
              ) : (
                <Typography variant="body2" className={tone.ok}>
                  All gates pass
                </Typography>
              )}
              <MuiLink
                component="button"
                variant="body2"
                onClick={() => setShowGates(v => !v)}
                aria-expanded={showGates}
              >
                {showGates
                  ? 'Show only what blocks'
                  : `Show all ${candidate.gates.length} gates`}
              </MuiLink>
              <div className={classes.actions}>
                <GuardedButton
                  color="primary"
                  blockedBecause={promoteBlocked}
                  onClick={() =>
                    setDialog({ action: 'promote', hotfix: false })
                  }
                >
                  Promote to {title}
                </GuardedButton>
                {onlyWindowBlocks && !activePromotion && (
                  <GuardedButton
                    blockedBecause={permissions.override.blockedBecause}
                    onClick={() =>
                      setDialog({ action: 'promote', hotfix: true })
                    }
                  >
                    Request hotfix
                  </GuardedButton>
                )}
              </div>
            </div>
          </>
        )}
      </CardContent>

      {candidate && dialog?.action === 'promote' && (
        <ActionDialog
          open
          title={`${dialog.hotfix ? 'Hotfix' : 'Promote'} ${artifactLabel(
            candidate.artifact,
          )} to ${title}`}
          confirmLabel={dialog.hotfix ? 'Request hotfix' : 'Promote'}
          production={isProduction}
          textLabel="Reason"
          textRequired={dialog.hotfix}
          onClose={() => setDialog(undefined)}
          onConfirm={async reason => {
            const promotion = await deliveryApi.requestPromotion({
              component: componentRef,
              digest: candidate.artifact.digest,
              environment: environment.name,
              kind: dialog.hotfix ? 'hotfix' : 'normal',
              reason: reason || undefined,
            });
            done(
              promotion.state === 'awaiting-approval'
                ? `Promotion to ${title} requested; it awaits approval`
                : `Promotion to ${title} approved; the pipeline can deploy it`,
            );
          }}
        >
          {dialog.hotfix && (
            <Typography variant="body2">
              A hotfix overrides {title}'s deploy windows and freezes. It is
              audited as critical.
            </Typography>
          )}
        </ActionDialog>
      )}
      {activePromotion &&
        dialog &&
        ['approve', 'reject', 'abort'].includes(dialog.action) && (
          <ActionDialog
            open
            title={`${dialog.action[0].toUpperCase()}${dialog.action.slice(
              1,
            )} the promotion of ${artifactLabel(
              activePromotion.artifact,
            )} to ${title}`}
            confirmLabel={
              dialog.action[0].toUpperCase() + dialog.action.slice(1)
            }
            production={isProduction}
            textLabel={dialog.action === 'abort' ? 'Reason' : 'Comment'}
            onClose={() => setDialog(undefined)}
            onConfirm={async text => {
              const note = text || undefined;
              if (dialog.action === 'approve') {
                const p = await deliveryApi.approve(activePromotion.id, note);
                done(
                  p.state === 'approved'
                    ? `Approved: ${title} can be deployed`
                    : 'Approval recorded',
                );
              } else if (dialog.action === 'reject') {
                await deliveryApi.reject(activePromotion.id, note);
                done('Promotion rejected');
              } else {
                await deliveryApi.abort(activePromotion.id, note);
                done('Promotion aborted');
              }
            }}
          >
            <GateList gates={activePromotion.gates} />
          </ActionDialog>
        )}
      {rollbackTarget && dialog?.action === 'rollback' && (
        <ActionDialog
          open
          title={`Roll ${title} back to ${artifactLabel(
            rollbackTarget.artifact,
          )}`}
          confirmLabel="Roll back"
          production={isProduction}
          textLabel="Reason"
          textRequired
          onClose={() => setDialog(undefined)}
          onConfirm={async reason => {
            await deliveryApi.rollback({
              component: componentRef,
              environment: environment.name,
              reason,
            });
            done(
              `Rollback of ${title} to ${artifactLabel(
                rollbackTarget.artifact,
              )} requested`,
            );
          }}
        >
          <Typography variant="body2">
            {artifactLabel(rollbackTarget.artifact)} (
            {shortDigest(rollbackTarget.artifact.digest)}) was released in{' '}
            {title} {relativeTime(rollbackTarget.releasedAt)}. Rollbacks skip
            the ladder, soak, evidence and window gates.
          </Typography>
        </ActionDialog>
      )}
      {release && dialog?.action === 'quarantine' && (
        <ActionDialog
          open
          title={`Quarantine ${artifactLabel(release.artifact)}`}
          confirmLabel="Quarantine"
          textLabel="Reason"
          textRequired
          onClose={() => setDialog(undefined)}
          onConfirm={async reason => {
            await deliveryApi.quarantine(release.artifact.id, reason);
            done(`${artifactLabel(release.artifact)} is quarantined`);
          }}
        >
          <Typography variant="body2">
            A quarantined build cannot be promoted anywhere; promotions of it
            that have not started deploying are aborted.
          </Typography>
        </ActionDialog>
      )}
    </Card>
  );
}
