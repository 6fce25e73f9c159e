import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isDeliveryAvailable } from '@backstage-delivery/plugin-delivery-common';
import { DeliveryClient, deliveryApiRef } from './api';

const deliveryApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: deliveryApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new DeliveryClient({ discoveryApi, fetchApi }),
    }),
});

/** The Delivery tab on components that opt in (see the README). */
const entityDeliveryContent = EntityContentBlueprint.make({
  params: {
    path: '/delivery',
    title: 'Delivery',
    filter: isDeliveryAvailable,
    loader: () =>
      import('./components/EntityDeliveryContent').then(m => (
        <m.EntityDeliveryContent />
      )),
  },
});

/**
 * The delivery plugin for apps on the new frontend system.
 *
 * @public
 */
export default createFrontendPlugin({
  pluginId: 'delivery',
  info: { packageJson: () => import('../package.json') },
  extensions: [deliveryApi, entityDeliveryContent],
});
