export interface Config {
  delivery?: {
    /** The delivery permission policy (plugins/delivery-backend-module-permission-policy). */
    permissionPolicy?: {
      /** Entity refs of the platform groups. Default `group:default/platform`. */
      platformGroups?: string[];
      /**
       * Who among users holds each delivery permission: everyone, owners (of
       * the component, and the platform groups), platform or nobody. Service
       * principals are limited by their accessRestrictions instead.
       */
      permissions?: {
        [permission: string]: 'everyone' | 'owners' | 'platform' | 'nobody';
      };
      /** Other plugins' permissions: allow (default, as allow-all) or deny. */
      otherPermissions?: 'allow' | 'deny';
      /**
       * Who may change what runs in an environment, by environment name
       * (delivery.environment.deploy): everyone (default), platform or
       * nobody, e.g. `production: platform`. The component's permissions
       * and the environment's approvals still apply.
       */
      environments?: {
        [environment: string]: 'everyone' | 'platform' | 'nobody';
      };
    };
  };
}
