export { PromotionHistory } from './PromotionHistory';
