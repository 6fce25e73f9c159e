/**
 * Scaffolder actions that put new services on the Delivery for Backstage
 * golden path.
 *
 * @packageDocumentation
 */

export { scaffolderModuleDelivery as default } from './module';
export { createAnnotateComponentAction } from './actions/annotate';
