import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { parseEntityRef } from '@backstage/catalog-model';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { useCallback } from 'react';
import { deliveryApiRef, ReleaseComparison } from '../../api';
import { useCursorPages } from '../../hooks/useCursorPages';
import {
  formatMetric,
  formatSeconds,
  relativeTime,
  shortDigest,
} from '../common/format';
import { PageControls } from '../common/PageControls';
import { ComparisonChart } from './ComparisonChart';

const useStyles = makeStyles(theme => ({
  release: {
    padding: theme.spacing(1, 0),
    borderBottom: `1px solid ${theme.palette.divider}`,
  },
  metrics: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(3),
    marginTop: theme.spacing(1),
  },
  worse: { color: theme.palette.error.main, fontWeight: 600 },
}));

/** Whether any metric was measured on either side. */
function hasData(c: ReleaseComparison) {
  return c.metrics.some(m => m.before !== undefined || m.after !== undefined);
}

function releaseLabel(c: ReleaseComparison) {
  return c.version ?? shortDigest(c.digest);
}

/** `error-rate 1% → 20%`, the bad ones marked. */
function MetricChange(props: { c: ReleaseComparison }) {
  const classes = useStyles();
  return (
    <>
      {props.c.metrics.map(m => (
        <Typography
          variant="body2"
          key={m.name}
          className={m.worse ? classes.worse : undefined}
        >
          {m.name}: {formatMetric(m.before, m.unit)} →{' '}
          {formatMetric(m.after, m.unit)}
          {m.worse ? ' (worse)' : ''}
        </Typography>
      ))}
    </>
  );
}

function useComparisonPages(
  filter: { component?: string; worse?: boolean },
  limit: number,
  version?: number,
) {
  const deliveryApi = useApi(deliveryApiRef);
  const fetchPage = useCallback(
    (cursor?: string) => deliveryApi.listComparisons(filter, { limit, cursor }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [deliveryApi, filter.component, filter.worse, limit],
  );
  return useCursorPages(
    fetchPage,
    `${filter.component}:${filter.worse}:${version ?? 0}`,
  );
}

/**
 * The Delivery tab's before/after view: for each recent release into an
 * environment with analysis queries, the same metrics over a window before
 * and after it went live, charted with the release marked.
 *
 * @public
 */
export function ComponentReleaseComparisons(props: {
  componentRef: string;
  version?: number;
}) {
  const classes = useStyles();
  const pages = useComparisonPages(
    { component: props.componentRef },
    3,
    props.version,
  );
  return (
    <InfoCard title="Before and after each release">
      {pages.loading && <Progress />}
      {pages.error && <ResponseErrorPanel error={pages.error} />}
      {!pages.loading && !pages.error && pages.items.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          No release has been compared yet. Environments with analysis queries
          (delivery.metrics and the environment's analysis) compare each release
          with what ran before, once the window after it went live has passed.
        </Typography>
      )}
      {pages.items.map(c => {
        const liveAt = Date.parse(c.liveAt);
        return (
          <div
            className={classes.release}
            key={c.promotionId}
            aria-label={`${releaseLabel(c)} in ${c.environment}`}
          >
            <Box display="flex" alignItems="center" style={{ gap: 8 }}>
              <Typography variant="subtitle2">
                {releaseLabel(c)} → {c.environment}
              </Typography>
              <Typography variant="caption" color="textSecondary">
                went live {relativeTime(c.liveAt)} · compared over{' '}
                {formatSeconds(c.windowMs / 1000)} each side
              </Typography>
              {hasData(c) && c.worse && (
                <Chip size="small" color="secondary" label="made it worse" />
              )}
              {hasData(c) && !c.worse && (
                <Chip size="small" variant="outlined" label="no worse" />
              )}
            </Box>
            {!hasData(c) && (
              <Typography variant="body2" color="textSecondary">
                Prometheus had no data for these windows (no traffic, or before
                it scraped this service).
              </Typography>
            )}
            <div className={classes.metrics} hidden={!hasData(c)}>
              {c.metrics.map(m => (
                <div key={m.name}>
                  <Typography
                    variant="body2"
                    className={m.worse ? classes.worse : undefined}
                  >
                    {m.name}: {formatMetric(m.before, m.unit)} →{' '}
                    {formatMetric(m.after, m.unit)}
                  </Typography>
                  <ComparisonChart
                    metric={m}
                    liveAt={liveAt}
                    windowMs={c.windowMs}
                  />
                </div>
              ))}
            </div>
          </div>
        );
      })}
      <PageControls pages={pages} noun="releases" />
    </InfoCard>
  );
}

/**
 * The organisation page's list of releases that made a metric worse than
 * what ran before them, newest first.
 *
 * @public
 */
export function WorseReleases() {
  const entityRoute = useRouteRef(entityRouteRef);
  const pages = useComparisonPages({ worse: true }, 10);
  const link = (ref: string) => {
    const { kind, namespace, name } = parseEntityRef(ref);
    return `${entityRoute({ kind, namespace, name })}/delivery`;
  };
  return (
    <InfoCard title="Releases that made error rate or latency worse">
      {pages.loading && <Progress />}
      {pages.error && <ResponseErrorPanel error={pages.error} />}
      <Table size="small" aria-label="Releases that made things worse">
        <TableHead>
          <TableRow>
            <TableCell>Component</TableCell>
            <TableCell>Release</TableCell>
            <TableCell>Went live</TableCell>
            <TableCell>Before → after</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {!pages.loading && !pages.error && pages.items.length === 0 && (
            <TableRow>
              <TableCell colSpan={4}>
                No compared release made a metric worse than what ran before it.
              </TableCell>
            </TableRow>
          )}
          {pages.items.map(c => (
            <TableRow key={c.promotionId}>
              <TableCell>
                <Link to={link(c.componentRef)}>
                  {parseEntityRef(c.componentRef).name}
                </Link>
              </TableCell>
              <TableCell>
                {releaseLabel(c)} → {c.environment}
              </TableCell>
              <TableCell>{relativeTime(c.liveAt)}</TableCell>
              <TableCell>
                <MetricChange c={c} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <PageControls pages={pages} noun="releases" />
    </InfoCard>
  );
}
