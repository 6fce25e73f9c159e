export { DeliveryPageContent, DeliveryPageWithHeader } from './DeliveryPage';
