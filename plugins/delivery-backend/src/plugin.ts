import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { createRouter } from './service/router';

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
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
      },
      async init({ database, httpRouter }) {
        httpRouter.use(await createRouter({ database }));
        // Load balancers and uptime checks call this without a token; it
        // reveals only the database client name and a latency figure.
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
