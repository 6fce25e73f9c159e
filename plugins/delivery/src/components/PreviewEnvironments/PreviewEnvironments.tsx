import { Entity } from '@backstage/catalog-model';
import {
  CodeSnippet,
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { alertApiRef, configApiRef, useApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import Box from '@material-ui/core/Box';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Switch from '@material-ui/core/Switch';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { useCallback, useEffect, useState } from 'react';
import { deliveryApiRef, Preview } from '../../api';
import { useCursorPages } from '../../hooks/useCursorPages';
import { DeliveryPermissions } from '../../hooks/useDeliveryPermissions';
import { ActionDialog } from '../common/ActionDialog';
import {
  actorName,
  formatSeconds,
  pullRequestUrl,
  relativeTime,
} from '../common/format';
import { GuardedButton } from '../common/GuardedButton';
import { PageControls } from '../common/PageControls';
import { ReadPermissionPanel } from '../common/ReadPermissionPanel';
import { StateChip } from '../common/StatusChips';

const PAGE_SIZE = 10;

/** Lifetimes offered when extending; the backend caps them at its maximum. */
export const EXTEND_CHOICES = [
  { ttl: '4h', label: '4 hours' },
  { ttl: '1d', label: '1 day' },
  { ttl: '3d', label: '3 days' },
  { ttl: '7d', label: '7 days' },
];

const useStyles = makeStyles(theme => ({
  mono: { fontFamily: 'monospace', fontSize: '0.85em', whiteSpace: 'nowrap' },
  nowrap: { whiteSpace: 'nowrap' },
  actions: { display: 'flex', gap: theme.spacing(1), flexWrap: 'nowrap' },
  meta: { color: theme.palette.text.secondary },
}));

/** The current time, refreshed every `ms`, for countdowns. */
function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** When the preview goes away, or how it ended, in words. */
export function lifetimeText(preview: Preview, now: number): string {
  switch (preview.state) {
    case 'provisioning':
    case 'ready': {
      const left = (Date.parse(preview.expiresAt) - now) / 1000;
      return left > 0
        ? `expires in ${formatSeconds(left)}`
        : 'expired; the reaper deletes it shortly';
    }
    case 'expiring':
    case 'deleting':
      return 'being deleted';
    case 'deleted':
      return `deleted ${relativeTime(
        preview.deletedAt ?? preview.updatedAt,
        now,
      )}`;
    default:
      return `failed ${relativeTime(preview.updatedAt, now)}`;
  }
}

/** How pipelines create previews, shown while there are none. */
function CreatePreviewSnippet(props: { componentRef: string }) {
  const configApi = useApi(configApiRef);
  const api = `${configApi.getString('backend.baseUrl')}/api/delivery`;
  const text = `# In the pull request's pipeline (token: a static external-access token
# with delivery.preview.manage); answers 201, or 200 with the existing one
curl -X POST ${api}/previews \\
  -H "Authorization: Bearer $DELIVERY_CI_TOKEN" -H 'Content-Type: application/json' \\
  -d '{"component": "${props.componentRef}", "pullRequest": '"$PR_NUMBER"', "ttl": "1d"}'`;
  return <CodeSnippet language="bash" text={text} showCopyCodeButton />;
}

function PreviewsError(props: { error: Error }) {
  const status = (props.error as ResponseError).statusCode;
  if (status === 501) {
    return (
      <Box p={2}>
        <Typography variant="body2">
          Preview environments are not set up on this portal. A platform
          engineer turns them on with <code>delivery.previews</code> in the app
          config (see the delivery-backend README).
        </Typography>
      </Box>
    );
  }
  if (status === 403) {
    return <ReadPermissionPanel what="this component's previews" />;
  }
  return <ResponseErrorPanel error={props.error} />;
}

/**
 * The component's preview namespaces: one per pull request or branch, with
 * a countdown to expiry, a link to the pull request, and extend and destroy
 * for those who may manage previews.
 *
 * @public
 */
export function PreviewEnvironments(props: {
  entity: Entity;
  componentRef: string;
  permissions: DeliveryPermissions;
  /** Changes whenever the ledger changed, to reload the page shown. */
  version: number;
}) {
  const { entity, componentRef, permissions } = props;
  const classes = useStyles();
  const deliveryApi = useApi(deliveryApiRef);
  const alertApi = useApi(alertApiRef);
  const now = useNow(30_000);
  const [includeDeleted, setIncludeDeleted] = useState(false);
  const [dialog, setDialog] = useState<{
    action: 'extend' | 'destroy';
    preview: Preview;
  }>();
  const [ttl, setTtl] = useState(EXTEND_CHOICES[1].ttl);

  const fetchPage = useCallback(
    (cursor?: string) =>
      deliveryApi.listPreviews(componentRef, {
        includeDeleted,
        limit: PAGE_SIZE,
        cursor,
      }),
    [deliveryApi, componentRef, includeDeleted],
  );
  const pages = useCursorPages<Preview>(
    fetchPage,
    `${componentRef}#${includeDeleted}#${props.version}`,
  );
  const notConfigured =
    (pages.error as ResponseError | undefined)?.statusCode === 501;

  const blocked = permissions.previews.blockedBecause;
  const rows = pages.items;

  return (
    <InfoCard
      title="Preview environments"
      subheader="A namespace per pull request or branch, deleted when it expires"
      noPadding
      action={
        notConfigured ? undefined : (
          <FormControlLabel
            control={
              <Switch
                size="small"
                checked={includeDeleted}
                onChange={e => setIncludeDeleted(e.target.checked)}
              />
            }
            label="Show deleted"
          />
        )
      }
    >
      {pages.error && <PreviewsError error={pages.error} />}
      {pages.loading && rows.length === 0 && <Progress />}
      {!pages.loading && !pages.error && rows.length === 0 && (
        <Box p={2}>
          <Typography variant="body2" paragraph>
            No {includeDeleted ? '' : 'live '}preview environments of{' '}
            {entity.metadata.name}. Pipelines create one for each pull request;
            it is deleted when its time is up.
          </Typography>
          <CreatePreviewSnippet componentRef={componentRef} />
        </Box>
      )}
      {rows.length > 0 && (
        <div style={{ overflowX: 'auto' }}>
          <Table size="small" aria-label="Preview environments">
            <TableHead>
              <TableRow>
                <TableCell>For</TableCell>
                <TableCell>Namespace</TableCell>
                <TableCell>State</TableCell>
                <TableCell>Lifetime</TableCell>
                <TableCell>Requested</TableCell>
                <TableCell>Actions</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map(p => {
                const prUrl =
                  p.pullRequest !== undefined
                    ? pullRequestUrl(entity, p.pullRequest)
                    : undefined;
                const live = p.state === 'ready' || p.state === 'provisioning';
                const prLabel = `PR #${p.pullRequest}`;
                return (
                  <TableRow key={p.id} id={`preview-${p.id}`}>
                    <TableCell className={classes.nowrap}>
                      {p.pullRequest !== undefined &&
                        (prUrl ? <Link to={prUrl}>{prLabel}</Link> : prLabel)}
                      {p.branch && (
                        <span className={classes.mono}>{p.branch}</span>
                      )}
                    </TableCell>
                    <TableCell>
                      <span className={classes.mono}>{p.namespace}</span>
                      <Typography
                        variant="caption"
                        display="block"
                        className={classes.meta}
                      >
                        cluster {p.cluster}
                      </Typography>
                    </TableCell>
                    <TableCell>
                      <StateChip preview={p.state} />
                      {p.reason && (
                        <Typography
                          variant="caption"
                          display="block"
                          className={classes.meta}
                        >
                          {p.reason}
                        </Typography>
                      )}
                    </TableCell>
                    <TableCell
                      className={classes.nowrap}
                      title={`expires ${new Date(
                        p.expiresAt,
                      ).toLocaleString()}`}
                    >
                      {lifetimeText(p, now)}
                    </TableCell>
                    <TableCell className={classes.nowrap}>
                      {relativeTime(p.createdAt, now)} by{' '}
                      {actorName(p.requestedBy)}
                    </TableCell>
                    <TableCell>
                      <div className={classes.actions}>
                        {live && (
                          <GuardedButton
                            blockedBecause={blocked}
                            onClick={() =>
                              setDialog({ action: 'extend', preview: p })
                            }
                            aria-label={`Extend ${p.namespace}`}
                          >
                            Extend
                          </GuardedButton>
                        )}
                        {(live || p.state === 'failed') && (
                          <GuardedButton
                            blockedBecause={blocked}
                            onClick={() =>
                              setDialog({ action: 'destroy', preview: p })
                            }
                            aria-label={`Destroy ${p.namespace}`}
                          >
                            Destroy
                          </GuardedButton>
                        )}
                      </div>
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </div>
      )}
      {(rows.length > 0 || pages.hasPrevious) && (
        <div style={{ padding: '0 16px 8px' }}>
          <PageControls pages={pages} noun="previews" />
        </div>
      )}
      {dialog?.action === 'extend' && (
        <ActionDialog
          open
          title={`Extend ${dialog.preview.namespace}`}
          confirmLabel="Extend"
          onClose={() => setDialog(undefined)}
          onConfirm={async () => {
            const result = await deliveryApi.extendPreview(
              dialog.preview.id,
              ttl,
            );
            const until = new Date(result.preview.expiresAt).toLocaleString();
            alertApi.post({
              message: result.capped
                ? `${dialog.preview.namespace} now expires at ${until}, its maximum lifetime`
                : `${dialog.preview.namespace} now expires at ${until}`,
              severity: 'success',
              display: 'transient',
            });
            pages.reload();
          }}
        >
          <Typography variant="body2">
            It now {lifetimeText(dialog.preview, now)}. From now, keep it for:
          </Typography>
          <TextField
            select
            fullWidth
            margin="normal"
            variant="outlined"
            label="Keep for"
            value={ttl}
            onChange={e => setTtl(e.target.value)}
            inputProps={{ 'aria-label': 'Keep for' }}
          >
            {EXTEND_CHOICES.map(c => (
              <MenuItem key={c.ttl} value={c.ttl}>
                {c.label}
              </MenuItem>
            ))}
          </TextField>
          <Typography variant="caption" className={classes.meta}>
            A preview never lives longer than the portal's maximum lifetime from
            its creation.
          </Typography>
        </ActionDialog>
      )}
      {dialog?.action === 'destroy' && (
        <ActionDialog
          open
          title={`Destroy ${dialog.preview.namespace}?`}
          confirmLabel="Destroy"
          onClose={() => setDialog(undefined)}
          onConfirm={async () => {
            await deliveryApi.destroyPreview(dialog.preview.id);
            alertApi.post({
              message: `${dialog.preview.namespace} is being deleted`,
              severity: 'success',
              display: 'transient',
            });
            pages.reload();
          }}
        >
          <Typography variant="body2">
            The namespace and everything in it are deleted from cluster{' '}
            {dialog.preview.cluster}. The pipeline can create a new preview
            later.
          </Typography>
        </ActionDialog>
      )}
    </InfoCard>
  );
}
