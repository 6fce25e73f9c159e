import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { deliveryPermissions } from '@backstage-delivery/plugin-delivery-common';
import { readDeliveryConfig } from './config/readDeliveryConfig';
import { DeliveryStore } from './database/DeliveryStore';
import { applyDatabaseMigrations } from './database/migrations';
import { DeliveryService } from './service/DeliveryService';
import { createRouter } from './service/router';
import { seedDemo } from './demo/seedDemo';
import { readClusters } from './kubernetes/clusters';
import { KubernetesGateway } from './kubernetes/KubernetesGateway';
import { LiveStateReader } from './kubernetes/liveState';
import { PreviewManager } from './kubernetes/previews/PreviewManager';
import { VerificationReconciler } from './kubernetes/VerificationReconciler';
import { PreviewStore } from './database/PreviewStore';

/**
 * The delivery backend plugin: the ledger of artifacts, evidence, promotions
 * and preview environments, served at `/api/delivery`.
 *
 * @public
 */
export const deliveryPlugin = createBackendPlugin({
  pluginId: 'delivery',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        userInfo: coreServices.userInfo,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        lifecycle: coreServices.lifecycle,
        scheduler: coreServices.scheduler,
        cache: coreServices.cache,
        catalog: catalogServiceRef,
      },
      async init(deps) {
        const deliveryConfig = readDeliveryConfig(deps.config);
        const knex = await deps.database.getClient();
        await applyDatabaseMigrations(knex, deps.database);
        const store = new DeliveryStore(knex);
        const catalog = {
          getEntity: async (ref: string) =>
            deps.catalog.getEntityByRef(ref, {
              credentials: await deps.auth.getOwnServiceCredentials(),
            }),
        };

        // Kubernetes: the clusters configured for the official plugin. With
        // none, environments show no live state and previews are off.
        const clusters = readClusters(deps.config);
        const gateway = new KubernetesGateway({
          clusters,
          timeoutMs: deliveryConfig.kubernetes.requestTimeoutMs,
        });
        const live =
          clusters.size > 0
            ? new LiveStateReader({
                gateway,
                cache: deps.cache,
                cacheTtlMs: deliveryConfig.kubernetes.cacheTtlMs,
                logger: deps.logger,
              })
            : undefined;

        const service = new DeliveryService({
          store,
          config: deliveryConfig,
          catalog,
          live,
        });

        if (live) {
          const reconciler = new VerificationReconciler({
            store,
            service,
            live,
            config: deliveryConfig,
            catalog,
            logger: deps.logger,
          });
          await deps.scheduler.scheduleTask({
            id: 'delivery-verification',
            frequency: {
              milliseconds: deliveryConfig.kubernetes.verificationIntervalMs,
            },
            timeout: { minutes: 5 },
            // One runner across replicas.
            scope: 'global',
            fn: async () => {
              await reconciler.run();
            },
          });
        }

        let previews: PreviewManager | undefined;
        const previewSettings = deliveryConfig.previews;
        if (previewSettings) {
          if (!clusters.has(previewSettings.cluster)) {
            throw new Error(
              `delivery.previews.cluster '${
                previewSettings.cluster
              }' is not a cluster of kubernetes.clusterLocatorMethods (configured: ${
                [...clusters.keys()].join(', ') || 'none'
              })`,
            );
          }
          const manager = new PreviewManager({
            store: new PreviewStore(knex),
            ledger: store,
            settings: previewSettings,
            gateway,
            catalog,
            logger: deps.logger,
            auditor: deps.auditor,
          });
          previews = manager;
          await deps.scheduler.scheduleTask({
            id: 'delivery-preview-reaper',
            frequency: { milliseconds: previewSettings.reaperIntervalMs },
            timeout: { minutes: 5 },
            initialDelay: { seconds: 15 },
            scope: 'global',
            fn: async () => {
              const report = await manager.reap();
              const done = [
                ...report.expired.map(n => `expired ${n}`),
                ...report.deleted.map(n => `deleted ${n}`),
                ...report.vanished.map(n => `vanished ${n}`),
                ...report.refused.map(n => `refused ${n}`),
              ];
              if (done.length) {
                deps.logger.info(`Preview reaper: ${done.join('; ')}`);
              }
            },
          });
        }

        deps.permissionsRegistry.addPermissions(deliveryPermissions);
        deps.httpRouter.use(
          await createRouter({
            service,
            previews,
            ...deps,
            catalog: deps.catalog,
          }),
        );
        // Load balancers and uptime checks call this without a token; it
        // reveals only the database client name and a latency figure.
        deps.httpRouter.addAuthPolicy({
          path: '/health',
          allow: 'unauthenticated',
        });

        if (deliveryConfig.demoFile) {
          const file = deliveryConfig.demoFile;
          deps.lifecycle.addStartupHook(() => {
            // Runs in the background: it waits for the catalog to ingest the
            // demo components, which happens after startup.
            seedDemo({
              file,
              store,
              config: deliveryConfig,
              catalog,
              logger: deps.logger,
            }).catch(error =>
              deps.logger.error(
                `Could not load the delivery demo from ${file}`,
                error,
              ),
            );
          });
        }
      },
    });
  },
});
