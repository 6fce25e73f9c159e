/**
 * Scaffolder actions that put new services on the Delivery for Backstage
 * golden path.
 *
 * @packageDocumentation
 */

export { scaffolderModuleDelivery as default } from './module';
export { createAnnotateComponentAction } from './actions/annotate';
export { createResolveLadderAction } from './actions/ladder';
export type { ResolvedEnvironment } from './actions/ladder';
export {
  createKubernetesOverlaysAction,
  UNBUILT_DIGEST,
  ENVIRONMENT_LABEL,
} from './actions/overlays';
export {
  createInspectRepositoryAction,
  createPlanOnboardingAction,
} from './actions/onboarding';
