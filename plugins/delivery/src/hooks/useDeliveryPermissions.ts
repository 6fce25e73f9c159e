import { usePermission } from '@backstage/plugin-permission-react';
import {
  deliveryEnvironmentDeployPermission,
  deliveryArtifactLiftPermission,
  deliveryArtifactQuarantinePermission,
  deliveryPreviewManagePermission,
  deliveryPromotionAbortPermission,
  deliveryPromotionApprovePermission,
  deliveryPromotionOverridePermission,
  deliveryPromotionRequestPermission,
  deliveryPromotionRollbackPermission,
} from '@backstage-delivery/plugin-delivery-common';

export interface ActionPermission {
  allowed: boolean;
  loading: boolean;
  /** Why the action is not available, for a disabled button's tooltip. */
  blockedBecause?: string;
}

function useAction(
  permission:
    | typeof deliveryPromotionRequestPermission
    | typeof deliveryPromotionApprovePermission,
  componentRef: string,
  what: string,
): ActionPermission {
  const { allowed, loading } = usePermission({
    permission,
    resourceRef: componentRef,
  });
  let blockedBecause: string | undefined;
  if (loading) {
    blockedBecause = 'Checking your permissions…';
  } else if (!allowed) {
    blockedBecause = `You may not ${what} for this component (permission ${permission.name})`;
  }
  return { allowed, loading, blockedBecause };
}

/** What the signed-in user may do to a component's delivery. */
export function useDeliveryPermissions(componentRef: string) {
  return {
    request: useAction(
      deliveryPromotionRequestPermission,
      componentRef,
      'request promotions',
    ),
    abort: useAction(
      deliveryPromotionAbortPermission,
      componentRef,
      "abort others' promotions, rollbacks or promotions under way",
    ),
    approve: useAction(
      deliveryPromotionApprovePermission,
      componentRef,
      'approve or reject promotions',
    ),
    rollback: useAction(
      deliveryPromotionRollbackPermission,
      componentRef,
      'roll back',
    ),
    quarantine: useAction(
      deliveryArtifactQuarantinePermission,
      componentRef,
      'quarantine builds',
    ),
    lift: useAction(
      deliveryArtifactLiftPermission,
      componentRef,
      'lift quarantines',
    ),
    override: useAction(
      deliveryPromotionOverridePermission,
      componentRef,
      'request hotfixes',
    ),
    previews: useAction(
      deliveryPreviewManagePermission,
      componentRef,
      'extend or destroy preview environments',
    ),
  };
}

export type DeliveryPermissions = ReturnType<typeof useDeliveryPermissions>;

/**
 * The component's permissions as they apply in one environment: requests,
 * hotfixes and rollbacks into it also need `delivery.environment.deploy` for
 * the environment (a policy may keep production for the platform group).
 */
export function useEnvironmentPermissions(
  permissions: DeliveryPermissions,
  environment: string,
): DeliveryPermissions {
  const { allowed, loading } = usePermission({
    permission: deliveryEnvironmentDeployPermission,
    resourceRef: environment,
  });
  if (allowed) return permissions;
  const within = (action: ActionPermission): ActionPermission =>
    action.allowed
      ? {
          allowed: false,
          loading,
          blockedBecause: loading
            ? 'Checking your permissions…'
            : `You may not change what runs in ${environment} (permission ${deliveryEnvironmentDeployPermission.name})`,
        }
      : action;
  return {
    ...permissions,
    request: within(permissions.request),
    rollback: within(permissions.rollback),
    override: within(permissions.override),
  };
}
