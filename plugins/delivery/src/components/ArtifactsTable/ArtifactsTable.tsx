import { Entity } from '@backstage/catalog-model';
import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import MuiLink from '@material-ui/core/Link';
import Chip from '@material-ui/core/Chip';
import Drawer from '@material-ui/core/Drawer';
import IconButton from '@material-ui/core/IconButton';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import Close from '@material-ui/icons/Close';
import Warning from '@material-ui/icons/Warning';
import { MouseEvent, useCallback, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { Artifact, deliveryApiRef } from '../../api';
import { useCursorPages } from '../../hooks/useCursorPages';
import { DeliveryPermissions } from '../../hooks/useDeliveryPermissions';
import { ActionDialog } from '../common/ActionDialog';
import { SafeLink } from '../common/SafeLink';
import { EvidenceBadges, EvidenceSummary } from '../common/EvidenceBadges';
import {
  actorName,
  artifactLabel,
  commitUrl,
  relativeTime,
  shortDigest,
} from '../common/format';
import { GuardedButton } from '../common/GuardedButton';
import { VerifiedAttestations } from '../common/VerifiedAttestations';
import { PageControls } from '../common/PageControls';
import { useToneClasses } from '../common/StatusChips';

const PAGE_SIZE = 10;

const useStyles = makeStyles(theme => ({
  mono: { fontFamily: 'monospace', fontSize: '0.85em', whiteSpace: 'nowrap' },
  nowrap: { whiteSpace: 'nowrap' },
  drawer: { width: 520, maxWidth: '100vw', padding: theme.spacing(3) },
  row: { cursor: 'pointer' },
  chips: { display: 'flex', flexWrap: 'wrap', gap: theme.spacing(0.5) },
  dl: {
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.5),
    '& dt': { color: theme.palette.text.secondary },
    '& dd': { margin: 0, wordBreak: 'break-all' },
  },
}));

