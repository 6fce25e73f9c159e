import { createRouteRef } from '@backstage/core-plugin-api';

/** The Delivery tab of an entity. */
export const entityContentRouteRef = createRouteRef({
  id: 'delivery:entity-content',
});
