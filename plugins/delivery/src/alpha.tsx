import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { convertLegacyRouteRef } from '@backstage/core-compat-api';
import { Content } from '@backstage/core-components';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { isDeliveryAvailable } from '@backstage-delivery/plugin-delivery-common';
import LocalShipping from '@material-ui/icons/LocalShipping';
import { DeliveryClient, deliveryApiRef } from './api';
import { rootRouteRef } from './routes';

const deliveryApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: deliveryApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new DeliveryClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * The Delivery tab on components that opt in (see the README), grouped
 * with the Kubernetes tab under "Deployment".
 */
const entityDeliveryContent = EntityContentBlueprint.make({
  name: 'delivery',
  params: {
    path: '/delivery',
    title: 'Delivery',
    group: 'deployment',
    filter: isDeliveryAvailable,
    loader: () =>
      import('./components/EntityDeliveryContent').then(m => (
        <m.EntityDeliveryContent />
      )),
  },
});

/** The Delivery card on the overview of components that opt in. */
const entityDeliveryCard = EntityCardBlueprint.make({
  name: 'delivery',
  params: {
    filter: isDeliveryAvailable,
    loader: () =>
      import('./components/EntityDeliveryCard').then(m => (
        <m.EntityDeliveryCard />
      )),
  },
});

/** The organisation page at /delivery. */
const deliveryPage = PageBlueprint.make({
  params: {
    path: '/delivery',
    title: 'Delivery',
    icon: <LocalShipping />,
    routeRef: convertLegacyRouteRef(rootRouteRef),
    loader: () =>
      import('./components/DeliveryPage').then(m => (
        <Content>
          <m.DeliveryPageContent />
        </Content>
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
  routes: { root: convertLegacyRouteRef(rootRouteRef) },
  extensions: [
    deliveryApi,
    entityDeliveryContent,
    entityDeliveryCard,
    deliveryPage,
  ],
});
