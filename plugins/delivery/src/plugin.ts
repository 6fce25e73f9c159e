import {
  createApiFactory,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { DeliveryClient, deliveryApiRef } from './api';
import { entityContentRouteRef } from './routes';

/**
 * The delivery plugin for apps on the legacy frontend system. Apps on the new
 * frontend system use the default export of `@backstage-delivery/plugin-delivery/alpha`.
 *
 * @public
 */
export const deliveryPlugin = createPlugin({
  id: 'delivery',
  apis: [
    createApiFactory({
      api: deliveryApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new DeliveryClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: {
    entityContent: entityContentRouteRef,
  },
});

/**
 * The Delivery tab content, for an `EntityLayout.Route` on component pages:
 *
 * ```tsx
 * <EntityLayout.Route path="/delivery" title="Delivery" if={isDeliveryAvailable}>
 *   <EntityDeliveryContent />
 * </EntityLayout.Route>
 * ```
 *
 * @public
 */
export const EntityDeliveryContent = deliveryPlugin.provide(
  createRoutableExtension({
    name: 'EntityDeliveryContent',
    component: () =>
      import('./components/EntityDeliveryContent').then(
        m => m.EntityDeliveryContent,
      ),
    mountPoint: entityContentRouteRef,
  }),
);
