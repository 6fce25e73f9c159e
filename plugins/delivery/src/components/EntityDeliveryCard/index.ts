export { EntityDeliveryCard } from './EntityDeliveryCard';
