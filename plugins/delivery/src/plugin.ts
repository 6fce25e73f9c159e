import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { DeliveryClient, deliveryApiRef } from './api';
import { entityContentRouteRef, rootRouteRef } from './routes';

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
    root: rootRouteRef,
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

/**
 * The Delivery card for the entity overview page:
 *
 * ```tsx
 * <EntitySwitch.Case if={isDeliveryAvailable}>
 *   <Grid item md={6}><EntityDeliveryCard /></Grid>
 * </EntitySwitch.Case>
 * ```
 *
 * @public
 */
export const EntityDeliveryCard = deliveryPlugin.provide(
  createComponentExtension({
    name: 'EntityDeliveryCard',
    component: {
      lazy: () =>
        import('./components/EntityDeliveryCard').then(
          m => m.EntityDeliveryCard,
        ),
    },
  }),
);

/**
 * The organisation page: `<Route path="/delivery" element={<DeliveryPage />} />`.
 *
 * @public
 */
export const DeliveryPage = deliveryPlugin.provide(
  createRoutableExtension({
    name: 'DeliveryPage',
    component: () =>
      import('./components/DeliveryPage').then(m => m.DeliveryPageWithHeader),
    mountPoint: rootRouteRef,
  }),
);
