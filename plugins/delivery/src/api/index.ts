export { deliveryApiRef } from './DeliveryApi';
export type * from './DeliveryApi';
export { DeliveryClient } from './DeliveryClient';
