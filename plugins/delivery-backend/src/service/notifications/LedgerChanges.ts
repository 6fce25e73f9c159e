import { PromotionState } from '@backstage-delivery/plugin-delivery-common';
import type { Preview } from '../../domain/previews';
import { Artifact, Promotion } from '../../domain/types';

/**
 * What the services tell after a change to the ledger has been made (in the
 * success path of the change, on the replica that made it, so each change
 * is told once): who should hear of it, and which open tabs should refresh.
 */
export interface LedgerChanges {
  /** A promotion changed; `from` is the state it left (none when it was just requested; the same state when only its approvals or progress changed). */
  promotionChanged(promotion: Promotion, from?: PromotionState): Promise<void>;
  /** A build was quarantined. */
  artifactQuarantined(
    artifact: Artifact,
    reason: string,
    by: string,
  ): Promise<void>;
  /** A preview expires soon, or was removed by the reaper. */
  previewChanged(preview: Preview, event: 'expiring' | 'reaped'): Promise<void>;
}

/** Tells nobody: for services built without notifications (tests, tools). */
export const NO_CHANGES: LedgerChanges = {
  promotionChanged: async () => undefined,
  artifactQuarantined: async () => undefined,
  previewChanged: async () => undefined,
};
