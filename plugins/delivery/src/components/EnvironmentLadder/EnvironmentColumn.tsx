import { Entity } from '@backstage/catalog-model';
import Box from '@material-ui/core/Box';
import Card from '@material-ui/core/Card';
import CardContent from '@material-ui/core/CardContent';
import Chip from '@material-ui/core/Chip';
import Divider from '@material-ui/core/Divider';
import Typography from '@material-ui/core/Typography';
import { EnvironmentOverview } from '../../api';
import {
  DeliveryPermissions,
  useEnvironmentPermissions,
} from '../../hooks/useDeliveryPermissions';
import { CandidateSection } from './CandidateSection';
import { useColumnStyles } from './columnStyles';
import { LiveStatus } from './LiveStatus';
import { ReleasedSection } from './ReleasedSection';
import { UnderWaySection } from './UnderWaySection';
import { usePromotionActions } from './usePromotionActions';

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

/** One environment of the ladder: its release, what is under way, what is next. */
export function EnvironmentColumn(props: EnvironmentColumnProps) {
  const { env, entity } = props;
  const permissions = useEnvironmentPermissions(
    props.permissions,
    env.environment.name,
  );
  const classes = useColumnStyles();
  const { open, dialog } = usePromotionActions(props);
  const { environment, activePromotion, candidate } = env;
  const title = environment.title;

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
          <ReleasedSection
            entity={entity}
            env={env}
            permissions={permissions}
            open={open}
          />
        </div>

        {activePromotion && (
          <>
            <Divider />
            <div className={classes.section}>
              <div className={classes.label}>Under way</div>
              <UnderWaySection
                promotion={activePromotion}
                permissions={permissions}
                open={open}
              />
            </div>
          </>
        )}

        {candidate && (
          <>
            <Divider />
            <div className={classes.section}>
              <CandidateSection
                env={env}
                candidate={candidate}
                previousTitle={props.previousTitle}
                permissions={permissions}
                open={open}
              />
            </div>
          </>
        )}
      </CardContent>
      {dialog}
    </Card>
  );
}
