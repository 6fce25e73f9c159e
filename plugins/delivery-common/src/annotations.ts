import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { KUBERNETES_ANNOTATION } from '@backstage/plugin-kubernetes-common';

/**
 * Annotation that opts a component into delivery and, optionally, names the
 * environment ladder it follows (one of `delivery.ladders.<name>` in the
 * backend config). An empty value means the default ladder.
 *
 * @public
 */
export const DELIVERY_LADDER_ANNOTATION = 'delivery.backstage.io/ladder';

/**
 * The standard Backstage annotation that maps a component to its Kubernetes
 * workloads (label `backstage.io/kubernetes-id`). Re-exported from
 * `@backstage/plugin-kubernetes-common` so that callers need one import.
 *
 * @public
 */
export const KUBERNETES_ID_ANNOTATION = KUBERNETES_ANNOTATION;

/**
 * What a catalog entity says about its delivery.
 *
 * @public
 */
export interface DeliverySettings {
  /** The ladder named by the entity, or undefined for the default ladder. */
  ladder?: string;
  /** The Kubernetes id of the entity's workloads, if annotated. */
  kubernetesId?: string;
}

function annotation(entity: Entity, key: string): string | undefined {
  const value = entity.metadata.annotations?.[key]?.trim();
  return value ? value : undefined;
}

/**
 * Whether delivery applies to an entity: a Component that carries the delivery
 * ladder annotation or the Kubernetes id annotation.
 *
 * @public
 */
export function isDeliveryAvailable(entity: Entity): boolean {
  if (entity.kind.toLocaleLowerCase('en-US') !== 'component') {
    return false;
  }
  const annotations = entity.metadata.annotations ?? {};
  return (
    DELIVERY_LADDER_ANNOTATION in annotations ||
    Boolean(annotation(entity, KUBERNETES_ID_ANNOTATION))
  );
}

/**
 * Reads the delivery settings of an entity from its annotations.
 *
 * @public
 */
export function getDeliverySettings(entity: Entity): DeliverySettings {
  return {
    ladder: annotation(entity, DELIVERY_LADDER_ANNOTATION),
    kubernetesId: annotation(entity, KUBERNETES_ID_ANNOTATION),
  };
}

/**
 * The Kubernetes namespace of a component in an environment, from the
 * environment's namespace pattern (`delivery.ladders.<ladder>.environments[].namespace`):
 * `{component}` is the component's name, `{namespace}` its catalog namespace
 * and `{environment}` the environment's name.
 *
 * @public
 */
export function resolveNamespace(
  pattern: string,
  componentRef: string,
  environment: string,
): string {
  const { namespace, name } = parseEntityRef(componentRef, {
    defaultKind: 'component',
    defaultNamespace: 'default',
  });
  return pattern
    .replaceAll('{component}', name)
    .replaceAll('{namespace}', namespace)
    .replaceAll('{environment}', environment);
}

/**
 * A component ref as the delivery API takes it, normalised: `payments-api`,
 * `default/payments-api` and `component:default/payments-api` all give
 * `component:default/payments-api`. Anything that is not a component ref
 * gives the problem, in words a caller can act on.
 *
 * @public
 */
export function parseComponentRef(
  input: string,
): { ok: true; ref: string } | { ok: false; problem: string } {
  let parsed;
  try {
    parsed = parseEntityRef(input, {
      defaultKind: 'component',
      defaultNamespace: 'default',
    });
  } catch {
    return {
      ok: false,
      problem: `'${input}' is not an entity ref; use component:<namespace>/<name>, e.g. component:default/payments-api`,
    };
  }
  if (parsed.kind.toLocaleLowerCase('en-US') !== 'component') {
    return {
      ok: false,
      problem: `'${input}' is a ${parsed.kind}; delivery applies to components`,
    };
  }
  return { ok: true, ref: stringifyEntityRef(parsed) };
}

/**
 * The full ref of the entity an entity points to through a relation (e.g.
 * `ownedBy`), or, before the catalog has computed relations, through the spec
 * field that declares it (e.g. `spec.owner`), resolved in the entity's own
 * namespace.
 *
 * @public
 */
export function relatedEntityRef(
  entity: Entity,
  relation: string,
  specField: string,
  defaultKind: string,
): string | undefined {
  const target = entity.relations?.find(r => r.type === relation)?.targetRef;
  if (target) return target;
  const declared = entity.spec?.[specField];
  if (typeof declared !== 'string' || !declared) return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(declared, {
        defaultKind,
        defaultNamespace: entity.metadata.namespace ?? 'default',
      }),
    );
  } catch {
    return undefined;
  }
}
