/**
 * The permission policy of Delivery for Backstage: owners deliver their
 * components, the platform group overrides, CI does what its access
 * restrictions allow.
 *
 * @packageDocumentation
 */

export { permissionModuleDeliveryPolicy as default } from './module';
export { DeliveryPermissionPolicy } from './policy';
export { DEFAULT_AUDIENCES, readPolicySettings } from './rules';
export type { Audience, PolicySettings } from './rules';
