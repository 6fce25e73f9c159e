import { Entity } from '@backstage/catalog-model';
import { DateTime } from 'luxon';

/** `sha256:ab12cd34ef56…`: enough of a digest to recognise it. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':', 2);
  return hex && hex.length > 12 ? `${algorithm}:${hex.slice(0, 12)}…` : digest;
}

/** `3 hours ago`. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  return (
    DateTime.fromISO(iso).toRelative({ base: DateTime.fromMillis(now) }) ?? iso
  );
}

/** `1 h 20 min`, `45 min`, `2 d 3 h`. */
export function formatSeconds(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  if (days > 0) return hours ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  if (minutes > 0) return `${minutes} min`;
  return `${total} s`;
}

/** `user:default/alice` → `alice`; other refs unchanged. */
export function actorName(ref: string): string {
  const match = /^user:(?:default\/)?(.+)$/.exec(ref);
  return match ? match[1] : ref;
}

/** The artifact's tags, or its short digest when it has none. */
export function artifactLabel(artifact: {
  tags: string[];
  digest: string;
}): string {
  return artifact.tags.length
    ? artifact.tags.join(', ')
    : shortDigest(artifact.digest);
}

/**
 * A link to a commit, from the entity's `backstage.io/source-location`
 * annotation, for GitHub and GitLab repositories.
 */
export function commitUrl(entity: Entity, sha: string): string | undefined {
  const location =
    entity.metadata.annotations?.['backstage.io/source-location'];
  if (!location) return undefined;
  const match =
    /^url:(https:\/\/(github\.com|gitlab\.com|[^/]*gitlab[^/]*)\/[^/]+\/[^/]+?)(\.git)?(\/(tree|blob|-\/tree)\/.*)?\/?$/.exec(
      location,
    );
  if (!match) return undefined;
  return match[2] === 'github.com'
    ? `${match[1]}/commit/${sha}`
    : `${match[1]}/-/commit/${sha}`;
}
