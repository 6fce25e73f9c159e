import type { Entity } from '@backstage/catalog-model';
import { KUBERNETES_ID_ANNOTATION } from '@backstage-delivery/plugin-delivery-common';
import type { LadderConfig, ScorecardSettings } from '../config/types';
import { formatDuration } from './describe';

/** The ids of the built-in scorecard checks. */
export const BUILT_IN_CHECKS = [
  'ladder-order',
  'signed-releases',
  'required-evidence',
  'image-policy',
  'previews-ttl',
  'restore-target',
  'catalog-annotations',
] as const;

/** What the ledger knows about a component, for its scorecard checks. */
export interface ScorecardFacts {
  /** The production release and its latest evidence result per kind. */
  production?: {
    environment: string;
    artifactId: string;
    evidence: Record<string, 'passed' | 'failed'>;
    /** Kinds with passed evidence the portal verified (a Sigstore bundle). */
    verified: string[];
  };
  /** The newest artifact: its base image and latest image scan. */
  latestArtifact?: {
    artifactId: string;
    baseImage?: string;
    scan?: { result: string; critical?: number; high?: number };
  };
  /** Refused requests of the window whose ladder gate failed. */
  skipAttempts: number;
  /** Live previews past their expiry by more than the grace. */
  overduePreviews: number;
  /** Production incidents of the window (see the DORA time to restore). */
  incidents: { count: number; open: number; slowestMs?: number };
}

export type CheckStatus = 'pass' | 'fail' | 'not-applicable';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  reason: string;
  fixUrl?: string;
}

const DOCS =
  'https://github.com/backstage-delivery/delivery-for-backstage/blob/main/plugins/delivery-backend/README.md';

export const CHECK_TITLES: Record<(typeof BUILT_IN_CHECKS)[number], string> = {
  'ladder-order': 'Releases go through the ladder without skipping',
  'signed-releases':
    'Production releases carry verified signature and provenance',
  'required-evidence': 'Required evidence is configured and passing',
  'image-policy':
    'Images are pinned by digest and within the vulnerability policy',
  'previews-ttl': 'Previews are torn down within their TTL',
  'restore-target': 'Production incidents were restored within the target',
  'catalog-annotations': 'Catalog annotations are present',
};

const DEFAULT_FIX: Record<(typeof BUILT_IN_CHECKS)[number], string> = {
  'ladder-order': `${DOCS}#gates`,
  'signed-releases': `${DOCS}#golden-path-scorecard`,
  'required-evidence': `${DOCS}#configuration`,
  'image-policy': `${DOCS}#gates`,
  'previews-ttl': `${DOCS}#kubernetes`,
  'restore-target': `${DOCS}#delivery-metrics-dora`,
  'catalog-annotations': `${DOCS}#install`,
};

const SOURCE_ANNOTATIONS = [
  'github.com/project-slug',
  'backstage.io/source-location',
];

function annotation(entity: Entity, key: string): string | undefined {
  const value = entity.metadata.annotations?.[key]?.trim();
  return value || undefined;
}

/**
 * Evaluates the scorecard of one component from its catalog entity, its
 * ladder and what the ledger knows about it.
 */
