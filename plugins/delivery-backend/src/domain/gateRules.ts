import type { EnvironmentConfig } from '../config/types';
import { ago, formatDuration, listInWords, shortDigest } from './describe';
import type { GateInput, PreviousRelease } from './gates';
import type { GateVerdict, PromotionKind } from './types';
import { checkWindows, formatLocal } from './windows';

/**
 * One rule per gate: each judges a promotion request on one concern and says
 * why in words a developer can act on. Evaluated together by evaluateGates.
 */

/** How long an artifact has soaked in the previous environment. */
export function soakedMs(release: PreviousRelease, now: number): number {
  return (release.endedAt ?? now) - release.releasedAt;
}

const MB = 1e6;

function size(bytes: number): string {
  return bytes >= 1000 * MB
    ? `${Math.round(bytes / (100 * MB)) / 10} GB`
    : `${Math.round(bytes / MB)} MB`;
}

/** Approvals a promotion of this kind into this environment needs. */
export function requiredApprovals(
  env: EnvironmentConfig,
  kind: PromotionKind,
): number {
  if (kind === 'rollback' && !env.rollbackRequiresApprovals) return 0;
  return env.approvals.count;
}

export function quarantineGate(
  input: Pick<GateInput, 'now' | 'artifact' | 'quarantine'>,
): GateVerdict {
  const q = input.quarantine;
  if (!q) {
    return {
      gate: 'quarantine',
      verdict: 'passed',
      message: 'not quarantined',
    };
  }
  return {
    gate: 'quarantine',
    verdict: 'failed',
    message: `${shortDigest(input.artifact.digest)} was quarantined by ${
      q.quarantinedBy
    } ${ago(q.quarantinedAt, input.now)}: ${
      q.reason
    }; lift the quarantine or promote another build`,
  };
}

export function releaseGate(input: GateInput): GateVerdict {
  const env = input.environment.name;
  if (input.currentRelease?.artifactId === input.artifact.id) {
    return {
      gate: 'release',
      verdict: 'failed',
      message: `${shortDigest(
        input.artifact.digest,
      )} is already released in ${env} (since ${ago(
        input.currentRelease.releasedAt,
        input.now,
      )})`,
    };
  }
  return {
    gate: 'release',
    verdict: 'passed',
    message: input.currentRelease
      ? `replaces the release made ${ago(
          input.currentRelease.releasedAt,
          input.now,
        )}`
      : `first release in ${env}`,
  };
}

function whereNow(input: GateInput): string {
  return input.releasedIn.length
    ? `is only in ${listInWords(input.releasedIn)}`
    : 'is not released anywhere yet';
}

export function ladderGate(input: GateInput): GateVerdict {
  const digest = shortDigest(input.artifact.digest);
  if (input.kind === 'rollback') {
    return {
      gate: 'ladder',
      verdict: 'skipped',
      message: `rollback to ${digest}, which ${input.environment.name} released before`,
    };
  }
  const previous = input.previousEnvironment;
  if (!previous) {
    return {
      gate: 'ladder',
      verdict: 'passed',
      message: `${input.environment.name} is the first environment of the ${input.ladder.name} ladder`,
    };
  }
  const release = input.previousRelease;
  if (!release) {
    return {
      gate: 'ladder',
      verdict: 'failed',
      message: `${previous.name} has not released ${digest}; it was built ${ago(
        input.artifact.createdAt,
        input.now,
      )} and ${whereNow(input)}. Promote it to ${previous.name} first`,
    };
  }
  if (release.rolledBack) {
    return {
      gate: 'ladder',
      verdict: 'failed',
      message: `${previous.name} rolled ${digest} back ${ago(
        release.endedAt ?? release.releasedAt,
        input.now,
      )}; promote a newer build`,
    };
  }
  return {
    gate: 'ladder',
    verdict: 'passed',
    message: `${previous.name} released ${digest} ${ago(
      release.releasedAt,
      input.now,
    )}`,
  };
}

export function soakGate(input: GateInput, ladder: GateVerdict): GateVerdict {
  const soak = input.environment.soakTimeMs;
  const previous = input.previousEnvironment;
  if (input.kind === 'rollback') {
    return {
      gate: 'soak',
      verdict: 'skipped',
      message: 'rollbacks do not soak',
    };
  }
  if (!previous || soak === 0) {
    return {
      gate: 'soak',
      verdict: 'passed',
      message: 'no soak time required',
    };
  }
  const release = input.previousRelease;
  if (ladder.verdict === 'failed' || !release) {
    return {
      gate: 'soak',
      verdict: 'skipped',
      message: `needs ${formatDuration(soak)} in ${
        previous.name
      } once released there`,
    };
  }
  const soaked = soakedMs(release, input.now);
  if (soaked >= soak) {
    return {
      gate: 'soak',
      verdict: 'passed',
      message: `soaked ${formatDuration(soaked)} in ${
        previous.name
      } (${formatDuration(soak)} required)`,
    };
  }
  const tail = release.endedAt
    ? `; it was replaced in ${previous.name} before the soak time ended`
    : `, ${formatDuration(soak - soaked)} to go`;
  return {
    gate: 'soak',
    verdict: 'failed',
    message: `has soaked ${formatDuration(soaked)} in ${
      previous.name
    }; ${formatDuration(soak)} required${tail}`,
  };
}