function ArtifactDrawer(props: {
  artifactId: string;
  entity: Entity;
  permissions: DeliveryPermissions;
  onClose(): void;
  onChanged(): void;
}) {
  const classes = useStyles();
  const tone = useToneClasses();
  const deliveryApi = useApi(deliveryApiRef);
  const alertApi = useApi(alertApiRef);
  const [dialog, setDialog] = useState<'quarantine' | 'lift'>();
  const detail = useAsyncRetry(
    () => deliveryApi.getArtifact(props.artifactId),
    [deliveryApi, props.artifactId],
  );
  const a = detail.value;
  return (
    <Drawer anchor="right" open onClose={props.onClose}>
      <div className={classes.drawer} role="dialog" aria-label="Build details">
        <IconButton
          aria-label="Close build details"
          onClick={props.onClose}
          style={{ float: 'right' }}
        >
          <Close />
        </IconButton>
        {detail.loading && <Progress />}
        {detail.error && <ResponseErrorPanel error={detail.error} />}
        {a && (
          <>
            <Typography variant="h5" component="h2">
              {artifactLabel(a)}
            </Typography>
            {a.quarantine && (
              <Typography className={tone.bad}>
                <Warning fontSize="inherit" /> Quarantined by{' '}
                {actorName(a.quarantine.quarantinedBy)}{' '}
                {relativeTime(a.quarantine.quarantinedAt)}:{' '}
                {a.quarantine.reason}
              </Typography>
            )}
            <dl className={classes.dl}>
              <dt>Image</dt>
              <dd className={classes.mono}>
                {a.imageRepository}@{a.digest}
              </dd>
              <dt>Commit</dt>
              <dd>
                {(() => {
                  const url = commitUrl(props.entity, a.commitSha);
                  return url ? (
                    <Link to={url}>{a.commitSha}</Link>
                  ) : (
                    a.commitSha
                  );
                })()}
                {a.commitTime ? ` (${relativeTime(a.commitTime)})` : ''}
              </dd>
              <dt>Branch</dt>
              <dd>{a.branch ?? '—'}</dd>
              <dt>Build</dt>
              <dd>
                {a.buildUrl ? (
                  <SafeLink to={a.buildUrl}>{a.buildId ?? a.buildUrl}</SafeLink>
                ) : (
                  a.buildId ?? '—'
                )}
              </dd>
              <dt>Size</dt>
              <dd>
                {a.sizeBytes !== undefined
                  ? `${Math.round(a.sizeBytes / 1e6)} MB`
                  : '—'}
              </dd>
              <dt>Base image</dt>
              <dd className={classes.mono}>{a.baseImage ?? '—'}</dd>
              <dt>Recorded</dt>
              <dd>
                {relativeTime(a.createdAt)} by {actorName(a.createdBy ?? '')}
              </dd>
              <dt>Released in</dt>
              <dd>
                {a.releases.map(r => r.environment).join(', ') || 'nowhere'}
              </dd>
            </dl>
            <Typography variant="h6" component="h3" style={{ marginTop: 16 }}>
              Latest evidence
            </Typography>
            <EvidenceBadges evidence={a.evidence} />
            <Typography variant="h6" component="h3" style={{ marginTop: 16 }}>
              Verified attestations
            </Typography>
            <VerifiedAttestations evidence={a.evidenceHistory} />
            <Typography variant="h6" component="h3" style={{ marginTop: 16 }}>
              All evidence ({a.evidenceHistory.length})
            </Typography>
            <Table size="small" aria-label="All evidence">
              <TableHead>
                <TableRow>
                  <TableCell>Kind</TableCell>
                  <TableCell>Result</TableCell>
                  <TableCell>Status</TableCell>
                  <TableCell>When</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {[...a.evidenceHistory].reverse().map(e => (
                  <TableRow key={e.id}>
                    <TableCell>
                      <SafeLink to={e.url}>{e.kind}</SafeLink>
                    </TableCell>
                    <TableCell
                      className={e.result === 'passed' ? tone.ok : tone.bad}
                    >
                      {e.result}
                    </TableCell>
                    <TableCell>{e.status}</TableCell>
                    <TableCell>{relativeTime(e.reportedAt)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
            <div style={{ marginTop: 16 }}>
              <GuardedButton
                blockedBecause={
                  a.quarantine
                    ? props.permissions.lift.blockedBecause
                    : props.permissions.quarantine.blockedBecause
                }
                onClick={() => setDialog(a.quarantine ? 'lift' : 'quarantine')}
              >
                {a.quarantine ? 'Lift quarantine' : 'Quarantine'}
              </GuardedButton>
            </div>
            {dialog && (
              <ActionDialog
                open
                title={`${
                  dialog === 'lift' ? 'Lift the quarantine of' : 'Quarantine'
                } ${artifactLabel(a)}`}
                confirmLabel={
                  dialog === 'lift' ? 'Lift quarantine' : 'Quarantine'
                }
                textLabel="Reason"
                textRequired
                onClose={() => setDialog(undefined)}
                onConfirm={async reason => {
                  if (dialog === 'lift')
                    await deliveryApi.liftQuarantine(a.id, reason);
                  else await deliveryApi.quarantine(a.id, reason);
                  alertApi.post({
                    message:
                      dialog === 'lift'
                        ? 'Quarantine lifted'
                        : `${artifactLabel(a)} is quarantined`,
                    severity: 'success',
                    display: 'transient',
                  });
                  detail.retry();
                  props.onChanged();
                }}
              />
            )}
          </>
        )}
      </div>
    </Drawer>
  );
}

/** The builds of a component, newest first, page by page. */
export function ArtifactsTable(props: {
  entity: Entity;
  componentRef: string;
  permissions: DeliveryPermissions;
  /** Changes whenever the ledger changed, to reload the page shown. */
  version: number;
  onChanged(): void;
}) {
  const classes = useStyles();
  const deliveryApi = useApi(deliveryApiRef);
  const [selected, setSelected] = useState<string>();
  const fetchPage = useCallback(
    (cursor?: string) =>
      deliveryApi.listArtifacts(props.componentRef, {
        limit: PAGE_SIZE,
        cursor,
      }),
    [deliveryApi, props.componentRef],
  );
  const pages = useCursorPages<Artifact>(
    fetchPage,
    `${props.componentRef}#${props.version}`,
  );

  return (
    <InfoCard title="Builds" noPadding>
      {pages.error && <ResponseErrorPanel error={pages.error} />}
      {pages.loading && pages.items.length === 0 && <Progress />}
      <div style={{ overflowX: 'auto' }}>
        <Table size="small" aria-label="Builds">
          <TableHead>
            <TableRow>
              <TableCell>Build</TableCell>
              <TableCell>Digest</TableCell>
              <TableCell>Commit</TableCell>
              <TableCell>Built</TableCell>
              <TableCell>Evidence</TableCell>
              <TableCell>Released in</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {pages.items.map(a => (
              <TableRow
                key={a.id}
                hover
                className={classes.row}
                onClick={() => setSelected(a.id)}
              >
                <TableCell>
                  <MuiLink
                    component="button"
                    onClick={(e: MouseEvent<HTMLElement>) => {
                      e.stopPropagation();
                      setSelected(a.id);
                    }}
                    aria-label={`Details of ${artifactLabel(a)}`}
                  >
                    <strong>{artifactLabel(a)}</strong>
                  </MuiLink>
                  {a.quarantine && (
                    <Chip
                      size="small"
                      label="quarantined"
                      icon={<Warning />}
                      style={{ marginLeft: 8 }}
                    />
                  )}
                  <Typography variant="caption" display="block">
                    {a.branch ?? ''} {a.buildId ? `#${a.buildId}` : ''}
                  </Typography>
                </TableCell>
                <TableCell className={classes.mono} title={a.digest}>
                  {shortDigest(a.digest)}
                </TableCell>
                <TableCell className={classes.mono}>
                  {a.commitSha.slice(0, 8)}
                </TableCell>
                <TableCell className={classes.nowrap}>
                  {relativeTime(a.createdAt)}
                </TableCell>
                <TableCell>
                  <EvidenceSummary evidence={a.evidence} />
                </TableCell>
                <TableCell>
                  <div className={classes.chips}>
                    {a.releases.map(r => (
                      <Chip
                        key={r.environment}
                        size="small"
                        color="primary"
                        label={r.environment}
                      />
                    ))}
                  </div>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </div>
      <div style={{ padding: '0 16px 8px' }}>
        <PageControls pages={pages} noun="builds" />
      </div>
      {selected && (
        <ArtifactDrawer
          artifactId={selected}
          entity={props.entity}
          permissions={props.permissions}
          onClose={() => setSelected(undefined)}
          onChanged={props.onChanged}
        />
      )}
    </InfoCard>
  );
}
