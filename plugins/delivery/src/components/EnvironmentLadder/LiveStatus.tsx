import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import CheckCircle from '@material-ui/icons/CheckCircle';
import HelpOutline from '@material-ui/icons/HelpOutline';
import Sync from '@material-ui/icons/Sync';
import Warning from '@material-ui/icons/Warning';
import { Drift, LiveState } from '../../api';
import { relativeTime, shortDigest } from '../common/format';
import { useToneClasses } from '../common/StatusChips';

const useStyles = makeStyles(theme => ({
  root: { marginTop: theme.spacing(1) },
  line: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    flexWrap: 'wrap',
  },
  drift: {
    marginTop: theme.spacing(1),
    padding: theme.spacing(1),
    borderLeft: `4px solid ${theme.palette.error.main}`,
    background: theme.palette.background.default,
  },
  mono: { fontFamily: 'monospace', fontSize: '0.9em' },
  meta: { color: theme.palette.text.secondary },
}));

function plural(n: number, word: string) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * What runs in the environment's cluster: readiness and restarts of the
 * component's deployments, drift from the ledger's release, or why nothing
 * is known. Colour always comes with an icon and words.
 */
export function LiveStatus(props: { live?: LiveState; drift?: Drift }) {
  const { live, drift } = props;
  const classes = useStyles();
  const tone = useToneClasses();
  if (!live) return null;
  const checked = `checked ${relativeTime(live.observedAt)}`;
  // A watch that is down (not merely starting): the state is read instead.
  const notWatched =
    live.source && !live.source.watched && live.source.reason !== 'starting' ? (
      <Typography
        variant="caption"
        display="block"
        className={classes.meta}
        aria-label="Not watched"
      >
        Read from the cluster, not watched: {live.source.reason}
      </Typography>
    ) : null;

  if (live.state === 'unknown') {
    return (
      <div className={classes.root} aria-label="In the cluster">
        <Typography
          variant="body2"
          className={`${classes.line} ${classes.meta}`}
          title={checked}
        >
          <HelpOutline fontSize="inherit" /> Live state unknown: {live.reason}
        </Typography>
        {notWatched}
      </div>
    );
  }

  const deployments = live.deployments ?? [];
  return (
    <div className={classes.root} aria-label="In the cluster">
      {deployments.length === 0 && (
        <Typography
          variant="body2"
          className={`${classes.line} ${classes.meta}`}
          title={checked}
        >
          Nothing of this component runs in {live.namespace}
        </Typography>
      )}
      {deployments.map(d => {
        const healthy =
          d.replicas.ready >= d.replicas.desired && !d.problems?.length;
        const rolling = d.replicas.updated < d.replicas.desired;
        let icon = <CheckCircle fontSize="inherit" />;
        let toneClass = tone.ok;
        if (!healthy) {
          icon = rolling ? (
            <Sync fontSize="inherit" />
          ) : (
            <Warning fontSize="inherit" />
          );
          toneClass = rolling ? tone.busy : tone.wait;
        }
        return (
          <div key={`${d.kind}/${d.name}`}>
            <Typography
              variant="body2"
              className={`${classes.line} ${toneClass}`}
              title={checked}
            >
              {icon}
              <span>
                {deployments.length > 1 || (d.kind && d.kind !== 'Deployment')
                  ? `${
                      d.kind && d.kind !== 'Deployment'
                        ? `${d.kind.toLowerCase()}/`
                        : ''
                    }${d.name}: `
                  : ''}
                {d.replicas.ready}/{d.replicas.desired} ready
                {rolling ? ` · ${d.replicas.updated} updated` : ''} ·{' '}
                {plural(d.restarts, 'restart')}
              </span>
            </Typography>
            {d.problems?.map(problem => (
              <Typography
                key={problem}
                variant="caption"
                display="block"
                className={tone.bad}
              >
                {problem}
              </Typography>
            ))}
          </div>
        );
      })}
      {notWatched}
      {drift && (
        <div className={classes.drift} role="alert">
          <Typography variant="body2" className={`${classes.line} ${tone.bad}`}>
            <Warning fontSize="inherit" /> <strong>Drift</strong>
          </Typography>
          <Typography variant="body2">
            The cluster runs{' '}
            {drift.running.map((d, i) => (
              <span key={d}>
                {i > 0 && ', '}
                <span className={classes.mono} title={d}>
                  {shortDigest(d)}
                </span>
              </span>
            ))}
            , not the release{' '}
            <span className={classes.mono} title={drift.expected}>
              {shortDigest(drift.expected)}
            </span>
            {drift.since ? `, since ${relativeTime(drift.since)}` : ''}.
          </Typography>
          <Typography variant="caption" className={classes.meta}>
            Someone deployed outside the ledger, or a rollout did not finish.
            Promote or roll back through the portal to bring them together.
          </Typography>
        </div>
      )}
    </div>
  );
}
