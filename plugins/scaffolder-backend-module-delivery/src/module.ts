import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createAnnotateComponentAction } from './actions/annotate';
import { createResolveLadderAction } from './actions/ladder';
import {
  createInspectRepositoryAction,
  createPlanOnboardingAction,
} from './actions/onboarding';
import { createKubernetesOverlaysAction } from './actions/overlays';

/**
 * Adds the delivery actions (`delivery:*`) to the scaffolder.
 *
 * @public
 */
export const scaffolderModuleDelivery = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'delivery',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolderActions: scaffolderActionsExtensionPoint,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ scaffolderActions, discovery, auth }) {
        scaffolderActions.addActions(
          createAnnotateComponentAction(),
          createResolveLadderAction({ discovery, auth }),
          createKubernetesOverlaysAction(),
          createInspectRepositoryAction(),
          createPlanOnboardingAction(),
        );
      },
    });
  },
});
