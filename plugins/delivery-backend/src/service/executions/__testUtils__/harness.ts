import { CacheManager } from '@backstage/backend-defaults/cache';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { Knex } from 'knex';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import yaml from 'yaml';
import { readDeliveryConfig } from '../../../config/readDeliveryConfig';
import { applyDatabaseMigrations } from '../../../database/migrations';
import { Actor, Promotion } from '../../../domain/types';
import { KubernetesGateway } from '../../../kubernetes/KubernetesGateway';
import { LiveStateReader } from '../../../kubernetes/liveState';
import {
  admin,
  applyManifest,
  serviceAccountToken,
  testCluster,
} from '../../../kubernetes/testing/testCluster';
import { createLedgerServices } from '../../createServices';
import { createExecutors } from '../createExecutors';
import { ExecutionService } from '../ExecutionService';
import type { LedgerChanges } from '../../notifications/LedgerChanges';

export const REPOSITORY = 'ghcr.io/acme/checkout';
export const digest = (n: number) =>
  `sha256:${n.toString(16).padStart(64, 'c')}`;
export const CI: Actor = {
  type: 'service',
  ref: 'service:ci',
  ownershipRefs: [],
};

const RBAC = resolve(__dirname, '../../../../../../examples/kubernetes');

/**
 * The backend's least-privilege identity (examples/kubernetes): the service
 * account of delivery-rbac.yaml, with delivery-executor-rbac.yaml's Role in
 * each of `namespaces`. Returns its token.
 */
export async function leastPrivilegeToken(
  namespaces: string[],
): Promise<string> {
  await applyManifest(resolve(RBAC, 'delivery-rbac.yaml'));
  const { core } = admin();
  const text = readFileSync(
    resolve(RBAC, 'delivery-executor-rbac.yaml'),
    'utf8',
  );
  for (const namespace of namespaces) {
    await core
      .createNamespace({ body: { metadata: { name: namespace } } })
      .catch(() => undefined);
    const file = resolve(tmpdir(), `executor-rbac-${namespace}.yaml`);
    writeFileSync(
      file,
      yaml
        .parseAllDocuments(text)
        .map(d => {
          const o = d.toJSON();
          o.metadata.namespace = namespace;
          return yaml.stringify(o);
        })
        .join('---\n'),
    );
    await applyManifest(file);
  }
  return serviceAccountToken('backstage', 'backstage-delivery-token');
}

