import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemIcon from '@material-ui/core/ListItemIcon';
import ListItemText from '@material-ui/core/ListItemText';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import CheckCircle from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import RemoveCircleOutline from '@material-ui/icons/RemoveCircleOutline';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { deliveryApiRef, Scorecard as ScorecardType } from '../../api';

type Status = ScorecardType['checks'][number]['status'];

const STATUS_TEXT: Record<Status, string> = {
  pass: 'Passes',
  fail: 'Fails',
  'not-applicable': 'Not applicable',
};

function StatusIcon(props: { status: Status }) {
  const theme = useTheme();
  const label = STATUS_TEXT[props.status];
  if (props.status === 'pass') {
    return (
      <CheckCircle
        titleAccess={label}
        style={{ color: theme.palette.success.main }}
      />
    );
  }
  if (props.status === 'fail') {
    return (
      <ErrorIcon
        titleAccess={label}
        style={{ color: theme.palette.error.main }}
      />
    );
  }
  return <RemoveCircleOutline titleAccess={label} color="disabled" />;
}

/**
 * The golden-path scorecard of a component: each check, whether it passes,
 * why, and where to learn how to fix it.
 *
 * @public
 */
export function ComponentScorecard(props: { componentRef: string }) {
  const api = useApi(deliveryApiRef);
  const { value, loading, error } = useAsyncRetry(
    () => api.getScorecard(props.componentRef),
    [api, props.componentRef],
  );
  return (
    <InfoCard
      title="Golden path"
      subheader={
        value
          ? `${value.passed} of ${value.applicable} applicable checks pass`
          : 'Checks of the build contract and the ladder'
      }
    >
      {loading && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {value && (
        <List dense aria-label="Scorecard checks">
          {value.checks.map(check => (
            <ListItem key={check.id} aria-label={check.title}>
              <ListItemIcon>
                <StatusIcon status={check.status} />
              </ListItemIcon>
              <ListItemText
                primary={`${check.title} — ${STATUS_TEXT[
                  check.status
                ].toLocaleLowerCase('en-GB')}`}
                secondary={
                  <>
                    {check.reason}
                    {check.status === 'fail' && check.fixUrl && (
                      <>
                        {' · '}
                        <Link to={check.fixUrl}>How to fix</Link>
                      </>
                    )}
                  </>
                }
              />
            </ListItem>
          ))}
        </List>
      )}
    </InfoCard>
  );
}

const percent = (share: number) => `${Math.round(share * 100)} %`;

/**
 * Across the organisation, an owner or a system: the share of components
 * passing each check, and the owners ranked by the share of their components
 * that fail no check.
 *
 * @public
 */
export function ScorecardSummaryCard(props: {
  scope: { owner?: string; system?: string };
}) {
  const api = useApi(deliveryApiRef);
  const { owner, system } = props.scope;
  const { value, loading, error } = useAsyncRetry(
    () => api.getScorecardSummary({ owner, system }),
    [api, owner, system],
  );
  return (
    <InfoCard
      title="Golden path"
      subheader={
        value
          ? `Scorecards of ${value.components} component${
              value.components === 1 ? '' : 's'
            }`
          : 'Scorecards across the organisation'
      }
    >
      {loading && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {value && value.components === 0 && (
        <Typography variant="body2">
          No components on the delivery path here yet.
        </Typography>
      )}
      {value && value.components > 0 && (
        <Box display="flex" flexWrap="wrap" style={{ gap: 32 }}>
          <Box flex="2 1 480px">
            <Table size="small" aria-label="Checks passing">
              <TableHead>
                <TableRow>
                  <TableCell>Check</TableCell>
                  <TableCell>Components passing</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {value.checks.map(c => (
                  <TableRow key={c.id}>
                    <TableCell>{c.title}</TableCell>
                    <TableCell style={{ minWidth: 200 }}>
                      {c.share === undefined ? (
                        'not applicable yet'
                      ) : (
                        <Box display="flex" alignItems="center">
                          <Box flex={1} mr={1}>
                            <LinearProgress
                              variant="determinate"
                              value={c.share * 100}
                              aria-label={`${c.title}: ${percent(c.share)}`}
                            />
                          </Box>
                          {`${c.passing} of ${c.applicable} (${percent(
                            c.share,
                          )})`}
                        </Box>
                      )}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </Box>
          <Box flex="1 1 280px">
            <Table size="small" aria-label="Owners">
              <TableHead>
                <TableRow>
                  <TableCell>Owner</TableCell>
                  <TableCell align="right">Fail no check</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {value.owners.map(o => (
                  <TableRow key={o.owner}>
                    <TableCell>
                      {o.owner.replace(/^group:default\//, '')}
                    </TableCell>
                    <TableCell align="right">
                      {`${o.passingAll} of ${o.components} (${percent(
                        o.share,
                      )})`}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </Box>
        </Box>
      )}
    </InfoCard>
  );
}
