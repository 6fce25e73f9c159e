import { Entity } from '@backstage/catalog-model';
import { Link } from '@backstage/core-components';
import { SafeLink } from '../common/SafeLink';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import Warning from '@material-ui/icons/Warning';
import { EnvironmentOverview } from '../../api';
import { DeliveryPermissions } from '../../hooks/useDeliveryPermissions';
import { EvidenceBadges } from '../common/EvidenceBadges';
import {
  actorName,
  artifactLabel,
  commitUrl,
  relativeTime,
  shortDigest,
} from '../common/format';
import { GuardedButton } from '../common/GuardedButton';
import { useToneClasses } from '../common/StatusChips';
import { useColumnStyles } from './columnStyles';
import { PromotionAction } from './usePromotionActions';

/** What an environment runs: its release, evidence, and roll back / quarantine. */
export function ReleasedSection(props: {
  entity: Entity;
  env: EnvironmentOverview;
  permissions: DeliveryPermissions;
  open(action: PromotionAction): void;
}) {
  const { entity, env, permissions, open } = props;
  const classes = useColumnStyles();
  const tone = useToneClasses();
  const { release, rollbackTarget, activePromotion } = env;
  const title = env.environment.title;
  if (!release) {
    return (
      <Typography variant="body2" className={classes.meta}>
        Nothing released in {title} yet
      </Typography>
    );
  }
  const url = commitUrl(entity, release.artifact.commitSha);
  const sha = release.artifact.commitSha.slice(0, 8);
  return (
    <>
      <Typography className={classes.version} component="div">
        <span>{artifactLabel(release.artifact)}</span>
        {release.kind !== 'normal' && (
          <Chip size="small" label={release.kind} style={{ marginLeft: 8 }} />
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
        {url ? <Link to={url}>commit {sha}</Link> : `commit ${sha}`}
        {release.artifact.buildUrl && (
          <>
            {' · '}
            <SafeLink to={release.artifact.buildUrl}>
              build {release.artifact.buildId ?? ''}
            </SafeLink>
          </>
        )}
      </Typography>
      <Typography variant="body2" className={classes.meta}>
        {relativeTime(release.releasedAt)} by {actorName(release.releasedBy)}
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
            onClick={() => open({ action: 'rollback' })}
          >
            Roll back to {artifactLabel(rollbackTarget.artifact)}
          </GuardedButton>
        )}
        {!release.quarantine && (
          <GuardedButton
            blockedBecause={permissions.quarantine.blockedBecause}
            onClick={() => open({ action: 'quarantine' })}
          >
            Quarantine
          </GuardedButton>
        )}
      </div>
    </>
  );
}
