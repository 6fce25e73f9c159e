import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  Content,
  ContentHeader,
  Header,
  Link,
  Page,
  Progress,
  ResponseErrorPanel,
  SupportButton,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import Chip from '@material-ui/core/Chip';
import FormControl from '@material-ui/core/FormControl';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Paper from '@material-ui/core/Paper';
import Select from '@material-ui/core/Select';
import Switch from '@material-ui/core/Switch';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import HowToVote from '@material-ui/icons/HowToVote';
import { useCallback, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { ComponentSummary, deliveryApiRef } from '../../api';
import { useCursorPages } from '../../hooks/useCursorPages';
import { actorName, artifactLabel, relativeTime } from '../common/format';
import { DeliveryMetrics } from '../DeliveryMetrics';
import { ScorecardSummaryCard } from '../Scorecard';
import { WorseReleases } from '../ReleaseComparisons';
import { PageControls } from '../common/PageControls';
import { StateChip, useToneClasses } from '../common/StatusChips';

const PAGE_SIZE = 20;

const useStyles = makeStyles(theme => ({
  filters: {
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(3),
    marginBottom: theme.spacing(2),
  },
  select: { minWidth: 220 },
  envs: { display: 'flex', flexDirection: 'column', gap: theme.spacing(0.5) },
  env: { display: 'flex', alignItems: 'center', gap: theme.spacing(1) },
  envName: { minWidth: 90, color: theme.palette.text.secondary },
  cellTop: { verticalAlign: 'top' },
}));

function useFilterOptions(kind: 'group' | 'system') {
  const catalogApi = useApi(catalogApiRef);
  return useAsync(async () => {
    const { items } = await catalogApi.getEntities({
      filter: { kind },
      fields: [
        'kind',
        'metadata.name',
        'metadata.namespace',
        'metadata.title',
        'spec.profile.displayName',
      ],
    });
    return items
      .map(e => ({
        ref: stringifyEntityRef(e),
        title:
          ((e.spec as any)?.profile?.displayName as string | undefined) ??
          e.metadata.title ??
          e.metadata.name,
      }))
      .sort((a, b) => a.title.localeCompare(b.title));
  }, [catalogApi, kind]);
}

function Releases(props: { component: ComponentSummary }) {
  const classes = useStyles();
  return (
    <div className={classes.envs}>
      {props.component.environments.map(e => (
        <div className={classes.env} key={e.name}>
          <span className={classes.envName}>{e.title}</span>
          {e.release ? (
            <span title={e.release.artifact.digest}>
              <strong>{artifactLabel(e.release.artifact)}</strong>{' '}
              <Typography variant="caption" color="textSecondary">
                {relativeTime(e.release.releasedAt)}
                {e.release.kind === 'rollback' ? ' · rollback' : ''}
              </Typography>
            </span>
          ) : (
            <Typography variant="caption" color="textSecondary">
              —
            </Typography>
          )}
          {e.activePromotion && (
            <StateChip promotion={e.activePromotion.state} />
          )}
        </div>
      ))}
    </div>
  );
}

function Pending(props: { component: ComponentSummary }) {
  const tone = useToneClasses();
  const pending = props.component.environments.filter(
    e => e.activePromotion?.state === 'awaiting-approval',
  );
  if (pending.length === 0) return <Typography variant="caption">—</Typography>;
  return (
    <>
      {pending.map(e => {
        const p = e.activePromotion!;
        return (
          <Typography
            variant="body2"
            key={e.name}
            className={p.viewer?.canApprove ? tone.wait : undefined}
          >
            {p.viewer?.canApprove && (
              <HowToVote fontSize="inherit" aria-label="You can approve" />
            )}{' '}
            {artifactLabel(p.artifact)} → {e.title}: {p.approvals.received} of{' '}
            {p.approvals.required}
            {p.viewer?.canApprove ? ' · you can approve' : ''}
          </Typography>
        );
      })}
    </>
  );
}

function Failures(props: { component: ComponentSummary }) {
  const failures = props.component.recentFailures;
  if (failures.length === 0)
    return <Typography variant="caption">none in 7 days</Typography>;
  return (
    <>
      {failures.slice(0, 3).map(p => (
        <div key={p.id}>
          <StateChip promotion={p.state} />{' '}
          <Typography variant="caption">
            {artifactLabel(p.artifact)} in {p.environment},{' '}
            {relativeTime(p.updatedAt)}
          </Typography>
        </div>
      ))}
      {failures.length > 3 && (
        <Typography variant="caption">
          and {failures.length - 3} more
        </Typography>
      )}
    </>
  );
}

/**
 * The organisation view: every delivery-enabled component with its release
 * per environment, pending approvals and recent failures and rollbacks;
 * filtered by owner and system, paginated on the server.
 *
 * @public
 */
export function DeliveryPageContent() {
  const classes = useStyles();
  const deliveryApi = useApi(deliveryApiRef);
  const entityRoute = useRouteRef(entityRouteRef);
  const groups = useFilterOptions('group');
  const systems = useFilterOptions('system');
  const [owner, setOwner] = useState('');
  const [system, setSystem] = useState('');
  const [waitingForMe, setWaitingForMe] = useState(false);

  const fetchPage = useCallback(
    (cursor?: string) =>
      deliveryApi.listComponents(
        {
          owner: owner || undefined,
          system: system || undefined,
          waitingForMe: waitingForMe || undefined,
        },
        { limit: PAGE_SIZE, cursor },
      ),
    [deliveryApi, owner, system, waitingForMe],
  );
  const pages = useCursorPages<ComponentSummary>(
    fetchPage,
    `${owner}#${system}#${waitingForMe}`,
  );

  const link = (c: ComponentSummary) => {
    const ref = parseEntityRef(c.component);
    return `${entityRoute({
      kind: ref.kind.toLocaleLowerCase('en-US'),
      namespace: ref.namespace,
      name: ref.name,
    })}/delivery`;
  };

  return (
    <>
      <ContentHeader title="Components on the delivery path">
        <SupportButton>
          Each component's release per environment, promotions waiting for
          approval, and failures and rollbacks of the last 7 days.
        </SupportButton>
      </ContentHeader>
      <div className={classes.filters}>
        <FormControl className={classes.select} size="small">
          <InputLabel id="delivery-owner">Owner</InputLabel>
          <Select
            labelId="delivery-owner"
            value={owner}
            onChange={e => setOwner(String(e.target.value))}
          >
            <MenuItem value="">Any owner</MenuItem>
            {(groups.value ?? []).map(g => (
              <MenuItem key={g.ref} value={g.ref}>
                {g.title}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <FormControl className={classes.select} size="small">
          <InputLabel id="delivery-system">System</InputLabel>
          <Select
            labelId="delivery-system"
            value={system}
            onChange={e => setSystem(String(e.target.value))}
          >
            <MenuItem value="">Any system</MenuItem>
            {(systems.value ?? []).map(s => (
              <MenuItem key={s.ref} value={s.ref}>
                {s.title}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <FormControlLabel
          control={
            <Switch
              checked={waitingForMe}
              onChange={e => setWaitingForMe(e.target.checked)}
              color="primary"
            />
          }
          label="Waiting for my approval"
        />
      </div>
      {pages.error && <ResponseErrorPanel error={pages.error} />}
      <Paper>
        {pages.loading && <Progress />}
        <Table aria-label="Components">
          <TableHead>
            <TableRow>
              <TableCell>Component</TableCell>
              <TableCell>Releases</TableCell>
              <TableCell>Awaiting approval</TableCell>
              <TableCell>Failures and rollbacks</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {!pages.loading && pages.items.length === 0 && (
              <TableRow>
                <TableCell colSpan={4}>
                  {waitingForMe
                    ? 'Nothing is waiting for your approval.'
                    : 'No components match. Components join with the delivery.backstage.io/ladder or backstage.io/kubernetes-id annotation.'}
                </TableCell>
              </TableRow>
            )}
            {pages.items.map(c => (
              <TableRow key={c.component}>
                <TableCell className={classes.cellTop}>
                  <Link to={link(c)}>{c.title ?? c.name}</Link>
                  <Typography
                    variant="caption"
                    display="block"
                    color="textSecondary"
                  >
                    {c.owner
                      ? actorName(c.owner).replace(/^group:(default\/)?/, '')
                      : ''}
                    {c.system ? ` · ${parseEntityRef(c.system).name}` : ''}
                    {c.ladder ? ` · ${c.ladder} ladder` : ''}
                  </Typography>
                  {c.problem && (
                    <Chip
                      size="small"
                      label="misconfigured"
                      title={c.problem}
                    />
                  )}
                </TableCell>
                <TableCell className={classes.cellTop}>
                  <Releases component={c} />
                </TableCell>
                <TableCell className={classes.cellTop}>
                  <Pending component={c} />
                </TableCell>
                <TableCell className={classes.cellTop}>
                  <Failures component={c} />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Paper>
      <PageControls pages={pages} noun="components" />
      <Box mt={3}>
        <DeliveryMetrics
          scope={owner ? { owner } : { system: system || undefined }}
          title={`Delivery performance: ${
            owner || system || 'the organisation'
          }`}
        />
      </Box>
      <Box mt={3}>
        <WorseReleases />
      </Box>
      <Box mt={3}>
        <ScorecardSummaryCard
          scope={owner ? { owner } : { system: system || undefined }}
        />
      </Box>
    </>
  );
}

/**
 * The organisation page with its own header, for apps on the legacy frontend
 * system (the new frontend system gives pages their header).
 *
 * @public
 */
export function DeliveryPageWithHeader() {
  return (
    <Page themeId="tool">
      <Header
        title="Delivery"
        subtitle="Releases, approvals and failures across the organisation"
      />
      <Content>
        <DeliveryPageContent />
      </Content>
    </Page>
  );
}
