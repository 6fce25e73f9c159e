/*
 * One backend replica for the reliability suite, run as its own process:
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs replica.ts
 *
 * with DELIVERY_REPLICA set to the JSON of ReplicaOptions. A real Backstage
 * backend (backend-defaults: HTTP server, database manager, scheduler, cache)
 * with the delivery plugin; the catalog, auth and user info are the test
 * doubles of backend-test-utils, so tests sign requests with mockCredentials.
 */
import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { JsonObject } from '@backstage/types';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import deliveryPlugin from '../..';
import { userInfoWithGroups } from './userInfo';

export interface ReplicaOptions {
  port: number;
  /** backend.database (PostgreSQL), shared by the replicas. */
  database: JsonObject;
  /** backend.cache, if any. */
  cache?: JsonObject;
  delivery: JsonObject;
  /** The kubernetes config (clusterLocatorMethods), if any. */
  kubernetes?: JsonObject;
  entities: Entity[];
  /** user ref → group refs. */
  groups: Record<string, string[]>;
}

const options: ReplicaOptions = JSON.parse(process.env.DELIVERY_REPLICA!);
const backend = createBackend();
backend.add(
  mockServices.rootConfig.factory({
    data: {
      backend: {
        baseUrl: `http://127.0.0.1:${options.port}`,
        listen: { host: '127.0.0.1', port: options.port },
        database: options.database,
        ...(options.cache ? { cache: options.cache } : {}),
      },
      delivery: options.delivery,
      ...(options.kubernetes ? { kubernetes: options.kubernetes } : {}),
    },
  }),
);
backend.add(mockServices.auth.factory());
backend.add(mockServices.httpAuth.factory());
backend.add(mockServices.permissions.factory());
backend.add(catalogServiceMock.factory({ entities: options.entities }));
backend.add(userInfoWithGroups(options.groups));
backend.add(deliveryPlugin);
backend.start().catch(error => {
  // eslint-disable-next-line no-console
  console.error(error);
  process.exit(1);
});
