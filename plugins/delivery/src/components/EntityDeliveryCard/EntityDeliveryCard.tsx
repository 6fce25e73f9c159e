import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { entityRouteRef, useEntity } from '@backstage/plugin-catalog-react';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import HowToVote from '@material-ui/icons/HowToVote';
import { useCallback, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { useDeliverySignal } from '../../hooks/useDeliverySignal';
import { deliveryApiRef } from '../../api';
import { artifactLabel, relativeTime } from '../common/format';
import { StateChip, useToneClasses } from '../common/StatusChips';

const useStyles = makeStyles(theme => ({
  waiting: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginTop: theme.spacing(1.5),
  },
  cell: { paddingLeft: 0 },
}));

/**
 * A compact card for the entity overview: the release in each environment,
 * what is under way, and anything awaiting the viewer's approval.
 *
 * @public
 */
export function EntityDeliveryCard() {
  const classes = useStyles();
  const tone = useToneClasses();
  const { entity } = useEntity();
  const componentRef = stringifyEntityRef(entity);
  const deliveryApi = useApi(deliveryApiRef);
  const entityRoute = useRouteRef(entityRouteRef);
  const [version, setVersion] = useState(0);
  const changed = useCallback(() => setVersion(v => v + 1), []);
  useDeliverySignal(componentRef, changed);
  const overview = useAsync(
    () => deliveryApi.getOverview(componentRef),
    [deliveryApi, componentRef, version],
  );
  const tab = `${entityRoute({
    kind: entity.kind.toLocaleLowerCase('en-US'),
    namespace: entity.metadata.namespace ?? 'default',
    name: entity.metadata.name,
  })}/delivery`;

  const waiting =
    overview.value?.environments.filter(
      e => e.activePromotion?.viewer?.canApprove,
    ) ?? [];

  return (
    <InfoCard title="Delivery" deepLink={{ title: 'Open delivery', link: tab }}>
      {overview.loading && <Progress />}
      {overview.error && <ResponseErrorPanel error={overview.error} />}
      {overview.value && (
        <>
          <Table size="small" aria-label="Releases by environment">
            <TableBody>
              {overview.value.environments.map(e => (
                <TableRow key={e.environment.name}>
                  <TableCell
                    className={classes.cell}
                    component="th"
                    scope="row"
                  >
                    {e.environment.title}
                  </TableCell>
                  <TableCell>
                    {e.release ? (
                      <>
                        <strong>{artifactLabel(e.release.artifact)}</strong>{' '}
                        <Typography variant="caption" color="textSecondary">
                          {relativeTime(e.release.releasedAt)}
                          {e.release.kind === 'rollback' ? ' (rollback)' : ''}
                        </Typography>
                      </>
                    ) : (
                      <Typography variant="caption" color="textSecondary">
                        nothing released
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell align="right">
                    {e.activePromotion && (
                      <StateChip promotion={e.activePromotion.state} />
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {waiting.map(e => (
            <div
              className={`${classes.waiting} ${tone.wait}`}
              key={e.environment.name}
            >
              <HowToVote />
              <Typography variant="body2">
                {artifactLabel(e.activePromotion!.artifact)} to{' '}
                {e.environment.title} is awaiting your approval.{' '}
                <Link to={tab}>Review it</Link>
              </Typography>
            </div>
          ))}
        </>
      )}
    </InfoCard>
  );
}
