import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import FormControl from '@material-ui/core/FormControl';
import Grid from '@material-ui/core/Grid';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import { ReactElement, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { deliveryApiRef, DoraMetrics } from '../../api';
import { formatSeconds } from '../common/format';
import { PipelineStats } from './PipelineStats';

/** Windows offered, in days. */
const WINDOWS = [7, 30, 90, 365];

const BAND_LABEL: Record<DoraMetrics['deploymentFrequency']['band'], string> = {
  'on-demand': 'On demand (elite)',
  daily: 'Daily (high)',
  weekly: 'Weekly (medium)',
  monthly: 'Monthly (low)',
  none: 'No releases',
};

function rate(perDay: number): string {
  if (perDay >= 1) return `${perDay.toFixed(1)} per day`;
  if (perDay * 7 >= 1) return `${(perDay * 7).toFixed(1)} per week`;
  return `${(perDay * 30).toFixed(1)} per month`;
}

function percent(value: number): string {
  return `${Math.round(value * 1000) / 10} %`;
}

interface KeyProps {
  title: string;
  value: string;
  detail: string;
  definition: string;
  chip?: string;
}

/** One of the four keys: the number, what it is made of, and its definition. */
function Key(props: KeyProps) {
  return (
    <Box
      role="group"
      aria-label={props.title}
      p={2}
      height="100%"
      border={1}
      borderColor="divider"
      borderRadius={4}
    >
      <Typography variant="overline" component="h3">
        {props.title}
      </Typography>
      <Typography variant="h4" component="p">
        {props.value}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        {props.detail}
      </Typography>
      {props.chip && (
        <Box mt={1}>
          <Chip size="small" label={props.chip} />
        </Box>
      )}
      <Box mt={1}>
        <Typography variant="caption" color="textSecondary">
          {props.definition}
        </Typography>
      </Box>
    </Box>
  );
}

function bucketLabel(start: string, bucket: 'day' | 'week'): string {
  const date = new Date(start);
  const label = date.toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });
  return bucket === 'week' ? `w/c ${label}` : label;
}

/** Deployments, lead time and failure rate over the window. */
function Charts(props: { metrics: DoraMetrics }) {
  const theme = useTheme();
  const { series, window } = props.metrics;
  const data = series.map(b => ({
    label: bucketLabel(b.start, window.bucket),
    deployments: b.deployments,
    leadTimeHours:
      b.leadTimeMedianSeconds === undefined
        ? null
        : Math.round((b.leadTimeMedianSeconds / 3600) * 10) / 10,
    failureRate:
      b.changeFailureRate === undefined
        ? null
        : Math.round(b.changeFailureRate * 1000) / 10,
  }));
  const axis = { fontSize: 12, fill: theme.palette.text.secondary };
  const tooltip = {
    contentStyle: {
      background: theme.palette.background.paper,
      border: `1px solid ${theme.palette.divider}`,
    },
  };
  const chart = (title: string, content: ReactElement) => (
    <Grid item xs={12} md={4}>
      <Typography variant="subtitle2" component="h3">
        {title}
      </Typography>
      <Box height={180} role="img" aria-label={title}>
        <ResponsiveContainer width="100%" height="100%">
          {content}
        </ResponsiveContainer>
      </Box>
    </Grid>
  );
  return (
    <Grid container spacing={2}>
      {chart(
        `Production releases per ${window.bucket}`,
        <BarChart data={data}>
          <CartesianGrid strokeDasharray="3 3" stroke={theme.palette.divider} />
          <XAxis dataKey="label" tick={axis} minTickGap={16} />
          <YAxis allowDecimals={false} tick={axis} width={32} />
          <Tooltip {...tooltip} />
          <Bar
            dataKey="deployments"
            name="Releases"
            fill={theme.palette.primary.main}
            isAnimationActive={false}
          />
        </BarChart>,
      )}
      {chart(
        'Lead time for changes, median (hours)',
        <LineChart data={data}>
          <CartesianGrid strokeDasharray="3 3" stroke={theme.palette.divider} />
          <XAxis dataKey="label" tick={axis} minTickGap={16} />
          <YAxis tick={axis} width={40} />
          <Tooltip {...tooltip} />
          <Line
            dataKey="leadTimeHours"
            name="Median hours"
            stroke={theme.palette.secondary.main}
            connectNulls
            dot
            isAnimationActive={false}
          />
        </LineChart>,
      )}
      {chart(
        'Change failure rate (%)',
        <LineChart data={data}>
          <CartesianGrid strokeDasharray="3 3" stroke={theme.palette.divider} />
          <XAxis dataKey="label" tick={axis} minTickGap={16} />
          <YAxis tick={axis} width={40} domain={[0, 100]} />
          <Tooltip {...tooltip} />
          <Line
            dataKey="failureRate"
            name="Failed changes %"
            stroke={theme.palette.error.main}
            connectNulls
            dot
            isAnimationActive={false}
          />
        </LineChart>,
      )}
    </Grid>
  );
}

