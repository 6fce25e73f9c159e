import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  deliveryEnvironmentDeployPermission,
  deliveryPermissions,
} from '@backstage-delivery/plugin-delivery-common';
import { cachedEntityLookup, createEntityLookup } from './catalog/catalog';
import { createPeopleDirectory } from './catalog/people';
import { seedDemoOnStartup } from './demo/seedDemo';
import { registerEnvironmentPermissions } from './service/permissions/environmentPermissions';
import { readDeliveryConfig } from './config/readDeliveryConfig';
import { PreviewStore } from './database/PreviewStore';
import { applyDatabaseMigrations } from './database/migrations';
import { KubernetesGateway } from './kubernetes/KubernetesGateway';
import { LiveStateReader } from './kubernetes/liveState';
import { PreviewNamespaces } from './kubernetes/previews/PreviewNamespaces';
import {
  scheduleVerification,
  VerificationReconciler,
} from './kubernetes/VerificationReconciler';
import { boundedCache } from './cache/boundedCache';
import { createLedgerServices } from './service/createServices';
import { scheduleIdempotencyPurge } from './service/http/idempotency';
import {
  createExecutors,
  scheduleExecutions,
} from './service/executions/createExecutors';
import { PreviewReaper } from './service/previews/PreviewReaper';
import { PreviewService } from './service/previews/PreviewService';
import { schedulePreviewReaper } from './service/previews/scheduleReaper';
import { createRouter } from './service/router';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { Ledger } from './database/Ledger';
import { DeliveryNotifier } from './service/notifications/DeliveryNotifier';
import { LiveStateWatch } from './kubernetes/LiveStateWatch';
import {
  DriftWatch,
  scheduleDriftWatch,
} from './service/notifications/DriftWatch';
import { DriftStore } from './database/DriftStore';
import {
  ComparisonService,
  scheduleComparisons,
} from './service/comparisons/ComparisonService';
import { PrometheusClient } from './prometheus/PrometheusClient';
import { RolloutControl } from './service/executions/RolloutControl';
import { KubernetesWorkloads } from './kubernetes/workloads';

/**
 * The delivery backend plugin: the ledger of artifacts, evidence, promotions
 * and preview environments, served at `/api/delivery`. Wiring only: rules
 * live in domain/, operations in service/, storage in database/.
 *
 * @public
 */
/** How long a cache operation may take before it counts as a miss. */
const CACHE_TIMEOUT_MS = 250;
/** How long an entity looked up in the catalog is kept. */
const ENTITY_CACHE_TTL_MS = 10_000;

