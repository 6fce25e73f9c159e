import type {
  ImagePolicy,
  EnvironmentConfig,
  LadderConfig,
} from '../config/types';
import type { AttestationOutcome } from './attestations';
import { shortDigest } from './describe';
import {
  approvalsGate,
  imagePolicyGate,
  ladderGate,
  quarantineGate,
  releaseGate,
  soakedMs,
  soakGate,
  windowGate,
} from './gateRules';
import { evidenceGate } from './evidenceGate';
import type {
  Artifact,
  Evidence,
  GateVerdict,
  PromotionKind,
  Quarantine,
  Release,
} from './types';

export { requiredApprovals, soakedMs } from './gateRules';

/** How the artifact fared in the environment before the target. */
export interface PreviousRelease {
  /** When its latest release there succeeded. */
  releasedAt: number;
  /** When a later release replaced it there, if one did. */
  endedAt?: number;
  /** Whether that release was rolled back. */
  rolledBack: boolean;
}

/** Everything the gates look at; gathered by the service, judged here. */
export interface GateInput {
  now: number;
  kind: PromotionKind;
  ladder: LadderConfig;
  environment: EnvironmentConfig;
  /** The environment before the target in the ladder; none for the first. */
  previousEnvironment?: EnvironmentConfig;
  artifact: Artifact;
  quarantine?: Quarantine;
  /** The current release of the component in the target environment. */
  currentRelease?: Release;
  previousRelease?: PreviousRelease;
  /** Environments where the artifact is released now, in ladder order. */
  releasedIn: string[];
  /** The latest evidence of each kind. */
  evidence: Evidence[];
  /**
   * The artifact's verified evidence, each judged again against the
   * environment's attestation policy and the trust in force now.
   */
  attestations: JudgedAttestation[];
  imagePolicy: ImagePolicy;
}

/** A verified piece of evidence and what its bundle says under today's trust and policy. */
export interface JudgedAttestation {
  evidence: Evidence;
  outcome: AttestationOutcome;
}

export type Decision = 'refused' | 'awaiting-approval' | 'approved';

/**
 * Judges a promotion against every gate of the target environment. Pure:
 * the same input gives the same verdicts, so the decision stored with a
 * promotion can be explained later.
 */
export function evaluateGates(input: GateInput): GateVerdict[] {
  const ladder = ladderGate(input);
  return [
    quarantineGate(input),
    releaseGate(input),
    ladder,
    soakGate(input, ladder),
    evidenceGate(input),
    imagePolicyGate(input),
    windowGate(input),
    approvalsGate(input),
  ];
}

/** What the verdicts mean for a new promotion. */
export function decide(gates: GateVerdict[]): Decision {
  if (gates.some(g => g.verdict === 'failed')) return 'refused';
  if (gates.some(g => g.verdict === 'pending')) return 'awaiting-approval';
  return 'approved';
}

/** The message of a refusal: each failed gate, in words a developer can act on. */
export function describeRefusal(
  gates: GateVerdict[],
  environment: string,
  digest: string,
): string {
  const failed = gates.filter(g => g.verdict === 'failed');
  return `Promotion of ${shortDigest(
    digest,
  )} to ${environment} refused: ${failed
    .map(g => `[${g.gate}] ${g.message}`)
    .join('; ')}`;
}

/**
 * Whether a hotfix would pass where a normal request is refused: all that
 * blocks is what a hotfix overrides (deploy windows and freezes).
 */
export function hotfixWouldPass(input: GateInput): boolean {
  return (
    input.kind === 'normal' &&
    decide(evaluateGates(input)) === 'refused' &&
    decide(evaluateGates({ ...input, kind: 'hotfix' })) !== 'refused'
  );
}

/**
 * Soak progress of a candidate in the previous environment, when the target
 * environment requires a soak time there.
 */
export function soakProgress(
  input: GateInput,
): { requiredMs: number; soakedMs: number } | undefined {
  const required = input.environment.soakTimeMs;
  if (!input.previousEnvironment || required === 0 || !input.previousRelease) {
    return undefined;
  }
  return {
    requiredMs: required,
    soakedMs: soakedMs(input.previousRelease, input.now),
  };
}

/** What the deploy-time checks look at: what can change after a request. */
export type DeployCheckInput = Pick<
  GateInput,
  'now' | 'kind' | 'artifact' | 'quarantine' | 'evidence' | 'attestations'
> & {
  /** The environment as configured now; none if it left the config. */
  environment?: EnvironmentConfig;
};

/**
 * The gates that can change between a request and its release, judged again
 * by the same rules as at request time: a quarantine set, evidence that
 * failed since, and, before deploying, a window that closed or a freeze that
 * began (a rollout that started inside its window may finish). Returns the
 * failed verdicts; none means the promotion may go on.
 */
export function deployTimeChecks(
  input: DeployCheckInput,
  moment: 'deploy' | 'release' = 'deploy',
): GateVerdict[] {
  const { environment } = input;
  const verdicts = [quarantineGate(input)];
  if (environment) {
    verdicts.push(evidenceGate({ ...input, environment }));
    if (moment === 'deploy')
      verdicts.push(windowGate({ ...input, environment }));
  }
  return verdicts.filter(v => v.verdict === 'failed');
}

/** The message of a deploy-time refusal. */
export function describeDeployRefusal(
  failed: GateVerdict[],
  environment: string,
  digest: string,
  moment: 'deploy' | 'release' = 'deploy',
): string {
  return `Cannot ${moment === 'deploy' ? 'deploy' : 'release'} ${shortDigest(
    digest,
  )} ${moment === 'deploy' ? 'to' : 'in'} ${environment} now: ${failed
    .map(g => `[${g.gate}] ${g.message}`)
    .join('; ')}`;
}
