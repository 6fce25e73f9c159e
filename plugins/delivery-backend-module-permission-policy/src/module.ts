import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { DeliveryPermissionPolicy } from './policy';
import { readPolicySettings } from './rules';

/**
 * Installs the delivery permission policy in the permission backend, in
 * place of the allow-all policy. Configured by `delivery.permissionPolicy`.
 *
 * @public
 */
export const permissionModuleDeliveryPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'delivery-policy',
  register({ registerInit }) {
    registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        userInfo: coreServices.userInfo,
      },
      async init({ policy, config, logger, userInfo }) {
        const settings = readPolicySettings(config);
        policy.setPolicy(new DeliveryPermissionPolicy(settings, userInfo));
        logger.info(
          `Delivery permission policy installed; platform groups: ${settings.platformGroups.join(
            ', ',
          )}`,
        );
      },
    });
  },
});