export const deliveryPlugin = createBackendPlugin({
  pluginId: 'delivery',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        userInfo: coreServices.userInfo,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        lifecycle: coreServices.lifecycle,
        scheduler: coreServices.scheduler,
        cache: coreServices.cache,
        catalog: catalogServiceRef,
        notifications: notificationService,
        signals: signalsServiceRef,
      },
      async init(deps) {
        const { logger, scheduler } = deps;
        const config = readDeliveryConfig(deps.config);
        const knex = await deps.database.getClient();
        await applyDatabaseMigrations(knex, deps.database);
        // Redis down must not hold requests up: a slow or failing cache is a miss.
        const cache = boundedCache(deps.cache, {
          timeoutMs: CACHE_TIMEOUT_MS,
          logger,
        });
        const catalog = cachedEntityLookup(
          createEntityLookup(deps),
          cache,
          ENTITY_CACHE_TTL_MS,
        );
        const people = createPeopleDirectory(deps);

        // Kubernetes: the clusters configured for the official plugin. With
        // none, environments show no live state and previews are off.
        const gateway = new KubernetesGateway({
          clusters: config.clusters,
          timeoutMs: config.kubernetes.requestTimeoutMs,
        });
        const reader =
          config.clusters.size > 0
            ? new LiveStateReader({
                gateway,
                cache,
                cacheTtlMs: config.kubernetes.cacheTtlMs,
                logger,
              })
            : undefined;

        // Notifications and signals of every ledger change, told by the
        // replica that made it.
        const changes = new DeliveryNotifier({
          ledger: new Ledger(knex),
          config,
          catalog,
          notifications: deps.notifications,
          signals: deps.signals,
          logger,
        });
        // Live state kept by watching the namespaces read, each change
        // signalled to open tabs; reads of the cluster until a watch is up,
        // and whenever it cannot be (delivery.kubernetes.watch: false).
        const watch =
          reader && config.kubernetes.watch
            ? new LiveStateWatch({
                gateway,
                fallback: reader,
                onChange: refs =>
                  refs.forEach(ref => void changes.liveStateChanged(ref)),
                logger,
              })
            : undefined;
        if (watch) deps.lifecycle.addShutdownHook(() => watch.stop());
        const live = watch ?? reader;
        const services = createLedgerServices({
          knex,
          config,
          catalog,
          people,
          live,
          cache,
          changes,
        });

        if (live && config.notifications.kinds.drift.enabled) {
          await scheduleDriftWatch({
            scheduler,
            config,
            watch: new DriftWatch({
              ledger: services.ledger,
              store: new DriftStore(knex),
              config,
              catalog,
              live,
              notifier: changes,
              logger,
            }),
          });
        }

        if (live) {
          await scheduleVerification({
            scheduler,
            reconciler: new VerificationReconciler({
              ledger: services.rollouts,
              live,
              config,
              catalog,
              logger,
              auditor: deps.auditor,
            }),
            intervalMs: config.kubernetes.verificationIntervalMs,
          });
        }

        await scheduleIdempotencyPurge({
          scheduler,
          store: services.idempotency,
        });

        await scheduleExecutions({
          scheduler,
          ledger: services.ledger,
          config,
          catalog,
          evidence: services.attestations,
          executors: createExecutors({
            config,
            rootConfig: deps.config,
            gateway,
            live,
          }),
          logger,
          auditor: deps.auditor,
          changes,
        });

        if (
          config.metrics.prometheus &&
          [...config.ladders.values()].some(l =>
            l.environments.some(e => e.analysis),
          )
        ) {
          await scheduleComparisons({
            scheduler,
            config,
            service: new ComparisonService({
              store: services.ledger.comparisons,
              config,
              provider: new PrometheusClient(config.metrics.prometheus),
              logger,
            }),
          });
        }

        let previews: PreviewService | undefined;
        if (config.previews) {
          const store = new PreviewStore(knex);
          const cluster = new PreviewNamespaces(gateway, config.previews);
          previews = new PreviewService({
            store,
            artifacts: services.ledger.artifacts,
            cluster,
            settings: config.previews,
            components: services.components,
            logger,
          });
          await schedulePreviewReaper({
            scheduler,
            reaper: new PreviewReaper({
              store,
              cluster,
              settings: config.previews,
              logger,
              auditor: deps.auditor,
              changes,
              warningMs: config.notifications.previewWarningMs,
            }),
            intervalMs: config.previews.reaperIntervalMs,
            logger,
          });
        }

        deps.permissionsRegistry.addPermissions(
          deliveryPermissions.filter(
            p => p !== deliveryEnvironmentDeployPermission,
          ),
        );
        registerEnvironmentPermissions(
          deps.permissionsRegistry,
          config.ladders,
        );
        deps.httpRouter.use(
          await createRouter({
            ...deps,
            config,
            services: {
              artifacts: services.artifacts,
              attestations: services.attestations,
              promotions: services.promotions,
              rolloutControl:
                config.clusters.size > 0
                  ? new RolloutControl({
                      ledger: services.ledger,
                      config,
                      workloads: new KubernetesWorkloads(gateway),
                    })
                  : undefined,
              rollouts: services.rollouts,
              overview: services.overview,
              components: services.componentList,
              metrics: services.metrics,
              ledger: services.ledger,
              idempotency: services.idempotency,
              previews,
            },
          }),
        );
        // Load balancers and uptime checks call this without a token; it
        // reveals only the database client name and a latency figure.
        deps.httpRouter.addAuthPolicy({
          path: '/health',
          allow: 'unauthenticated',
        });

        if (config.demoFile) {
          // Local demos only (`delivery.demo.file`); never in production config.
          seedDemoOnStartup({
            file: config.demoFile,
            knex,
            config,
            catalog,
            people,
            changes,
            lifecycle: deps.lifecycle,
            logger,
          });
        }
      },
    });
  },
});
