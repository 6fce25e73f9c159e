import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Accordion from '@material-ui/core/Accordion';
import AccordionDetails from '@material-ui/core/AccordionDetails';
import AccordionSummary from '@material-ui/core/AccordionSummary';
import Chip from '@material-ui/core/Chip';
import FormControl from '@material-ui/core/FormControl';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import ExpandMore from '@material-ui/icons/ExpandMore';
import { useCallback, useState } from 'react';
import { deliveryApiRef, Promotion, PromotionState } from '../../api';
import { useCursorPages } from '../../hooks/useCursorPages';
import { GateList } from '../common/GateList';
import {
  actorName,
  artifactLabel,
  relativeTime,
  shortDigest,
} from '../common/format';
import { PageControls } from '../common/PageControls';
import { StateChip } from '../common/StatusChips';

const PAGE_SIZE = 10;

const useStyles = makeStyles(theme => ({
  filters: {
    display: 'flex',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(1),
  },
  filter: { minWidth: 160 },
  summary: {
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
    width: '100%',
  },
  when: { marginLeft: 'auto', color: theme.palette.text.secondary },
  details: { display: 'block' },
  heading: {
    marginTop: theme.spacing(1.5),
    fontWeight: theme.typography.fontWeightMedium as number,
  },
  mono: { fontFamily: 'monospace', fontSize: '0.85em' },
}));

function metricsText(
  metrics: NonNullable<Promotion['events']>[number]['metrics'],
) {
  if (!metrics) return '';
  const parts = [
    metrics.errorRate !== undefined &&
      `error rate ${Math.round(metrics.errorRate * 10000) / 100}%`,
    metrics.restarts !== undefined && `${metrics.restarts} restarts`,
    metrics.readinessFailures !== undefined &&
      `${metrics.readinessFailures} readiness failures`,
    metrics.p95LatencyMs !== undefined && `p95 ${metrics.p95LatencyMs} ms`,
  ].filter(Boolean);
  return parts.length ? ` — ${parts.join(', ')}` : '';
}

function PromotionEntry(props: { promotion: Promotion }) {
  const classes = useStyles();
  const p = props.promotion;
  return (
    <Accordion
      TransitionProps={{ unmountOnExit: true }}
      id={`promotion-${p.id}`}
    >
      <AccordionSummary
        expandIcon={<ExpandMore />}
        aria-label={`${p.environment} ${p.state} ${artifactLabel(p.artifact)}`}
      >
        <div className={classes.summary}>
          <StateChip promotion={p.state} />
          {p.kind !== 'normal' && <Chip size="small" label={p.kind} />}
          <Typography>
            <strong>{artifactLabel(p.artifact)}</strong> → {p.environment}
          </Typography>
          <Typography variant="body2" className={classes.when}>
            {relativeTime(p.createdAt)} by {actorName(p.requestedBy)}
          </Typography>
        </div>
      </AccordionSummary>
      <AccordionDetails className={classes.details}>
        <Typography variant="body2" className={classes.mono}>
          {shortDigest(p.artifact.digest)}
        </Typography>
        {p.reason && (
          <Typography variant="body2">Reason: {p.reason}</Typography>
        )}
        {p.outcome && (
          <Typography variant="body2">Outcome: {p.outcome}</Typography>
        )}
        <Typography className={classes.heading}>
          Gates when requested
        </Typography>
        <GateList gates={p.gates} />
        {p.approvals.required > 0 && (
          <>
            <Typography className={classes.heading}>
              Approvals: {p.approvals.received} of {p.approvals.required}
            </Typography>
            {p.approvals.decisions.map(d => (
              <Typography variant="body2" key={d.by}>
                {d.decision === 'approve' ? 'Approved' : 'Rejected'} by{' '}
                {actorName(d.by)} {relativeTime(d.at)}
                {d.comment ? `: ${d.comment}` : ''}
              </Typography>
            ))}
          </>
        )}
        {p.deployment && (
          <Typography variant="body2">
            Carried out by the {p.deployment.executor} executor:{' '}
            {p.deployment.progress.message}
          </Typography>
        )}
        {(p.events?.length ?? 0) > 0 && (
          <>
            <Typography className={classes.heading}>Rollout</Typography>
            {p.events!.map((e, i) => (
              <Typography variant="body2" key={i}>
                {e.type} {relativeTime(e.at)}
                {metricsText(e.metrics)}
                {e.message ? ` — ${e.message}` : ''}
              </Typography>
            ))}
          </>
        )}
      </AccordionDetails>
    </Accordion>
  );
}

const STATE_FILTERS: Array<{
  value: string;
  label: string;
  states?: PromotionState[];
}> = [
  { value: 'all', label: 'All' },
  {
    value: 'released',
    label: 'Released',
    states: ['succeeded', 'rolled-back'],
  },
  {
    value: 'problems',
    label: 'Refused, failed, rejected',
    states: ['refused', 'failed', 'rejected', 'errored'],
  },
  {
    value: 'active',
    label: 'Under way',
    states: ['awaiting-approval', 'approved', 'deploying', 'verifying'],
  },
];

/** The component's promotions, newest first, with their gates, approvals and rollout. */
export function PromotionHistory(props: {
  componentRef: string;
  environments: Array<{ name: string; title: string }>;
  version: number;
}) {
  const classes = useStyles();
  const deliveryApi = useApi(deliveryApiRef);
  const [environment, setEnvironment] = useState('all');
  const [stateFilter, setStateFilter] = useState('all');
  const states = STATE_FILTERS.find(f => f.value === stateFilter)?.states;
  const fetchPage = useCallback(
    (cursor?: string) =>
      deliveryApi.listPromotions(
        {
          component: props.componentRef,
          environment: environment === 'all' ? undefined : environment,
          state: states,
        },
        { limit: PAGE_SIZE, cursor },
      ),
    [deliveryApi, props.componentRef, environment, states],
  );
  const pages = useCursorPages<Promotion>(
    fetchPage,
    `${props.componentRef}#${environment}#${stateFilter}#${props.version}`,
  );

  return (
    <InfoCard title="History">
      <div className={classes.filters}>
        <FormControl size="small" className={classes.filter}>
          <InputLabel id="history-env">Environment</InputLabel>
          <Select
            labelId="history-env"
            value={environment}
            onChange={e => setEnvironment(String(e.target.value))}
          >
            <MenuItem value="all">All</MenuItem>
            {props.environments.map(e => (
              <MenuItem key={e.name} value={e.name}>
                {e.title}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <FormControl size="small" className={classes.filter}>
          <InputLabel id="history-state">Outcome</InputLabel>
          <Select
            labelId="history-state"
            value={stateFilter}
            onChange={e => setStateFilter(String(e.target.value))}
          >
            {STATE_FILTERS.map(f => (
              <MenuItem key={f.value} value={f.value}>
                {f.label}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
      </div>
      {pages.error && <ResponseErrorPanel error={pages.error} />}
      {pages.loading && pages.items.length === 0 && <Progress />}
      {!pages.loading && !pages.error && pages.items.length === 0 && (
        <Typography variant="body2">No promotions match.</Typography>
      )}
      {pages.items.map(p => (
        <PromotionEntry key={p.id} promotion={p} />
      ))}
      <PageControls pages={pages} noun="promotions" />
    </InfoCard>
  );
}
