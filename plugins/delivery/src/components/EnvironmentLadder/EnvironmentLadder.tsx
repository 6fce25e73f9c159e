import { Entity } from '@backstage/catalog-model';
import { makeStyles } from '@material-ui/core/styles';
import ArrowForward from '@material-ui/icons/ArrowForward';
import { Fragment } from 'react';
import { EnvironmentOverview, Overview } from '../../api';
import { DeliveryPermissions } from '../../hooks/useDeliveryPermissions';
import { artifactLabel } from '../common/format';
import { useToneClasses } from '../common/StatusChips';
import { EnvironmentColumn } from './EnvironmentColumn';

const useStyles = makeStyles(theme => ({
  ladder: {
    display: 'grid',
    alignItems: 'stretch',
    gap: theme.spacing(1),
    overflowX: 'auto',
  },
  connector: {
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'center',
    justifyContent: 'center',
    textAlign: 'center',
    fontSize: theme.typography.caption.fontSize,
    width: 56,
  },
}));

/** The arrow into an environment: is the next candidate free to move? */
function Connector(props: { into: EnvironmentOverview }) {
  const classes = useStyles();
  const tone = useToneClasses();
  const { candidate, environment } = props.into;
  let label = `Nothing waiting for ${environment.title}`;
  let className = '';
  let word = '';
  if (candidate) {
    const what = artifactLabel(candidate.artifact);
    if (candidate.decision === 'refused') {
      label = `${what} is blocked from ${environment.title}`;
      className = tone.bad;
      word = 'blocked';
    } else if (candidate.decision === 'awaiting-approval') {
      label = `${what} can go to ${environment.title} with approval`;
      className = tone.wait;
      word = 'needs approval';
    } else {
      label = `${what} is ready for ${environment.title}`;
      className = tone.ok;
      word = 'ready';
    }
  }
  return (
    <div
      className={`${classes.connector} ${className}`}
      role="img"
      aria-label={label}
      title={label}
    >
      <ArrowForward />
      {word}
    </div>
  );
}

/** The environments of a component's ladder, in order, left to right. */
export function EnvironmentLadder(props: {
  entity: Entity;
  overview: Overview;
  permissions: DeliveryPermissions;
  onChanged(): void;
}) {
  const classes = useStyles();
  const envs = props.overview.environments;
  const columns = envs.map(() => 'minmax(260px, 1fr)').join(' 56px ');
  return (
    <div className={classes.ladder} style={{ gridTemplateColumns: columns }}>
      {envs.map((env, i) => (
        <Fragment key={env.environment.name}>
          {i > 0 && <Connector into={env} />}
          <EnvironmentColumn
            entity={props.entity}
            componentRef={props.overview.component}
            env={env}
            previousTitle={i > 0 ? envs[i - 1].environment.title : undefined}
            isProduction={i === envs.length - 1}
            permissions={props.permissions}
            onChanged={props.onChanged}
          />
        </Fragment>
      ))}
    </div>
  );
}
