import {
  ACTIVE_PROMOTION_STATES,
  PromotionState,
} from '@backstage-delivery/plugin-delivery-common';
import type { RolloutEventType } from './types';

/** The states a promotion must be in for each rollout event, and where it goes. */
export const ROLLOUT_TRANSITIONS: Record<
  RolloutEventType,
  { from: readonly PromotionState[]; to: PromotionState }
> = {
  deploying: { from: ['approved'], to: 'deploying' },
  verifying: { from: ['deploying', 'verifying'], to: 'verifying' },
  succeeded: { from: ['deploying', 'verifying'], to: 'succeeded' },
  failed: { from: ['deploying', 'verifying'], to: 'failed' },
  errored: { from: ['approved', 'deploying', 'verifying'], to: 'errored' },
};

export const APPROVAL_FROM: readonly PromotionState[] = ['awaiting-approval'];
export const ABORT_FROM: readonly PromotionState[] = ACTIVE_PROMOTION_STATES;

export function isActive(state: PromotionState): boolean {
  return ACTIVE_PROMOTION_STATES.includes(state);
}

/** What a developer reads when a promotion is not where an action needs it. */
export function describeWrongState(
  action: string,
  state: PromotionState,
  allowed: readonly PromotionState[],
): string {
  return `Cannot ${action}: the promotion is ${state}; it must be ${allowed.join(
    ' or ',
  )}`;
}
