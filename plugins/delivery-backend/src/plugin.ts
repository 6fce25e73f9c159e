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
        const service = new DeliveryService({
          store,
          config: deliveryConfig,
          catalog,
        });

        deps.permissionsRegistry.addPermissions(deliveryPermissions);
        deps.httpRouter.use(
          await createRouter({ service, ...deps, catalog: deps.catalog }),
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
