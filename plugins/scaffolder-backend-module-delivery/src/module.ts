import { createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createAnnotateComponentAction } from './actions/annotate';

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
      deps: { scaffolderActions: scaffolderActionsExtensionPoint },
      async init({ scaffolderActions }) {
        scaffolderActions.addActions(createAnnotateComponentAction());
      },
    });
  },
});
