import { resolveNamespace } from '@backstage-delivery/plugin-delivery-common';
import { ConflictError } from '@backstage/errors';
import type { DeliveryConfig } from '../../config/types';
import { Ledger } from '../../database/Ledger';
import { RolloutAction, RolloutStepState } from '../../domain/argoRollouts';
import { environmentOfPromotion } from '../../domain/ladder';
import { Actor } from '../../domain/types';
import { WorkloadPort } from '../../kubernetes/workloads';
import { promotionDetail, PromotionView } from '../views';

const ACTION_WORDS: Record<RolloutAction, string> = {
  promote: 'promoted to the next step',
  'promote-full': 'fully promoted',
  abort: 'aborted',
};

/**
 * People's hands on a Rollout under way: Promote step, Promote fully and
 * Abort, with the patches the `kubectl argo rollouts` plugin makes. Only for
 * a promotion the kubernetes executor is carrying out through a Rollout; the
 * executor sees the outcome on its next step (an abort fails the promotion
 * and puts the previous release back). Permissions and audit are the route's.
 */
export class RolloutControl {
  constructor(
    private readonly options: {
      ledger: Ledger;
      config: DeliveryConfig;
      workloads: WorkloadPort;
      clock?: () => number;
    },
  ) {}

  /** The promotion's Rollouts and where they are, or why there are none to act on. */
  private async rolloutsOf(view: PromotionView) {
    const { config } = this.options;
    const p = view.promotion;
    if (p.state !== 'deploying' && p.state !== 'verifying') {
      throw new ConflictError(
        `Promotion ${p.id} is ${p.state}; only one deploying or verifying through an Argo Rollout can be promoted or aborted`,
      );
    }
    const rollouts = (view.deployment?.memo.workloads ?? []).filter(
      w => w.kind === 'Rollout',
    );
    const environment = environmentOfPromotion(config.ladders, p);
    if (
      view.deployment?.executor !== 'kubernetes' ||
      rollouts.length === 0 ||
      !environment?.cluster
    ) {
      throw new ConflictError(
        `Promotion ${
          p.id
        } is not carried out through an Argo Rollout (executor ${
          view.deployment?.executor ?? 'external'
        })`,
      );
    }
    const target = {
      cluster: environment.cluster,
      namespace: resolveNamespace(
        environment.namespace,
        p.componentRef,
        environment.name,
      ),
    };
    return { rollouts, target };
  }

  async act(
    promotionId: string,
    action: RolloutAction,
    actor: Actor,
  ): Promise<{
    view: PromotionView;
    rollouts: Array<RolloutStepState & { name: string }>;
  }> {
    const { ledger, workloads } = this.options;
    const { rollouts, target } = await this.rolloutsOf(
      await promotionDetail(ledger, promotionId),
    );
    const states: Array<RolloutStepState & { name: string }> = [];
    for (const r of rollouts) {
      states.push({
        name: r.name,
        ...(await workloads.rolloutAction(target, r.name, action)),
      });
    }
    await ledger.deployments.addStep(promotionId, {
      at: (this.options.clock ?? Date.now)(),
      action: `rollout-${action}`,
      message: `${actor.ref} ${ACTION_WORDS[action]} ${rollouts
        .map(r => `rollout/${r.name}`)
        .join(', ')}`,
    });
    return {
      view: await promotionDetail(ledger, promotionId),
      rollouts: states,
    };
  }
}
