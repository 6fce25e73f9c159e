import { LoggerService } from '@backstage/backend-plugin-api';
import { KUBERNETES_ANNOTATION } from '@backstage/plugin-kubernetes-common';
import { DeliveryConfig } from '../config/types';
import { DeliveryStore } from '../database/DeliveryStore';
import { thresholdBreaches } from '../domain/thresholds';
import { RolloutMetrics } from '../domain/types';
import {
  DeliveryService,
  EntityLookup,
  LiveStateSource,
} from '../service/DeliveryService';
import { resolveNamespace } from '@backstage-delivery/plugin-delivery-common';

/** The reporter of rollout events this reconciler adds. */
export const VERIFICATION_REPORTER = 'delivery-verification';

/**
 * While a promotion is verifying, reads restarts and readiness of the pods
 * that run its artifact from the cluster, and fails the promotion when they
 * breach the environment's rollback thresholds. Runs on the scheduler with
 * global scope: one runner across replicas; failing is a conditional update.
 */
export class VerificationReconciler {
  constructor(
    private readonly options: {
      store: DeliveryStore;
      service: DeliveryService;
      live: LiveStateSource;
      config: DeliveryConfig;
      catalog: EntityLookup;
      logger: LoggerService;
      clock?: () => number;
    },
  ) {}

  /** Every promotion being verified, page by page. */
  private async *verifying() {
    let cursor: string | undefined;
    do {
      const page = await this.options.store.listPromotions(
        { states: ['verifying'] },
        { limit: 100, cursor },
      );
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }

  async run(): Promise<{
    checked: number;
    failed: string[];
    unknown: string[];
  }> {
    const { store, service, live, config, catalog, logger } = this.options;

    const result = {
      checked: 0,
      failed: [] as string[],
      unknown: [] as string[],
    };
    const now = (this.options.clock ?? Date.now)();
    const grace = config.kubernetes.readinessGracePeriodMs;
    for await (const promotion of this.verifying()) {
      const env = config.ladders
        .get(promotion.ladder)
        ?.environments.find(e => e.name === promotion.environment);
      if (!env) continue;
      const entity = await catalog.getEntity(promotion.componentRef);
      const artifact = await store.getArtifact(promotion.artifactId);
      if (!entity || !artifact) continue;
      const state = await live.read(
        {
          cluster: env.cluster,
          namespace: resolveNamespace(
            env.namespace,
            promotion.componentRef,
            env.name,
          ),
          kubernetesId:
            entity.metadata.annotations?.[KUBERNETES_ANNOTATION]?.trim(),
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
        await service.failVerification(
          promotion.id,
          breaches,
          metrics,
          VERIFICATION_REPORTER,
        )
      ) {
        result.failed.push(promotion.id);
        logger.info(
          `Promotion ${promotion.id} of ${promotion.componentRef} to ${
            promotion.environment
          } failed verification: ${breaches.join(', ')}`,
        );
      }
    }
    return result;
  }
}
