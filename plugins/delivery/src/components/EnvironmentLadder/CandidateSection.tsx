import MuiLink from '@material-ui/core/Link';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import { EnvironmentOverview } from '../../api';
import { DeliveryPermissions } from '../../hooks/useDeliveryPermissions';
import { artifactLabel, formatSeconds, shortDigest } from '../common/format';
import { GateList } from '../common/GateList';
import { GuardedButton } from '../common/GuardedButton';
import { useToneClasses } from '../common/StatusChips';
import { useColumnStyles } from './columnStyles';
import { PromotionAction } from './usePromotionActions';

type Candidate = NonNullable<EnvironmentOverview['candidate']>;

function SoakProgress(props: {
  soak: NonNullable<Candidate['soak']>;
  previousTitle?: string;
}) {
  const classes = useColumnStyles();
  const { soakedSeconds, requiredSeconds } = props.soak;
  return (
    <Box mt={0.5} mb={0.5}>
      <LinearProgress
        variant="determinate"
        value={Math.min(100, (100 * soakedSeconds) / requiredSeconds)}
        aria-label={`Soak ${formatSeconds(soakedSeconds)} of ${formatSeconds(
          requiredSeconds,
        )}`}
      />
      <Typography variant="caption" className={classes.meta}>
        Soaked {formatSeconds(soakedSeconds)} of{' '}
        {formatSeconds(requiredSeconds)} in {props.previousTitle}
      </Typography>
    </Box>
  );
}

/**
 * The next build for an environment: what its gates say, its soak progress,
 * and promote (or a hotfix, when the backend says only the windows block).
 */
export function CandidateSection(props: {
  env: EnvironmentOverview;
  candidate: Candidate;
  previousTitle?: string;
  permissions: DeliveryPermissions;
  open(action: PromotionAction): void;
}) {
  const { env, candidate, permissions, open } = props;
  const classes = useColumnStyles();
  const tone = useToneClasses();
  const [showGates, setShowGates] = useState(false);
  const title = env.environment.title;
  const failed = candidate.gates.filter(g => g.verdict === 'failed');
  const problems = candidate.gates.filter(
    g => g.verdict === 'failed' || g.verdict === 'pending',
  );
  let promoteBlocked = permissions.request.blockedBecause;
  if (!promoteBlocked && env.activePromotion) {
    promoteBlocked = `A promotion to ${title} is already under way`;
  } else if (!promoteBlocked && candidate.decision === 'refused') {
    promoteBlocked = `Blocked: ${failed.map(g => g.message).join('; ')}`;
  }
  return (
    <>
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
        <SoakProgress
          soak={candidate.soak}
          previousTitle={props.previousTitle}
        />
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
          onClick={() => open({ action: 'promote', hotfix: false })}
        >
          Promote to {title}
        </GuardedButton>
        {candidate.hotfixAllowed && !env.activePromotion && (
          <GuardedButton
            blockedBecause={permissions.override.blockedBecause}
            onClick={() => open({ action: 'promote', hotfix: true })}
          >
            Request hotfix
          </GuardedButton>
        )}
      </div>
    </>
  );
}
