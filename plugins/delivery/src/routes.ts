import { createRouteRef } from '@backstage/core-plugin-api';

/** The Delivery tab of an entity. */
export const entityContentRouteRef = createRouteRef({
  id: 'delivery:entity-content',
});

/** The organisation page, `/delivery` by default. */
export const rootRouteRef = createRouteRef({ id: 'delivery' });
