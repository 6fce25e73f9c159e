/**
 * Preview namespaces: their states and the rules for their names and
 * lifetimes. Stored by database/PreviewStore, created in the cluster by
 * kubernetes/previews, managed by service/previews.
 */

export type PreviewState =
  | 'provisioning'
  | 'ready'
  | 'expiring'
  | 'deleting'
  | 'deleted'
  | 'failed';

/** States in which a preview holds a slot (counts towards the limit). */
export const LIVE_PREVIEW_STATES: readonly PreviewState[] = [
  'provisioning',
  'ready',
  'expiring',
  'deleting',
];

/** States listed unless deleted previews are asked for. */
export const LISTED_PREVIEW_STATES: readonly PreviewState[] = [
  ...LIVE_PREVIEW_STATES,
  'failed',
];

export interface Preview {
  id: string;
  componentRef: string;
  cluster: string;
  namespace: string;
  pullRequest?: number;
  branch?: string;
  artifactId?: string;
  state: PreviewState;
  reason?: string;
  requestedBy: string;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  deletedAt?: number;
}

/** What a preview is for: a pull request or a branch. */
export interface PreviewTarget {
  pullRequest?: number;
  branch?: string;
}

/** States in which a preview is the one of its pull request or branch. */
export const CURRENT_PREVIEW_STATES: readonly PreviewState[] = [
  'provisioning',
  'ready',
];

/**
 * The key that makes a provisioning or ready preview the only one of its
 * component for a pull request or branch (a unique index holds it).
 */
export function previewTargetKey(target: PreviewTarget): string {
  return target.pullRequest !== undefined
    ? `pr:${target.pullRequest}`
    : `branch:${target.branch ?? ''}`;
}

/** `30m`, `4h` or `2d` in milliseconds, or why it is not a lifetime. */
export function parseTtl(
  ttl: string,
): { ok: true; ms: number } | { ok: false; problem: string } {
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[ttl.slice(-1)];
  const amount = Number(ttl.slice(0, -1));
  if (!unit || !Number.isInteger(amount) || amount < 1) {
    return {
      ok: false,
      problem: `ttl '${ttl}' is not a lifetime such as 30m, 4h or 2d`,
    };
  }
  return { ok: true, ms: amount * unit };
}

/** A DNS label made of `text`: lowercase letters, digits and "-". */
function slug(text: string, max: number): string {
  return text
    .toLocaleLowerCase('en-US')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, max)
    .replace(/-$/, '');
}

/**
 * A preview's namespace: prefix, component, pull request or branch, and a
 * random suffix (six hex digits), at most 63 characters.
 */
export function previewNamespaceName(
  prefix: string,
  component: string,
  target: PreviewTarget,
  suffix: string,
): string {
  const what =
    target.pullRequest !== undefined
      ? `pr${target.pullRequest}`
      : slug(target.branch ?? '', 24);
  const head = slug(`${prefix}-${component}-${what}`, 63 - suffix.length - 1);
  return `${head}-${suffix}`;
}

/** The expiry of an extension: `ttl` from now, capped at the maximum lifetime. */
export function extendedExpiry(
  preview: Pick<Preview, 'createdAt'>,
  ttlMs: number,
  maxTtlMs: number,
  now: number,
): { expiresAt: number; capped: boolean } {
  const limit = preview.createdAt + maxTtlMs;
  const wanted = now + ttlMs;
  return { expiresAt: Math.min(wanted, limit), capped: wanted > limit };
}
