import {
  CodeSnippet,
  Content,
  EmptyState,
  Progress,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import { configApiRef, useApi } from '@backstage/core-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { ResponseError } from '@backstage/errors';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import IconButton from '@material-ui/core/IconButton';
import Typography from '@material-ui/core/Typography';
import Refresh from '@material-ui/icons/Refresh';
import { useCallback, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { deliveryApiRef, Overview } from '../../api';
import { useDeliveryPermissions } from '../../hooks/useDeliveryPermissions';
import { useRefreshWhileUnderWay } from '../../hooks/useRefreshWhileUnderWay';
import { useDeliverySignal } from '../../hooks/useDeliverySignal';
import { useDeepLink } from '../../hooks/useDeepLink';
import { apiMessage } from '../common/apiMessage';
import { ReadPermissionPanel } from '../common/ReadPermissionPanel';
import { ArtifactsTable } from '../ArtifactsTable/ArtifactsTable';
import { EnvironmentLadder } from '../EnvironmentLadder/EnvironmentLadder';
import { PromotionHistory } from '../PromotionHistory/PromotionHistory';
import { PreviewEnvironments } from '../PreviewEnvironments/PreviewEnvironments';
import { DeliveryMetrics } from '../DeliveryMetrics';
import { ComponentScorecard } from '../Scorecard';
import { ComponentReleaseComparisons } from '../ReleaseComparisons';

function isEmpty(overview: Overview) {
  return overview.environments.every(
    e => !e.release && !e.activePromotion && !e.candidate,
  );
}

/** How CI records a build, shown until the first one arrives. */
export function RecordBuildSnippet(props: { componentRef: string }) {
  const configApi = useApi(configApiRef);
  const api = `${configApi.getString('backend.baseUrl')}/api/delivery`;
  const text = `# In the pipeline, after pushing the image (token: a static external-access token)
curl -X POST ${api}/artifacts \\
  -H "Authorization: Bearer $DELIVERY_CI_TOKEN" -H 'Content-Type: application/json' \\
  -d '{
    "component": "${props.componentRef}",
    "digest": "sha256:<the image digest>",
    "imageRepository": "<registry>/<repository>",
    "tags": ["<version>"],
    "commitSha": "'"$GIT_COMMIT"'",
    "buildUrl": "<link to the CI run>"
  }'`;
  return <CodeSnippet language="bash" text={text} showCopyCodeButton />;
}

/** Why the overview could not be shown, in words for the viewer. */
function OverviewError(props: { error: Error }) {
  const status = (props.error as ResponseError).statusCode;
  if (status === 403) {
    return <ReadPermissionPanel what="this component's delivery" />;
  }
  if (status === 422) {
    return (
      <WarningPanel
        title="Delivery is not set up for this component"
        message={apiMessage(props.error)}
      />
    );
  }
  return <ResponseErrorPanel error={props.error} />;
}

/**
 * The Delivery tab of a component: the environment ladder with its releases,
 * promotions under way and next candidates, then the builds and the history.
 * The first view is one overview call plus one page of each list.
 *
 * @public
 */
export function EntityDeliveryContent() {
  const { entity } = useEntity();
  const componentRef = stringifyEntityRef(entity);
  const deliveryApi = useApi(deliveryApiRef);
  const permissions = useDeliveryPermissions(componentRef);
  const [version, setVersion] = useState(0);
  const overview = useAsyncRetry(
    () => deliveryApi.getOverview(componentRef),
    [deliveryApi, componentRef, version],
  );
  const changed = useCallback(() => setVersion(v => v + 1), []);
  // Signals bring every change of the ledger and of executions; without
  // them (no signals plugin, or its connection lost) the tab polls.
  const signalled = useDeliverySignal(componentRef, changed);
  useRefreshWhileUnderWay(overview.value, overview.retry, changed, !signalled);
  useDeepLink(Boolean(overview.value));

  if (overview.loading && !overview.value) {
    return <Progress />;
  }
  if (overview.error) {
    return (
      <Content>
        <OverviewError error={overview.error} />
      </Content>
    );
  }
  const value = overview.value!;
  return (
    <Content>
      <Box display="flex" alignItems="center" mb={2}>
        <Typography variant="h5" component="h2">
          Delivery · {value.ladder.title} ladder
        </Typography>
        <IconButton
          aria-label="Refresh delivery"
          onClick={changed}
          style={{ marginLeft: 8 }}
        >
          <Refresh />
        </IconButton>
      </Box>
      {isEmpty(value) ? (
        <EmptyState
          missing="data"
          title="No builds recorded yet"
          description={`The ledger has no builds of ${entity.metadata.name}. CI records each build once, with its image digest; then it attaches evidence and asks for promotions.`}
          action={<RecordBuildSnippet componentRef={componentRef} />}
        />
      ) : (
        <Grid container spacing={3}>
          <Grid item xs={12}>
            <EnvironmentLadder
              entity={entity}
              overview={value}
              permissions={permissions}
              onChanged={changed}
            />
          </Grid>
          <Grid item xs={12} xl={7}>
            <ArtifactsTable
              entity={entity}
              componentRef={componentRef}
              permissions={permissions}
              version={version}
              onChanged={changed}
            />
          </Grid>
          <Grid item xs={12} xl={5}>
            <PromotionHistory
              componentRef={componentRef}
              environments={value.environments.map(e => ({
                name: e.environment.name,
                title: e.environment.title,
              }))}
              version={version}
            />
          </Grid>
        </Grid>
      )}
      {value && value.environments.some(e => e.release) && (
        <Box mt={3}>
          <ComponentReleaseComparisons
            componentRef={componentRef}
            version={version}
          />
        </Box>
      )}
      {value && value.environments.some(e => e.release) && (
        <Box mt={3}>
          <DeliveryMetrics scope={{ component: componentRef }} />
        </Box>
      )}
      {value && (
        <Box mt={3}>
          <ComponentScorecard componentRef={componentRef} />
        </Box>
      )}
      <Box mt={3}>
        <PreviewEnvironments
          entity={entity}
          componentRef={componentRef}
          permissions={permissions}
          version={version}
        />
      </Box>
    </Content>
  );
}
