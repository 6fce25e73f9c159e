/**
 * The Delivery for Backstage backend plugin.
 *
 * @packageDocumentation
 */

export { deliveryPlugin as default } from './plugin';
