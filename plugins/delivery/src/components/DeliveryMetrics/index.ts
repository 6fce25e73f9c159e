export { DeliveryMetrics, DoraKeys } from './DeliveryMetrics';
