import { createApiRef } from '@backstage/core-plugin-api';
import { DeliveryHealth } from '@backstage-delivery/plugin-delivery-common';

/**
 * Client of the delivery backend (`/api/delivery`).
 *
 * @public
 */
export interface DeliveryApi {
  /** Whether the delivery backend and its database are reachable. */
  getHealth(): Promise<DeliveryHealth>;
}

/**
 * Reference to the {@link DeliveryApi}.
 *
 * @public
 */
export const deliveryApiRef = createApiRef<DeliveryApi>({
  id: 'plugin.delivery.api',
});
