import { ReactNode } from 'react';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { PipelineMetrics } from '../../api';
import { formatSeconds } from '../common/format';

const GATE_LABEL: Record<string, string> = {
  quarantine: 'Quarantine',
  release: 'Already released',
  ladder: 'Ladder order',
  soak: 'Soak time',
  evidence: 'Required evidence',
  'image-policy': 'Image policy',
  window: 'Deploy window',
  approvals: 'Approvals',
};

const percent = (value: number) => `${Math.round(value * 1000) / 10} %`;

function Section(props: {
  title: string;
  children: ReactNode;
  lg?: 2 | 3 | 4;
}) {
  return (
    <Grid item xs={12} md={6} lg={props.lg ?? 3}>
      <Typography variant="subtitle2" component="h3" gutterBottom>
        {props.title}
      </Typography>
      {props.children}
    </Grid>
  );
}

function Empty(props: { children: ReactNode }) {
  return (
    <Typography variant="body2" color="textSecondary">
      {props.children}
    </Typography>
  );
}

/**
 * Where the pipeline spends its time and why it stops: the "measure build
 * time and failure patterns every sprint" practice.
 */
export function PipelineStats(props: { metrics: PipelineMetrics }) {
  const { timeToEnvironment, refusals, approvalWait, evidence } = props.metrics;
  return (
    <Grid container spacing={3}>
      <Section title="Build to environment" lg={4}>
        {timeToEnvironment.length === 0 ? (
          <Empty>No releases in the window.</Empty>
        ) : (
          <Table size="small" aria-label="Build to environment">
            <TableHead>
              <TableRow>
                <TableCell>To</TableCell>
                <TableCell align="right">Median</TableCell>
                <TableCell align="right">p90</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {timeToEnvironment.map(e => (
                <TableRow key={e.environment}>
                  <TableCell>
                    {e.environment}
                    <Typography variant="caption" color="textSecondary">
                      {' '}
                      ({e.releases})
                    </Typography>
                  </TableCell>
                  <TableCell align="right">
                    {formatSeconds(e.medianSeconds)}
                  </TableCell>
                  <TableCell align="right">
                    {e.p90Seconds === undefined
                      ? '—'
                      : formatSeconds(e.p90Seconds)}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Section>
      <Section title="Refused promotion requests">
        <Typography variant="body2">
          {refusals.refused} of {refusals.requests} request
          {refusals.requests === 1 ? '' : 's'}
          {refusals.rate !== undefined ? ` (${percent(refusals.rate)})` : ''}
        </Typography>
        {refusals.byGate.length > 0 && (
          <Table size="small" aria-label="Refusals by gate">
            <TableBody>
              {refusals.byGate.map(g => (
                <TableRow key={g.gate}>
                  <TableCell>{GATE_LABEL[g.gate] ?? g.gate}</TableCell>
                  <TableCell align="right">{g.refused}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Section>
      <Section title="Approval wait" lg={2}>
        {approvalWait.medianSeconds === undefined ? (
          <Empty>No approved promotions in the window.</Empty>
        ) : (
          <Box>
            <Typography variant="h6" component="p">
              {formatSeconds(approvalWait.medianSeconds)}
            </Typography>
            <Typography variant="body2" color="textSecondary">
              median from request to the last approval needed
              {approvalWait.p90Seconds !== undefined
                ? `; p90 ${formatSeconds(approvalWait.p90Seconds)}`
                : ''}
              , over {approvalWait.promotions} promotion
              {approvalWait.promotions === 1 ? '' : 's'}
            </Typography>
          </Box>
        )}
      </Section>
      <Section title="Evidence failures">
        {evidence.length === 0 ? (
          <Empty>No evidence reported in the window.</Empty>
        ) : (
          <Table size="small" aria-label="Evidence failures">
            <TableHead>
              <TableRow>
                <TableCell>Kind</TableCell>
                <TableCell align="right">Failed</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {evidence.map(e => (
                <TableRow key={e.kind}>
                  <TableCell>{e.kind}</TableCell>
                  <TableCell align="right">
                    {e.failed} of {e.reported} ({percent(e.failureRate)})
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Section>
    </Grid>
  );
}