export function imagePolicyGate(input: GateInput): GateVerdict {
  if (input.kind === 'rollback') {
    return {
      gate: 'image-policy',
      verdict: 'skipped',
      message: 'rollbacks return to a build admitted before',
    };
  }
  const { forbiddenTags, maxSizeBytes } = input.imagePolicy;
  const limits = input.environment.vulnerabilityLimits;
  const problems: string[] = [];
  const checks: string[] = [];

  const forbidden = input.artifact.tags.filter(t => forbiddenTags.includes(t));
  if (forbidden.length) {
    problems.push(
      `carries the forbidden tag${
        forbidden.length > 1 ? 's' : ''
      } ${listInWords(forbidden)}`,
    );
  } else if (forbiddenTags.length) {
    checks.push('no forbidden tags');
  }

  if (maxSizeBytes !== undefined) {
    const bytes = input.artifact.sizeBytes;
    if (bytes === undefined) {
      problems.push(
        `its size was not reported; images may be at most ${size(
          maxSizeBytes,
        )}`,
      );
    } else if (bytes > maxSizeBytes) {
      problems.push(
        `the image is ${size(bytes)}; the limit is ${size(maxSizeBytes)}`,
      );
    } else {
      checks.push(`${size(bytes)} within ${size(maxSizeBytes)}`);
    }
  }

  if (
    limits &&
    (limits.maxCritical !== undefined || limits.maxHigh !== undefined)
  ) {
    const allowed = [
      ...(limits.maxCritical !== undefined
        ? [`${limits.maxCritical} critical`]
        : []),
      ...(limits.maxHigh !== undefined ? [`${limits.maxHigh} high`] : []),
    ];
    const scan = input.evidence.find(e => e.kind === 'image-scan');
    const found = scan?.summary?.vulnerabilities;
    if (!found) {
      problems.push(
        `no image scan with vulnerability counts; ${
          input.environment.name
        } allows at most ${listInWords(allowed)}`,
      );
    } else {
      const over = [
        ...(limits.maxCritical !== undefined &&
        found.critical > limits.maxCritical
          ? [`${found.critical} critical (max ${limits.maxCritical})`]
          : []),
        ...(limits.maxHigh !== undefined && found.high > limits.maxHigh
          ? [`${found.high} high (max ${limits.maxHigh})`]
          : []),
      ];
      if (over.length) {
        problems.push(
          `the image scan found ${listInWords(over)} vulnerabilities`,
        );
      } else {
        checks.push(
          `${found.critical} critical and ${found.high} high vulnerabilities`,
        );
      }
    }
  }

  if (problems.length) {
    return {
      gate: 'image-policy',
      verdict: 'failed',
      message: problems.join('; '),
    };
  }
  return {
    gate: 'image-policy',
    verdict: 'passed',
    message: checks.length ? checks.join('; ') : 'no image policy applies',
  };
}

export function windowGate(
  input: Pick<GateInput, 'now' | 'kind' | 'environment'>,
): GateVerdict {
  const env = input.environment;
  if (input.kind === 'rollback') {
    return {
      gate: 'window',
      verdict: 'skipped',
      message: 'rollbacks are not bound to deploy windows',
    };
  }
  const check = checkWindows(env.windows, input.now);
  if (check.open) {
    return {
      gate: 'window',
      verdict: 'passed',
      message: env.windows
        ? 'inside a deploy window'
        : 'no deploy window restrictions',
    };
  }
  const tz = env.windows!.timezone;
  const closed =
    check.why === 'freeze'
      ? `${env.name} is frozen until ${formatLocal(check.until, tz)}${
          check.reason ? ` (${check.reason})` : ''
        }`
      : `${env.name} deploys only ${listInWords(check.windows)}${
          check.nextOpen
            ? `; the next window opens ${formatLocal(check.nextOpen, tz)}`
            : ''
        }`;
  if (input.kind === 'hotfix') {
    return {
      gate: 'window',
      verdict: 'passed',
      message: `hotfix overrides: ${closed}`,
    };
  }
  return {
    gate: 'window',
    verdict: 'failed',
    message: `${closed}; request a hotfix if this cannot wait`,
  };
}

export function approvalsGate(input: GateInput): GateVerdict {
  const count = requiredApprovals(input.environment, input.kind);
  if (count === 0) {
    return {
      gate: 'approvals',
      verdict: 'passed',
      message:
        input.kind === 'rollback' && input.environment.approvals.count > 0
          ? 'rollbacks need no approval'
          : 'no approval required',
    };
  }
  return {
    gate: 'approvals',
    verdict: 'pending',
    message: `needs ${count} approval${
      count > 1 ? 's' : ''
    } from members of ${listInWords(
      input.environment.approvals.groups,
    )}, not the requester`,
  };
}
