/**
 * The Delivery for Backstage frontend plugin. This entry point serves apps on
 * the legacy frontend system; apps on the new frontend system install the
 * default export of `@backstage-delivery/plugin-delivery/alpha`.
 *
 * @packageDocumentation
 */

export {
  deliveryPlugin,
  EntityDeliveryContent,
  EntityDeliveryCard,
  DeliveryPage,
} from './plugin';
export { deliveryApiRef, DeliveryClient } from './api';
export type * from './api';
export {
  isDeliveryAvailable,
  DELIVERY_LADDER_ANNOTATION,
} from '@backstage-delivery/plugin-delivery-common';