/** A delivery backend's ledger and executors over one database and the test cluster. */
export async function createHarness(options: {
  knex: Knex;
  environments: object[];
  token: string;
  clusterUrl?: string;
  integrations?: object;
  /** `delivery.metrics` (Prometheus, comparison). */
  metrics?: object;
  /** Told of ledger changes (notifications, signals). */
  changes?: LedgerChanges;
}) {
  await applyDatabaseMigrations(options.knex);
  const rootConfig = new ConfigReader({
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            {
              name: 'test',
              url:
                options.clusterUrl ?? testCluster?.url ?? 'https://127.0.0.1:9',
              serviceAccountToken: options.token,
              skipTLSVerify: true,
            },
          ],
        },
      ],
    },
    ...(options.integrations ? { integrations: options.integrations } : {}),
    delivery: {
      execution: { interval: '5s', lease: '1m', maxAttempts: 3 },
      kubernetes: { requestTimeout: '2s', readinessGracePeriod: '30s' },
      ladders: { standard: { environments: options.environments } },
      ...(options.metrics ? { metrics: options.metrics } : {}),
    },
  });
  const config = readDeliveryConfig(rootConfig);
  const clock = { now: Date.now() };
  const catalog = {
    getEntity: async (ref: string) => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: ref.split('/')[1],
        annotations: {
          'backstage.io/kubernetes-id': 'checkout',
          'github.com/project-slug': 'acme/checkout',
        },
      },
      spec: { owner: 'team-payments' },
    }),
  };
  const logger = mockServices.logger.mock();
  const audited: Array<{ eventId: string; meta: any; outcome?: string }> = [];
  const auditor = mockServices.auditor.mock({
    createEvent: async (o: any) => {
      const event: (typeof audited)[number] = {
        eventId: o.eventId,
        meta: o.meta,
      };
      audited.push(event);
      return {
        success: async () => {
          event.outcome = 'success';
        },
        fail: async () => {
          event.outcome = 'fail';
        },
      };
    },
  });
  const gateway = new KubernetesGateway({
    clusters: config.clusters,
    timeoutMs: config.kubernetes.requestTimeoutMs,
  });
  const live = new LiveStateReader({
    gateway,
    cache: CacheManager.fromConfig(
      new ConfigReader({ backend: { cache: { store: 'memory' } } }),
    ).forPlugin('delivery'),
    cacheTtlMs: 1000,
    logger,
  });
  const services = createLedgerServices({
    knex: options.knex,
    config,
    catalog,
    live,
    clock: () => clock.now,
    changes: options.changes,
  });
  const executors = createExecutors({ config, rootConfig, gateway, live });
  const execution = (owner: string) =>
    new ExecutionService({
      ledger: services.ledger,
      config,
      catalog,
      evidence: services.attestations,
      executors,
      owner,
      logger,
      auditor,
      changes: options.changes,
      clock: () => clock.now,
    });

  /** Records build `n` (with a passing unit test). */
  async function record(n: number) {
    const { artifact } = await services.artifacts.recordArtifact(
      {
        componentRef: 'component:default/checkout',
        digest: digest(n),
        imageRepository: REPOSITORY,
        tags: [`1.0.${n}`],
        commitSha: `c${n}`.padEnd(40, '0'),
      },
      CI,
    );
    return artifact;
  }

  /** Makes build `n` the release of an environment, as if it had gone through before. */
  async function released(n: number, environment: string) {
    const artifact = await services.ledger.artifacts.getArtifactByDigest(
      'component:default/checkout',
      digest(n),
    );
    const id = `seed-${environment}-${n}-${Math.random()
      .toString(36)
      .slice(2, 8)}`;
    await services.ledger.promotions.insertPromotion(
      {
        id,
        componentRef: 'component:default/checkout',
        environment,
        ladder: 'standard',
        artifactId: artifact!.id,
        kind: 'normal',
        state: 'succeeded',
        requestedBy: 'service:ci',
        gates: [],
        requiredApprovals: 0,
        createdAt: clock.now - 3_600_000,
        updatedAt: clock.now - 3_600_000,
        completedAt: clock.now - 3_600_000,
      },
      false,
    );
    await services.ledger.releases.setRelease({
      componentRef: 'component:default/checkout',
      environment,
      promotionId: id,
      artifactId: artifact!.id,
      releasedAt: clock.now - 3_600_000,
      releasedBy: 'service:ci',
    });
  }

  async function promote(n: number, environment: string): Promise<Promotion> {
    const { view, refusal } = await services.promotions.requestPromotion(
      {
        componentRef: 'component:default/checkout',
        digest: digest(n),
        environment,
        kind: 'normal',
      },
      CI,
    );
    if (refusal) throw new Error(refusal);
    return view.promotion;
  }

  async function promotion(id: string) {
    return services.promotions.getPromotion(id);
  }

  /**
   * Runs executions (and the kubelet stand-in) turn by turn, the clock a
   * step ahead each turn, until `done` says so.
   */
  async function drive(
    runners: ExecutionService[],
    done: () => Promise<boolean>,
    turn: {
      kubelet?: () => Promise<unknown>;
      stepMs?: number;
      turns?: number;
    } = {},
  ) {
    for (let i = 0; i < (turn.turns ?? 60); i++) {
      await turn.kubelet?.();
      clock.now += turn.stepMs ?? 5000;
      await Promise.all(runners.map(r => r.run()));
      if (await done()) return;
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error('the execution did not get there in time');
  }

  return {
    config,
    clock,
    audited,
    catalog,
    live,
    knex: options.knex,
    services,
    execution,
    record,
    released,
    promote,
    promotion,
    drive,
  };
}
