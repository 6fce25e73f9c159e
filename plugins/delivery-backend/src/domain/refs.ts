import type { Entity } from '@backstage/catalog-model';
import {
  parseComponentRef,
  relatedEntityRef,
} from '@backstage-delivery/plugin-delivery-common';

export { parseComponentRef };

/** The name part of a normalised ref: `component:default/checkout` → `checkout`. */
export function entityName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** The group (or user) that owns an entity, as a full ref. */
export function ownerRef(entity: Entity): string | undefined {
  return relatedEntityRef(entity, 'ownedBy', 'owner', 'group');
}

/** The system an entity is part of, as a full ref. */
export function systemRef(entity: Entity): string | undefined {
  return relatedEntityRef(entity, 'partOf', 'system', 'system');
}

/** A narrowing of the catalog to one owner or one system. */
export interface ComponentScope {
  owner?: string;
  system?: string;
}

/** Whether an entity is in a scope (the owner and system it names, if any). */
export function inScope(entity: Entity, scope: ComponentScope): boolean {
  const has = (type: string, target: string) =>
    entity.relations?.some(r => r.type === type && r.targetRef === target) ??
    false;
  return (
    (!scope.owner || has('ownedBy', scope.owner)) &&
    (!scope.system || has('partOf', scope.system))
  );
}

/** The source repository of a component on a Git host. */
export interface SourceRepository {
  host: string;
  owner: string;
  repo: string;
  /** `https://<host>/<owner>/<repo>`. */
  url: string;
}

/**
 * The repository a component's source lives in: from its
 * `github.com/project-slug` annotation, or its `backstage.io/source-location`
 * (`url:https://<host>/<owner>/<repo>/…`).
 */
export function sourceRepository(
  entity: Entity,
  defaultHost = 'github.com',
): SourceRepository | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const slug = annotations['github.com/project-slug']?.trim();
  if (slug && /^[\w.-]+\/[\w.-]+$/.test(slug)) {
    const [owner, repo] = slug.split('/');
    return repository(defaultHost, owner, repo);
  }
  const location = annotations['backstage.io/source-location']?.trim();
  const match = location
    ? /^url:https?:\/\/([^/]+)\/([\w.-]+)\/([\w.-]+?)(\.git)?(\/|$)/.exec(
        location,
      )
    : null;
  return match ? repository(match[1], match[2], match[3]) : undefined;
}

function repository(host: string, owner: string, repo: string) {
  return { host, owner, repo, url: `https://${host}/${owner}/${repo}` };
}