export function evaluateScorecard(input: {
  entity: Entity;
  ladder?: LadderConfig;
  facts: ScorecardFacts;
  settings: ScorecardSettings;
}): CheckResult[] {
  const { entity, ladder, facts, settings } = input;
  const windowText = formatDuration(settings.windowMs);
  const production = ladder?.environments[ladder.environments.length - 1];
  const release = facts.production;
  const passed = (kind: string) => release?.evidence[kind] === 'passed';

  const builtIn: Record<
    (typeof BUILT_IN_CHECKS)[number],
    () => { status: CheckStatus; reason: string }
  > = {
    'ladder-order': () =>
      facts.skipAttempts > 0
        ? {
            status: 'fail',
            reason: `${facts.skipAttempts} promotion request${
              facts.skipAttempts === 1 ? '' : 's'
            } in the last ${windowText} tried to skip an environment`,
          }
        : {
            status: 'pass',
            reason: `every promotion request in the last ${windowText} followed the ladder`,
          },
    'signed-releases': () => {
      if (!release) {
        return {
          status: 'not-applicable',
          reason: 'nothing is released to production yet',
        };
      }
      const missing = ['signature', 'provenance'].filter(
        k => !release.verified.includes(k),
      );
      const onlyReported = missing.filter(passed);
      return missing.length
        ? {
            status: 'fail',
            reason: `the production release has no verified ${missing.join(
              ' or ',
            )}${
              onlyReported.length
                ? ` (${onlyReported.join(' and ')} only reported)`
                : ''
            }`,
          }
        : {
            status: 'pass',
            reason:
              'the production release has a verified signature and provenance',
          };
    },
    'required-evidence': () => {
      if (!production || production.requiredEvidence.length === 0) {
        return {
          status: 'fail',
          reason: `${production?.name ?? 'production'} of the ${
            ladder?.name ?? 'component'
          } ladder requires no evidence; configure requiredEvidence`,
        };
      }
      if (!release) {
        return {
          status: 'not-applicable',
          reason: `${
            production.name
          } requires ${production.requiredEvidence.join(
            ', ',
          )}; nothing is released there yet`,
        };
      }
      const missing = production.requiredEvidence.filter(k => !passed(k));
      return missing.length
        ? {
            status: 'fail',
            reason: `the ${production.name} release lacks passed ${missing.join(
              ', ',
            )}`,
          }
        : {
            status: 'pass',
            reason: `the ${
              production.name
            } release passed ${production.requiredEvidence.join(', ')}`,
          };
    },
    'image-policy': () => {
      const latest = facts.latestArtifact;
      if (!latest) {
        return { status: 'not-applicable', reason: 'no builds recorded' };
      }
      if (!latest.baseImage) {
        return {
          status: 'fail',
          reason: 'the latest build does not record its base image',
        };
      }
      if (!/@sha256:[a-f0-9]{64}$/.test(latest.baseImage)) {
        return {
          status: 'fail',
          reason: `the latest build's base image ${latest.baseImage} is not pinned by digest`,
        };
      }
      if (!latest.scan) {
        return { status: 'fail', reason: 'the latest build has no image scan' };
      }
      const limits = production?.vulnerabilityLimits;
      const over: string[] = [];
      if (
        limits?.maxCritical !== undefined &&
        (latest.scan.critical ?? 0) > limits.maxCritical
      ) {
        over.push(
          `${latest.scan.critical} critical (at most ${limits.maxCritical})`,
        );
      }
      if (
        limits?.maxHigh !== undefined &&
        (latest.scan.high ?? 0) > limits.maxHigh
      ) {
        over.push(`${latest.scan.high} high (at most ${limits.maxHigh})`);
      }
      if (over.length || latest.scan.result === 'failed') {
        return {
          status: 'fail',
          reason: `the latest build's scan ${
            over.length ? `finds ${over.join(' and ')}` : 'failed'
          }`,
        };
      }
      return {
        status: 'pass',
        reason:
          'the latest build is on a digest-pinned base and within the vulnerability policy',
      };
    },
    'previews-ttl': () =>
      facts.overduePreviews > 0
        ? {
            status: 'fail',
            reason: `${facts.overduePreviews} preview${
              facts.overduePreviews === 1 ? '' : 's'
            } outlived ${
              facts.overduePreviews === 1 ? 'its' : 'their'
            } TTL by more than ${formatDuration(settings.previewGraceMs)}`,
          }
        : { status: 'pass', reason: 'no preview outlived its TTL' },
    'restore-target': () => {
      const { count, open, slowestMs } = facts.incidents;
      if (count === 0) {
        return {
          status: 'not-applicable',
          reason: `no production incidents in the last ${windowText}`,
        };
      }
      if (open > 0) {
        return {
          status: 'fail',
          reason: `${open} production incident${
            open === 1 ? ' is' : 's are'
          } not restored yet`,
        };
      }
      return slowestMs! > settings.restoreTargetMs
        ? {
            status: 'fail',
            reason: `the slowest restore took ${formatDuration(
              slowestMs!,
            )}; the target is ${formatDuration(settings.restoreTargetMs)}`,
          }
        : {
            status: 'pass',
            reason: `${count} incident${
              count === 1 ? '' : 's'
            }, each restored within ${formatDuration(
              settings.restoreTargetMs,
            )}`,
          };
    },
    'catalog-annotations': () => {
      const missing = [
        ...(annotation(entity, KUBERNETES_ID_ANNOTATION)
          ? []
          : [KUBERNETES_ID_ANNOTATION]),
        ...(SOURCE_ANNOTATIONS.some(k => annotation(entity, k))
          ? []
          : [SOURCE_ANNOTATIONS.join(' or ')]),
        ...(entity.spec?.owner ? [] : ['spec.owner']),
      ];
      return missing.length
        ? { status: 'fail', reason: `missing ${missing.join(', ')}` }
        : { status: 'pass', reason: 'Kubernetes id, source and owner are set' };
    },
  };

  const results: CheckResult[] = BUILT_IN_CHECKS.filter(
    id => !settings.disabled.has(id),
  ).map(id => ({
    id,
    title: CHECK_TITLES[id],
    ...builtIn[id](),
    fixUrl: settings.fixUrls.get(id) ?? DEFAULT_FIX[id],
  }));

  for (const check of settings.custom) {
    let result: { status: CheckStatus; reason: string };
    if (check.annotation) {
      result = annotation(entity, check.annotation)
        ? { status: 'pass', reason: `${check.annotation} is set` }
        : { status: 'fail', reason: `missing ${check.annotation}` };
    } else if (!release) {
      result = {
        status: 'not-applicable',
        reason: 'nothing is released to production yet',
      };
    } else {
      result = passed(check.evidence!)
        ? {
            status: 'pass',
            reason: `the production release passed ${check.evidence}`,
          }
        : {
            status: 'fail',
            reason: `the production release has no passed ${check.evidence}`,
          };
    }
    results.push({
      id: check.id,
      title: check.title,
      ...result,
      ...(check.fixUrl ? { fixUrl: check.fixUrl } : {}),
    });
  }
  return results;
}
