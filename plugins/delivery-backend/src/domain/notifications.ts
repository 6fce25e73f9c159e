/**
 * Who hears about what: the notifications a change in the ledger calls for,
 * with their recipients (entity refs, as the notifications service
 * resolves them: a group reaches its members), what to say and where to
 * point. Pure; the notifier (service/notifications) sends them.
 */
import { entityName } from './refs';
import type { Promotion } from './types';

export const NOTIFICATION_KINDS = [
  'approval-requested',
  'promotion-problem',
  'production-release',
  'quarantine',
  'preview-expiring',
  'preview-reaped',
  'drift',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export type Severity = 'critical' | 'high' | 'normal' | 'low';

/** `delivery.notifications`. */
export interface NotificationSettings {
  enabled: boolean;
  kinds: Record<NotificationKind, { enabled: boolean; severity: Severity }>;
  /** How long before a preview expires its requester is warned. */
  previewWarningMs: number;
  /** How long drift must last before the owner hears of it. */
  driftAfterMs: number;
}

/** What a team would want when nothing is configured. */
export const DEFAULT_NOTIFICATION_KINDS: NotificationSettings['kinds'] = {
  'approval-requested': { enabled: true, severity: 'high' },
  'promotion-problem': { enabled: true, severity: 'high' },
  'production-release': { enabled: false, severity: 'low' },
  quarantine: { enabled: true, severity: 'high' },
  'preview-expiring': { enabled: true, severity: 'normal' },
  'preview-reaped': { enabled: true, severity: 'low' },
  drift: { enabled: true, severity: 'normal' },
};

/** Topics group notifications, and users mute them in the notifications settings. */
export const TOPICS: Record<NotificationKind, string> = {
  'approval-requested': 'Delivery approvals',
  'promotion-problem': 'Delivery failures',
  'production-release': 'Delivery releases',
  quarantine: 'Delivery quarantines',
  'preview-expiring': 'Preview environments',
  'preview-reaped': 'Preview environments',
  drift: 'Delivery drift',
};

/** A notification to send. */
export interface NotificationIntent {
  kind: NotificationKind;
  /** Entity refs: users, groups (their members), or a component (its owner). */
  to: string[];
  /** User refs left out (the requester, the people behind the change). */
  exclude: string[];
  title: string;
  description: string;
  /** Path in the portal. */
  link: string;
  /** The same scope replaces an earlier notification (an approval decided). */
  scope?: string;
  /** Overrides the kind's severity (an approval that needs nothing any more). */
  severity?: Severity;
}

/** The component's Delivery tab, optionally at a promotion or a preview. */
export function deliveryLink(
  componentRef: string,
  anchor?: { promotion?: string; preview?: string },
): string {
  // Refs in the ledger are normalised: kind:namespace/name.
  const [kind, rest] = componentRef.split(':', 2);
  const [namespace, name] = rest.split('/', 2);
  const base = `/catalog/${namespace}/${kind.toLocaleLowerCase(
    'en-US',
  )}/${name}/delivery`;
  if (anchor?.promotion) return `${base}?promotion=${anchor.promotion}`;
  if (anchor?.preview) return `${base}?preview=${anchor.preview}`;
  return base;
}

/** The people behind a change and its requester: no approver among them. */
function behind(p: Promotion): string[] {
  return [
    ...new Set([p.requestedBy, ...(p.people ?? []).map(person => person.ref)]),
  ].filter(ref => ref.startsWith('user:'));
}

/** What a promotion's change calls for, given who approves and who owns it. */
export function promotionNotifications(
  p: Promotion,
  context: {
    /** The state it left (none when it was just requested). */
    from?: string;
    environmentTitle: string;
    approverGroups: string[];
    owner?: string;
    productionLike: boolean;
    /** A label for the build: a tag, else its short digest. */
    build: string;
  },
): NotificationIntent[] {
  const name = entityName(p.componentRef);
  const link = deliveryLink(p.componentRef, { promotion: p.id });
  const where = `${name} ${context.build} → ${context.environmentTitle}`;
  const intents: NotificationIntent[] = [];
  const approvalScope = `delivery:approval:${p.id}`;
  if (p.state === 'awaiting-approval' && !context.from) {
    intents.push({
      kind: 'approval-requested',
      to: context.approverGroups,
      exclude: behind(p),
      title: `Approval needed: ${where}`,
      description: `${p.requestedBy} asks to promote ${context.build} of ${name} into ${context.environmentTitle}. Open the Delivery tab to review its gates and evidence, then approve or reject it.`,
      link,
      scope: approvalScope,
    });
  }
  if (context.from === 'awaiting-approval' && p.state !== 'awaiting-approval') {
    intents.push({
      kind: 'approval-requested',
      to: context.approverGroups,
      exclude: behind(p),
      title: `No approval needed any more: ${where}`,
      description: `The promotion was ${p.state}${
        p.outcome ? ` (${p.outcome})` : ''
      }; nothing to do.`,
      link,
      scope: approvalScope,
      severity: 'low',
    });
  }
  if (!context.owner) return intents;
  const owner = (title: string, description: string): NotificationIntent => ({
    kind: 'promotion-problem',
    to: [context.owner!],
    exclude: [],
    title,
    description,
    link,
  });
  const why = p.outcome ? `: ${p.outcome}` : '';
  if (p.state === 'refused') {
    intents.push(
      owner(
        `Promotion refused: ${where}`,
        `Its gates refused it${why}. Fix what failed and request it again.`,
      ),
    );
  } else if (p.state === 'failed' || p.state === 'errored') {
    intents.push(
      owner(
        `Promotion ${p.state}: ${where}`,
        `The rollout ${p.state}${why}. The previous release was put back where it had been replaced; check the promotion's history.`,
      ),
    );
  } else if (p.state === 'rolled-back') {
    intents.push(
      owner(
        `Rolled back: ${where}`,
        `This release was replaced by a rollback${why}. Find what went wrong before promoting again.`,
      ),
    );
  } else if (p.state === 'succeeded' && p.kind === 'rollback') {
    intents.push(
      owner(
        `Rollback done: ${where}`,
        `${context.environmentTitle} runs ${context.build} again, as ${p.requestedBy} asked.`,
      ),
    );
  } else if (p.state === 'succeeded' && context.productionLike) {
    intents.push({
      ...owner(
        `Released: ${where}`,
        `${context.build} went live in ${context.environmentTitle}.`,
      ),
      kind: 'production-release',
    });
  }
  return intents;
}

/** A build quarantined while it is released somewhere: its owner should know. */
export function quarantineNotification(q: {
  componentRef: string;
  build: string;
  releasedIn: string[];
  reason: string;
  by: string;
  owner?: string;
}): NotificationIntent[] {
  if (!q.owner || q.releasedIn.length === 0) return [];
  const name = entityName(q.componentRef);
  return [
    {
      kind: 'quarantine',
      to: [q.owner],
      exclude: [],
      title: `Quarantined while released: ${name} ${q.build}`,
      description: `${q.by} quarantined ${q.build} (${
        q.reason
      }); it runs in ${q.releasedIn.join(
        ', ',
      )}. Promote a fixed build or roll back; it cannot be promoted any further.`,
      link: deliveryLink(q.componentRef),
    },
  ];
}

/** What a preview's requester hears: it expires soon, or it was removed. */
export function previewNotification(
  preview: {
    id: string;
    componentRef: string;
    namespace: string;
    requestedBy: string;
    expiresAt: number;
    pullRequest?: number;
    branch?: string;
  },
  event: 'expiring' | 'reaped',
  now: number,
): NotificationIntent[] {
  if (!preview.requestedBy.startsWith('user:')) return [];
  const what = preview.pullRequest
    ? `pull request #${preview.pullRequest}`
    : `branch ${preview.branch}`;
  const name = entityName(preview.componentRef);
  const link = deliveryLink(preview.componentRef, { preview: preview.id });
  if (event === 'expiring') {
    const minutes = Math.max(1, Math.round((preview.expiresAt - now) / 60_000));
    return [
      {
        kind: 'preview-expiring',
        to: [preview.requestedBy],
        exclude: [],
        title: `Preview of ${name} (${what}) expires in ${minutes} min`,
        description: `Namespace ${preview.namespace} is removed at ${new Date(
          preview.expiresAt,
        ).toISOString()}. Extend it from the Delivery tab if you still need it.`,
        link,
        scope: `delivery:preview:${preview.id}`,
      },
    ];
  }
  return [
    {
      kind: 'preview-reaped',
      to: [preview.requestedBy],
      exclude: [],
      title: `Preview of ${name} (${what}) removed`,
      description: `Namespace ${preview.namespace} expired and was deleted. Ask for a new preview from the pipeline when you need one.`,
      link,
      scope: `delivery:preview:${preview.id}`,
    },
  ];
}

/** An environment that has run something other than its release for a while: its owner should know. */
export function driftNotification(d: {
  componentRef: string;
  environmentTitle: string;
  expected: string;
  running: string[];
  since: number;
  owner?: string;
}): NotificationIntent[] {
  if (!d.owner) return [];
  const name = entityName(d.componentRef);
  const short = (digest: string) => `${digest.slice(0, 19)}…`;
  return [
    {
      kind: 'drift',
      to: [d.owner],
      exclude: [],
      title: `Drift: ${name} in ${d.environmentTitle} is not running its release`,
      description: `${d.environmentTitle} runs ${d.running
        .map(short)
        .join(', ')} instead of the release ${short(
        d.expected,
      )}, since ${new Date(
        d.since,
      ).toISOString()}. Someone changed the cluster by hand, or a deploy bypassed the portal: promote the build that should run, or roll back.`,
      link: deliveryLink(d.componentRef),
      scope: `delivery:drift:${d.componentRef}:${d.environmentTitle}`,
    },
  ];
}
