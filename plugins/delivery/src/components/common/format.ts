import { Entity } from '@backstage/catalog-model';
import { formatMetricValue } from '@backstage-delivery/plugin-delivery-common';
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
 * The web address of the component's repository on GitHub or GitLab, from
 * its `github.com/project-slug` or `backstage.io/source-location` annotation.
 */
function repository(
  entity: Entity,
): { url: string; host: 'github' | 'gitlab' } | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const slug = annotations['github.com/project-slug'];
  if (slug && /^[\w.-]+\/[\w.-]+$/.test(slug)) {
    return { url: `https://github.com/${slug}`, host: 'github' };
  }
  const location = annotations['backstage.io/source-location'];
  if (!location) return undefined;
  const match =
    /^url:(https:\/\/(github\.com|gitlab\.com|[^/]*gitlab[^/]*)\/[^/]+\/[^/]+?)(\.git)?(\/(tree|blob|-\/tree)\/.*)?\/?$/.exec(
      location,
    );
  if (!match) return undefined;
  return {
    url: match[1],
    host: match[2] === 'github.com' ? 'github' : 'gitlab',
  };
}

/** A link to a commit of the component's GitHub or GitLab repository. */
export function commitUrl(entity: Entity, sha: string): string | undefined {
  const repo = repository(entity);
  if (!repo) return undefined;
  return repo.host === 'github'
    ? `${repo.url}/commit/${sha}`
    : `${repo.url}/-/commit/${sha}`;
}

/** A link to a pull request (GitHub) or merge request (GitLab). */
export function pullRequestUrl(
  entity: Entity,
  number: number,
): string | undefined {
  const repo = repository(entity);
  if (!repo) return undefined;
  return repo.host === 'github'
    ? `${repo.url}/pull/${number}`
    : `${repo.url}/-/merge_requests/${number}`;
}

/** A metric's value in its unit (`ratio` as %, `seconds` as ms), or that there is none. */
export function formatMetric(value: number | undefined, unit?: string): string {
  return value === undefined ? 'no data' : formatMetricValue(value, unit);
}
