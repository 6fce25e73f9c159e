import {
  AuthService,
  BackstageCredentials,
  CacheService,
} from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  DELIVERY_LADDER_ANNOTATION,
  KUBERNETES_ID_ANNOTATION,
} from '@backstage-delivery/plugin-delivery-common';
import { ComponentScope, inScope } from '../domain/refs';

/**
 * The catalog, as the delivery plugin uses it: one module for entity
 * lookups, the delivery opt-in (either annotation), and narrowing to an
 * owner or a system, so that the router, the services and the metrics read
 * the catalog the same way.
 */

/** Looks up catalog entities with the plugin's own credentials. */
export interface EntityLookup {
  getEntity(ref: string): Promise<Entity | undefined>;
}

/** The catalog as a caller may see it, for listing delivery components. */
export interface ComponentCatalog {
  /** A page of delivery-enabled components in a scope. */
  query(
    scope: ComponentScope,
    page: { limit: number; cursor?: string },
  ): Promise<{ entities: Entity[]; nextCursor?: string; totalItems?: number }>;
  /** The entities with these refs that the caller may see. */
  byRefs(refs: string[]): Promise<Entity[]>;
}

/** The fields of an entity that delivery reads. */
const FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'metadata.annotations',
  'spec.owner',
  'spec.system',
  'relations',
];

/** Largest number of components an owner or system scope reads. */
export const MAX_SCOPE_COMPONENTS = 10_000;

/** The catalog filter of delivery components in a scope: either annotation opts in. */
export function deliveryComponentFilter(scope: ComponentScope) {
  const narrow = {
    kind: 'component',
    ...(scope.owner ? { 'relations.ownedBy': scope.owner } : {}),
    ...(scope.system ? { 'relations.partOf': scope.system } : {}),
  };
  return [DELIVERY_LADDER_ANNOTATION, KUBERNETES_ID_ANNOTATION].map(
    annotation => ({
      ...narrow,
      [`metadata.annotations.${annotation}`]: CATALOG_FILTER_EXISTS,
    }),
  );
}

/** Entity lookups with the plugin's own credentials. */
export function createEntityLookup(options: {
  catalog: CatalogService;
  auth: AuthService;
}): EntityLookup {
  return {
    getEntity: async ref =>
      options.catalog.getEntityByRef(ref, {
        credentials: await options.auth.getOwnServiceCredentials(),
      }),
  };
}

/**
 * Entity lookups kept for a short while in the plugin's cache (shared by
 * replicas with Redis): the Delivery tab's requests, and a pipeline's burst
 * of calls for one component, ask the catalog once. Lookups of one ref in
 * flight at once share one request. Absent entities are not kept, so a
 * component registered a moment ago is found at once; a changed entity (its
 * ladder annotation) is seen within `ttlMs`.
 */
export function cachedEntityLookup(
  lookup: EntityLookup,
  cache: CacheService,
  ttlMs: number,
): EntityLookup {
  const inFlight = new Map<string, Promise<Entity | undefined>>();
  return {
    async getEntity(ref) {
      const key = `entity:v1:${ref}`;
      const cached = await cache.get(key);
      if (cached) return cached as unknown as Entity;
      let pending = inFlight.get(ref);
      if (!pending) {
        pending = lookup
          .getEntity(ref)
          .then(async entity => {
            if (entity) await cache.set(key, entity as any, { ttl: ttlMs });
            return entity;
          })
          .finally(() => inFlight.delete(ref));
        inFlight.set(ref, pending);
      }
      return pending;
    },
  };
}

/** The catalog with a caller's own credentials. */
export function catalogAs(
  catalog: CatalogService,
  credentials: BackstageCredentials,
): ComponentCatalog {
  return {
    async query(scope, page) {
      const response = await catalog.queryEntities(
        page.cursor
          ? { cursor: page.cursor, limit: page.limit, fields: FIELDS }
          : {
              filter: deliveryComponentFilter(scope),
              orderFields: { field: 'metadata.name', order: 'asc' },
              limit: page.limit,
              fields: FIELDS,
            },
        { credentials },
      );
      return {
        entities: response.items,
        nextCursor: response.pageInfo.nextCursor,
        totalItems: response.totalItems,
      };
    },
    async byRefs(refs) {
      if (refs.length === 0) return [];
      const { items } = await catalog.getEntitiesByRefs(
        { entityRefs: refs, fields: FIELDS },
        { credentials },
      );
      return items.filter((e): e is NonNullable<typeof e> => Boolean(e));
    },
  };
}

/**
 * Every delivery component of a scope, as the caller sees them: one catalog
 * request up to MAX_SCOPE_COMPONENTS (a page costs the catalog a count and a
 * sort, so four pages of 500 took twice as long as one of 2,000).
 */
export async function componentsInScope(
  catalog: ComponentCatalog,
  scope: ComponentScope,
): Promise<Entity[]> {
  const entities: Entity[] = [];
  let cursor: string | undefined;
  do {
    const page = await catalog.query(scope, {
      limit: MAX_SCOPE_COMPONENTS,
      cursor,
    });
    entities.push(...page.entities);
    cursor = page.nextCursor;
  } while (cursor && entities.length < MAX_SCOPE_COMPONENTS);
  return entities;
}

/** The entities of some refs that the caller may see and that are in a scope. */
export async function visibleInScope(
  catalog: ComponentCatalog,
  refs: string[],
  scope: ComponentScope,
): Promise<Entity[]> {
  return (await catalog.byRefs(refs)).filter(e => inScope(e, scope));
}
