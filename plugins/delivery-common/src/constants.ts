/**
 * Kinds of evidence an artifact can carry.
 *
 * @public
 */
export const EVIDENCE_KINDS = [
  'unit-test',
  'integration-test',
  'contract-test',
  'container-test',
  'image-scan',
  'manifest-validation',
  'smoke-test',
  'signature',
  'provenance',
  'sbom',
] as const;

/**
 * A kind of evidence.
 *
 * @public
 */
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/**
 * States of a promotion. `refused` promotions failed a gate when requested and
 * never became active.
 *
 * @public
 */
export const PROMOTION_STATES = [
  'refused',
  'awaiting-approval',
  'approved',
  'deploying',
  'verifying',
  'succeeded',
  'failed',
  'rolled-back',
  'rejected',
  'aborted',
  'errored',
] as const;

/**
 * A state of a promotion.
 *
 * @public
 */
export type PromotionState = (typeof PROMOTION_STATES)[number];

/**
 * The states of a promotion that is still under way. At most one promotion per
 * component and environment is in one of them.
 *
 * @public
 */
export const ACTIVE_PROMOTION_STATES: readonly PromotionState[] = [
  'awaiting-approval',
  'approved',
  'deploying',
  'verifying',
];

/**
 * Rollout strategies an environment can use.
 *
 * @public
 */
export const ROLLOUT_STRATEGIES = ['rolling', 'blue-green', 'canary'] as const;

/**
 * A rollout strategy.
 *
 * @public
 */
export type RolloutStrategy = (typeof ROLLOUT_STRATEGIES)[number];

/**
 * The request header that makes a mutating API request safe to retry: the
 * backend keeps the first answer under it and gives it again.
 */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
