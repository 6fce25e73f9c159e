import {
  AuditorService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import {
  getDeliverySettings,
  resolveNamespace,
} from '@backstage-delivery/plugin-delivery-common';
import { EntityLookup } from '../catalog/catalog';
import type { DeliveryConfig } from '../config/types';
import { environmentOfPromotion, isProductionLike } from '../domain/ladder';
import { thresholdBreaches } from '../domain/thresholds';
import { Artifact, Promotion, RolloutMetrics } from '../domain/types';
import { LiveStateSource } from './liveState';

/** The reporter of rollout events this reconciler adds. */
export const VERIFICATION_REPORTER = 'delivery-verification';

/** What the reconciler needs of the ledger: the port it depends on. */
export interface VerificationLedger {
  /** Every promotion being verified now, with its artifact. */
  verifying(): AsyncIterable<{ promotion: Promotion; artifact: Artifact }>;
  /** Fails a verifying promotion; false if it was no longer verifying. */
  failVerification(
    id: string,
    breaches: string[],
    metrics: RolloutMetrics,
    reporter: string,
  ): Promise<boolean>;
}

/**
 * While a promotion is verifying, reads restarts and readiness of the pods
 * that run its artifact from the cluster, and fails the promotion when they
 * breach the environment's rollback thresholds. Runs on the scheduler with
 * global scope: one runner across replicas; failing is a conditional update.
 */
export class VerificationReconciler {
  constructor(
    private readonly options: {
      ledger: VerificationLedger;
      live: LiveStateSource;
      config: DeliveryConfig;
      catalog: EntityLookup;
      logger: LoggerService;
      /** Failing a promotion is audited as a request-driven change would be. */
      auditor?: AuditorService;
      clock?: () => number;
    },
  ) {}

  async run(): Promise<{
    checked: number;
    failed: string[];
    unknown: string[];
  }> {
    const { ledger, live, config, catalog, logger } = this.options;
    const result = {
      checked: 0,
      failed: [] as string[],
      unknown: [] as string[],
    };
    const now = (this.options.clock ?? Date.now)();
    const grace = config.kubernetes.readinessGracePeriodMs;
    for await (const { promotion, artifact } of ledger.verifying()) {
      const env = environmentOfPromotion(config.ladders, promotion);
      if (!env) continue;
      const entity = await catalog.getEntity(promotion.componentRef);
      if (!entity) continue;
      const state = await live.read(
        {
          cluster: env.cluster,
          namespace: resolveNamespace(
            env.namespace,
            promotion.componentRef,
            env.name,
          ),
          kubernetesId: getDeliverySettings(entity).kubernetesId,
        },
        { fresh: true },
      );
      result.checked++;
      if (state.state === 'unknown') {
        result.unknown.push(`${promotion.id}: ${state.reason}`);
        logger.debug(
          `Cannot verify promotion ${promotion.id} in the cluster: ${state.reason}`,
        );
        continue;
      }
      const pods = state.deployments
        .flatMap(d => d.pods)
        .filter(p => p.digests.includes(artifact.digest));
      if (pods.length === 0) continue;
      const metrics: RolloutMetrics = {
        restarts: pods.reduce((sum, p) => sum + p.restarts, 0),
        // A new pod is allowed a while to become ready.
        readinessFailures: pods.filter(
          p => !p.ready && now - (p.startedAt ?? now) >= grace,
        ).length,
      };
      const breaches = thresholdBreaches(metrics, env.rollbackThresholds);
      if (breaches.length === 0) continue;
      if (
        await ledger.failVerification(
          promotion.id,
          breaches,
          metrics,
          VERIFICATION_REPORTER,
        )
      ) {
        result.failed.push(promotion.id);
        await this.audit(promotion, breaches);
        logger.info(
          `Promotion ${promotion.id} of ${promotion.componentRef} to ${
            promotion.environment
          } failed verification: ${breaches.join(', ')}`,
        );
      }
    }
    return result;
  }

  /** The same event a reported `failed` would give, as the reconciler. */
  private async audit(
    promotion: { id: string; componentRef: string; environment: string },
    breaches: string[],
  ) {
    const { auditor, config } = this.options;
    if (!auditor) return;
    const event = await auditor.createEvent({
      eventId: 'promotion-mutate',
      severityLevel: isProductionLike(config.ladders, promotion.environment)
        ? 'high'
        : 'medium',
      meta: {
        actionType: 'verification-failed',
        component: promotion.componentRef,
        environment: promotion.environment,
        promotionId: promotion.id,
        reporter: VERIFICATION_REPORTER,
        breaches,
      },
    });
    await event.fail({
      error: new Error(`verification failed: ${breaches.join(', ')}`),
    });
  }
}

/** Runs the reconciler on the scheduler: one runner across replicas. */
export async function scheduleVerification(options: {
  scheduler: SchedulerService;
  reconciler: VerificationReconciler;
  intervalMs: number;
}): Promise<void> {
  await options.scheduler.scheduleTask({
    id: 'delivery-verification',
    frequency: { milliseconds: options.intervalMs },
    timeout: { minutes: 5 },
    scope: 'global',
    fn: async () => {
      await options.reconciler.run();
    },
  });
}
