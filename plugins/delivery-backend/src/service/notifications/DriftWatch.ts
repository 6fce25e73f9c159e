import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import {
  getDeliverySettings,
  resolveNamespace,
} from '@backstage-delivery/plugin-delivery-common';
import { EntityLookup } from '../../catalog/catalog';
import type { DeliveryConfig } from '../../config/types';
import { DriftStore } from '../../database/DriftStore';
import { Ledger } from '../../database/Ledger';
import { ladderOf } from '../../domain/ladder';
import { detectDrift } from '../../domain/liveState';
import {
  driftNotification,
  NotificationIntent,
} from '../../domain/notifications';
import { ownerRef } from '../../domain/refs';
import { Release } from '../../domain/types';
import { LiveStateSource } from '../../kubernetes/liveState';

/** Promotions during which a different digest is expected, not drift. */
const UNDER_WAY = ['approved', 'deploying', 'verifying'] as const;

/**
 * Tells owners of drift: an environment whose pods run something other than
 * its release for longer than `delivery.notifications.driftAfter`, once per
 * drift (a new set of running digests is a new drift), whichever replica
 * sees it first. A scheduled task (global scope) reads the live state of
 * every release in an environment with a cluster; environments with a
 * promotion under way are left alone.
 */
export class DriftWatch {
  constructor(
    private readonly options: {
      ledger: Ledger;
      store: DriftStore;
      config: DeliveryConfig;
      catalog: EntityLookup;
      live: LiveStateSource;
      notifier: { send(intents: NotificationIntent[]): Promise<void> };
      logger: LoggerService;
      clock?: () => number;
    },
  ) {}

  /** One pass; returns the drifts it told of (`component/environment`). */
  async run(): Promise<string[]> {
    const { ledger } = this.options;
    const byComponent = new Map<string, Release[]>();
    for (const r of await ledger.releases.allReleases()) {
      byComponent.set(r.componentRef, [
        ...(byComponent.get(r.componentRef) ?? []),
        r,
      ]);
    }
    const told: string[] = [];
    for (const [componentRef, releases] of byComponent) {
      try {
        told.push(...(await this.check(componentRef, releases)));
      } catch (error) {
        this.options.logger.warn(
          `Drift watch could not check ${componentRef}: ${
            (error as Error).message
          }`,
        );
      }
    }
    return told;
  }

  private async check(componentRef: string, releases: Release[]) {
    const { ledger, store, config, catalog, live, notifier } = this.options;
    const entity = await catalog.getEntity(componentRef);
    if (!entity) return [];
    const kubernetesId = getDeliverySettings(entity).kubernetesId;
    const ladder = ladderOf(config, entity, componentRef);
    if (!kubernetesId || !ladder.ok) return [];
    const told: string[] = [];
    for (const release of releases) {
      const env = ladder.ladder.environments.find(
        e => e.name === release.environment,
      );
      if (!env?.cluster) continue;
      const key = { componentRef, environment: env.name };
      const underWay = await ledger.promotions.listPromotions(
        { ...key, states: [...UNDER_WAY] },
        { limit: 1 },
      );
      if (underWay.items.length) continue;
      const artifact = await ledger.artifacts.getArtifact(release.artifactId);
      const state = await live.read({
        cluster: env.cluster,
        namespace: resolveNamespace(env.namespace, componentRef, env.name),
        kubernetesId,
      });
      const now = (this.options.clock ?? Date.now)();
      const drift = detectDrift(
        state,
        artifact?.digest,
        undefined,
        artifact?.imageRepository,
      );
      if (!drift) {
        if (state.state === 'known') await store.cleared(key);
        continue;
      }
      const seen = await store.seen(key, drift.running, drift.since ?? now);
      if (
        seen.notified ||
        now - seen.since < config.notifications.driftAfterMs ||
        !(await store.claimNotice(key, drift.running, now))
      ) {
        continue;
      }
      await notifier.send(
        driftNotification({
          componentRef,
          environmentTitle: env.title,
          expected: drift.expected,
          running: drift.running,
          since: seen.since,
          owner: ownerRef(entity),
        }),
      );
      told.push(`${componentRef}/${env.name}`);
    }
    return told;
  }
}

/** Runs the drift watch on the scheduler (one runner across replicas). */
export async function scheduleDriftWatch(options: {
  scheduler: SchedulerService;
  watch: DriftWatch;
  config: DeliveryConfig;
}) {
  const every = Math.min(
    5 * 60_000,
    Math.max(30_000, options.config.notifications.driftAfterMs / 3),
  );
  await options.scheduler.scheduleTask({
    id: 'delivery-drift-watch',
    frequency: { milliseconds: every },
    timeout: { minutes: 5 },
    initialDelay: { seconds: 30 },
    scope: 'global',
    fn: async () => {
      await options.watch.run();
    },
  });
}
