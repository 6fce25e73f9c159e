import { PermissionsRegistryService } from '@backstage/backend-plugin-api';
import {
  deliveryEnvironmentDeployPermission,
  RESOURCE_TYPE_DELIVERY_ENVIRONMENT,
} from '@backstage-delivery/plugin-delivery-common';
import {
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import { z } from 'zod';
import type { LadderConfig } from '../../config/types';

/** An environment as permission rules see it. */
export interface EnvironmentResource {
  name: string;
  /** The last environment of a ladder that has it (production-like). */
  productionLike: boolean;
}

/** What a rule narrows environments to (no list query uses it yet). */
export interface EnvironmentFilter {
  names?: string[];
  productionLike?: boolean;
}

/** The environment resource: its ref is the environment's name. */
export const environmentResourceRef = createPermissionResourceRef<
  EnvironmentResource,
  EnvironmentFilter
>().with({
  pluginId: 'delivery',
  resourceType: RESOURCE_TYPE_DELIVERY_ENVIRONMENT,
});

/** Whether the environment is one of these, by name. */
export const isEnvironment = createPermissionRule({
  name: 'IS_ENVIRONMENT',
  description: 'Allow changes to the named environments only',
  resourceRef: environmentResourceRef,
  paramsSchema: z.object({
    names: z.array(z.string()).describe('Environment names, e.g. production'),
  }),
  apply: (resource, { names }) => names.includes(resource.name),
  toQuery: ({ names }) => ({ names }),
});

/** Whether the environment is the last of a ladder (production-like). */
export const isProductionLike = createPermissionRule({
  name: 'IS_PRODUCTION_LIKE',
  description: 'Allow changes to the last environment of a ladder',
  resourceRef: environmentResourceRef,
  paramsSchema: z.object({}),
  apply: resource => resource.productionLike,
  toQuery: () => ({ productionLike: true }),
});

/** The environments of the configured ladders, by name. */
export function environmentResources(
  ladders: Map<string, LadderConfig>,
): Map<string, EnvironmentResource> {
  const resources = new Map<string, EnvironmentResource>();
  for (const ladder of ladders.values()) {
    ladder.environments.forEach((env, i) => {
      const productionLike = i === ladder.environments.length - 1;
      resources.set(env.name, {
        name: env.name,
        productionLike:
          productionLike || (resources.get(env.name)?.productionLike ?? false),
      });
    });
  }
  return resources;
}

/**
 * Registers the environment resource type, its permission and rules, so that
 * a policy can answer `delivery.environment.deploy` with a conditional
 * decision (e.g. "not production") that the permission backend resolves here.
 */
export function registerEnvironmentPermissions(
  registry: PermissionsRegistryService,
  ladders: Map<string, LadderConfig>,
) {
  const resources = environmentResources(ladders);
  registry.addResourceType({
    resourceRef: environmentResourceRef,
    permissions: [deliveryEnvironmentDeployPermission],
    rules: [isEnvironment, isProductionLike],
    getResources: async refs => refs.map(ref => resources.get(ref)),
  });
}
