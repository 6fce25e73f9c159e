import {
  Content,
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { getDeliverySettings } from '@backstage-delivery/plugin-delivery-common';
import Grid from '@material-ui/core/Grid';
import useAsync from 'react-use/esm/useAsync';
import { deliveryApiRef } from '../../api';

/**
 * The Delivery tab of a component: its delivery settings and the state of the
 * ledger that records its builds and releases.
 *
 * @public
 */
export function EntityDeliveryContent() {
  const { entity } = useEntity();
  const deliveryApi = useApi(deliveryApiRef);
  const settings = getDeliverySettings(entity);
  const health = useAsync(() => deliveryApi.getHealth(), [deliveryApi]);

  return (
    <Content>
      <Grid container spacing={3}>
        <Grid item xs={12} md={6}>
          <InfoCard title="Delivery settings">
            <StructuredMetadataTable
              metadata={{
                Component: entity.metadata.title ?? entity.metadata.name,
                Ladder: settings.ladder ?? 'default ladder',
                'Kubernetes id': settings.kubernetesId ?? 'not mapped',
              }}
            />
          </InfoCard>
        </Grid>
        <Grid item xs={12} md={6}>
          <InfoCard title="Delivery ledger">
            {health.loading && <Progress />}
            {health.error && <ResponseErrorPanel error={health.error} />}
            {health.value && (
              <StructuredMetadataTable
                metadata={{
                  Status: 'connected',
                  Database: health.value.database.client,
                  'Round trip': `${health.value.database.latencyMs} ms`,
                }}
              />
            )}
          </InfoCard>
        </Grid>
        <Grid item xs={12}>
          <EmptyState
            missing="data"
            title="No builds recorded yet"
            description={`The ledger has no builds of ${entity.metadata.name}. Builds, their evidence and their releases per environment appear here once the pipeline records them.`}
          />
        </Grid>
      </Grid>
    </Content>
  );
}