/** The four keys of a metrics answer. */
export function DoraKeys(props: { metrics: DoraMetrics }) {
  const m = props.metrics;
  const { deploymentFrequency: df, leadTime, changeFailureRate: cfr } = m;
  const ttr = m.timeToRestore;
  return (
    <Grid container spacing={2}>
      <Grid item xs={12} sm={6} lg={3}>
        <Key
          title="Deployment frequency"
          value={df.deployments ? rate(df.perDay) : '—'}
          detail={`${df.deployments} production release${
            df.deployments === 1 ? '' : 's'
          } in ${m.window.days} days`}
          chip={BAND_LABEL[df.band]}
          definition={m.definitions.deploymentFrequency}
        />
      </Grid>
      <Grid item xs={12} sm={6} lg={3}>
        <Key
          title="Lead time for changes"
          value={
            leadTime.medianSeconds === undefined
              ? '—'
              : formatSeconds(leadTime.medianSeconds)
          }
          detail={
            leadTime.p90Seconds === undefined
              ? 'no production releases with a commit time'
              : `median; p90 ${formatSeconds(leadTime.p90Seconds)}, over ${
                  leadTime.samples
                } release${leadTime.samples === 1 ? '' : 's'}`
          }
          definition={m.definitions.leadTime}
        />
      </Grid>
      <Grid item xs={12} sm={6} lg={3}>
        <Key
          title="Change failure rate"
          value={cfr.rate === undefined ? '—' : percent(cfr.rate)}
          detail={`${cfr.failures} of ${cfr.changes} production change${
            cfr.changes === 1 ? '' : 's'
          } failed`}
          definition={m.definitions.changeFailureRate}
        />
      </Grid>
      <Grid item xs={12} sm={6} lg={3}>
        <Key
          title="Time to restore"
          value={
            ttr.medianSeconds === undefined
              ? '—'
              : formatSeconds(ttr.medianSeconds)
          }
          detail={`median over ${ttr.restored} restored of ${
            ttr.incidents
          } incident${ttr.incidents === 1 ? '' : 's'}${
            ttr.open ? `; ${ttr.open} still open` : ''
          }`}
          definition={m.definitions.timeToRestore}
        />
      </Grid>
    </Grid>
  );
}

/**
 * Delivery performance: the DORA keys from the ledger with their trend, for a
 * component, an owner, a system or the organisation.
 *
 * @public
 */
export function DeliveryMetrics(props: {
  scope: { component?: string; owner?: string; system?: string };
  title?: string;
}) {
  const api = useApi(deliveryApiRef);
  const [days, setDays] = useState(30);
  const { component, owner, system } = props.scope;
  const { value, loading, error } = useAsyncRetry(async () => {
    const [dora, pipeline] = await Promise.all([
      api.getDoraMetrics({ component, owner, system, days }),
      api.getPipelineMetrics({ component, owner, system, days }),
    ]);
    return { dora, pipeline };
  }, [api, component, owner, system, days]);
  const id = `delivery-metrics-window-${component ?? owner ?? system ?? 'all'}`;
  return (
    <InfoCard
      title={props.title ?? 'Delivery performance'}
      subheader="The four DORA keys, computed from the ledger's production releases"
      action={
        <FormControl size="small" variant="outlined">
          <InputLabel id={id}>Window</InputLabel>
          <Select
            labelId={id}
            label="Window"
            value={days}
            onChange={e => setDays(Number(e.target.value))}
          >
            {WINDOWS.map(d => (
              <MenuItem key={d} value={d}>
                Last {d} days
              </MenuItem>
            ))}
          </Select>
        </FormControl>
      }
    >
      {loading && !value && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {value && (
        <>
          <DoraKeys metrics={value.dora} />
          {value.dora.changeFailureRate.changes === 0 &&
          value.dora.timeToRestore.incidents === 0 ? (
            <Box mt={2}>
              <Typography variant="body2">
                No production changes in the last {value.dora.window.days} days:
                the trends appear once releases reach the last environment of
                the ladder.
              </Typography>
            </Box>
          ) : (
            <Box mt={3}>
              <Charts metrics={value.dora} />
            </Box>
          )}
          <Box mt={4}>
            <Typography variant="h6" component="h2" gutterBottom>
              Pipeline
            </Typography>
            <PipelineStats metrics={value.pipeline} />
          </Box>
        </>
      )}
    </InfoCard>
  );
}
