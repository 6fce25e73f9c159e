import { createPermission } from '@backstage/plugin-permission-common';
import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';

/**
 * Read the delivery ledger: artifacts, evidence, promotions, releases.
 *
 * @public
 */
export const deliveryReadPermission = createPermission({
  name: 'delivery.ledger.read',
  attributes: { action: 'read' },
});

/**
 * Record artifacts and their evidence, and report rollout events. Checked
 * against the component (a catalog entity), so policies can use catalog
 * conditions such as ownership.
 *
 * @public
 */
export const deliveryArtifactRecordPermission = createPermission({
  name: 'delivery.artifact.record',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Request a promotion of a component's artifact into an environment; the
 * requester may also abort their own request before it executes.
 *
 * @public
 */
export const deliveryPromotionRequestPermission = createPermission({
  name: 'delivery.promotion.request',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Approve or reject a promotion. Only users can hold it in effect: the API
 * refuses service callers, and the domain refuses the requester and anyone
 * outside the environment's approver groups, whatever the policy says.
 *
 * @public
 */
export const deliveryPromotionApprovePermission = createPermission({
  name: 'delivery.promotion.approve',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Roll an environment back to its last known good artifact.
 *
 * @public
 */
export const deliveryPromotionRollbackPermission = createPermission({
  name: 'delivery.promotion.rollback',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Quarantine an artifact, so that it cannot be promoted.
 *
 * @public
 */
export const deliveryArtifactQuarantinePermission = createPermission({
  name: 'delivery.artifact.quarantine',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Request a hotfix: a promotion that overrides the environment's deploy
 * windows and freezes. Always audited at critical severity.
 *
 * @public
 */
export const deliveryPromotionOverridePermission = createPermission({
  name: 'delivery.promotion.override',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Create, extend and destroy a component's preview namespaces.
 *
 * @public
 */
export const deliveryPreviewManagePermission = createPermission({
  name: 'delivery.preview.manage',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Report a promotion's rollout events (deploying, verifying, succeeded,
 * failed): the events that create releases and trigger rollbacks.
 *
 * @public
 */
export const deliveryPromotionReportPermission = createPermission({
  name: 'delivery.promotion.report',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Abort a promotion someone else requested, a rollback, or one under way.
 * (Requesters abort their own requests with the request permission.)
 *
 * @public
 */
export const deliveryPromotionAbortPermission = createPermission({
  name: 'delivery.promotion.abort',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Lift an artifact's quarantine, letting it be promoted again.
 *
 * @public
 */
export const deliveryArtifactLiftPermission = createPermission({
  name: 'delivery.artifact.lift',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * The resource type of an environment (its name, e.g. `production`), for
 * permission rules on where a change goes: `IS_ENVIRONMENT`,
 * `IS_PRODUCTION_LIKE`, registered by the delivery backend.
 *
 * @public
 */
export const RESOURCE_TYPE_DELIVERY_ENVIRONMENT = 'delivery-environment';

/**
 * Change what runs in an environment: promotions, hotfixes and rollbacks into
 * it, checked with the environment's name as the resource, in addition to
 * the permission on the component.
 *
 * @public
 */
export const deliveryEnvironmentDeployPermission = createPermission({
  name: 'delivery.environment.deploy',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_DELIVERY_ENVIRONMENT,
});

/**
 * Every permission of the delivery plugin.
 *
 * @public
 */
export const deliveryPermissions = [
  deliveryReadPermission,
  deliveryArtifactRecordPermission,
  deliveryPromotionRequestPermission,
  deliveryPromotionApprovePermission,
  deliveryPromotionRollbackPermission,
  deliveryArtifactQuarantinePermission,
  deliveryPromotionOverridePermission,
  deliveryPreviewManagePermission,
  deliveryPromotionReportPermission,
  deliveryPromotionAbortPermission,
  deliveryArtifactLiftPermission,
  deliveryEnvironmentDeployPermission,
];
