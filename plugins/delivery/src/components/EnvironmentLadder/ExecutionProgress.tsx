import { SafeLink } from '../common/SafeLink';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { Deployment } from '../../api';
import { formatSeconds } from '../common/format';
import { useColumnStyles } from './columnStyles';

const EXECUTORS: Record<Deployment['executor'], string> = {
  kubernetes: 'the Kubernetes executor',
  gitops: 'the GitOps executor',
  'github-actions': 'the deploy workflow',
};

const PHASES: Record<Deployment['phase'], string> = {
  queued: 'Queued',
  dispatched: 'Dispatched',
  deploying: 'Rolling out',
  verifying: 'Verifying',
  reverting: 'Putting the previous release back',
  finished: 'Finished',
};

/**
 * What the environment's executor is doing with a promotion: its phase,
 * what it did last, what it waits for and for how long, the replicas that
 * run the new build, and links (commit, workflow run).
 */
export function ExecutionProgress(props: {
  deployment: Deployment;
  now?: number;
}) {
  const classes = useColumnStyles();
  const { deployment } = props;
  const { progress } = deployment;
  const waited = Math.max(
    0,
    ((props.now ?? Date.now()) - Date.parse(progress.since)) / 1000,
  );
  const replicas = progress.replicas;
  return (
    <Box
      mt={1}
      role="status"
      aria-label={`${PHASES[deployment.phase]} by ${
        EXECUTORS[deployment.executor]
      }`}
    >
      <Typography variant="body2">
        <strong>{PHASES[deployment.phase]}</strong> by{' '}
        {EXECUTORS[deployment.executor]}
        {deployment.attempt > 0 ? ` (attempt ${deployment.attempt + 1})` : ''}
      </Typography>
      {progress.message && (
        <Typography variant="body2" className={classes.meta}>
          {progress.message}
        </Typography>
      )}
      {progress.waitingFor && (
        <Typography variant="body2" className={classes.meta}>
          Waiting for {progress.waitingFor} ({formatSeconds(waited)})
        </Typography>
      )}
      {replicas && replicas.desired > 0 && (
        <Box mt={0.5}>
          <LinearProgress
            variant="buffer"
            value={(100 * replicas.available) / replicas.desired}
            valueBuffer={(100 * replicas.updated) / replicas.desired}
            aria-label={`${replicas.updated} of ${replicas.desired} replicas updated, ${replicas.available} available`}
          />
          <Typography variant="caption" className={classes.meta}>
            {replicas.updated} of {replicas.desired} updated ·{' '}
            {replicas.available} available
          </Typography>
        </Box>
      )}
      {progress.rollouts?.map(rollout => (
        <Box mt={0.5} key={rollout.name}>
          <Typography variant="body2">
            {rollout.native ? 'deployment' : 'rollout'}/{rollout.name}:{' '}
            {rolloutWords(rollout)}
          </Typography>
          {rollout.strategy === 'canary' && (
            <LinearProgress
              variant="determinate"
              value={rollout.weight ?? 0}
              aria-label={`${rollout.weight ?? 0}% on the new version`}
            />
          )}
        </Box>
      ))}
      {progress.links?.map(link => (
        <Typography variant="body2" key={link.url}>
          <SafeLink to={link.url}>{link.title}</SafeLink>
        </Typography>
      ))}
    </Box>
  );
}

type RolloutState = NonNullable<Deployment['progress']['rollouts']>[number];

/** `canary, step 2 of 4, 20% on the new version, paused (CanaryPauseStep)`. */
function rolloutWords(r: RolloutState): string {
  const where =
    r.strategy === 'canary'
      ? `canary${r.steps ? `, step ${r.step} of ${r.steps}` : ''}, ${
          r.weight ?? 0
        }% on the new version`
      : `blue-green, ${
          r.previewSelector && r.previewSelector !== r.activeSelector
            ? 'the new version behind the preview service'
            : 'the active service on the new version'
        }`;
  let state = r.phase;
  if (r.aborted) state = 'aborted';
  else if (r.paused)
    state = `paused (${r.pauseReasons.join(', ') || 'paused'})`;
  return `${where}, ${state}`;
}
