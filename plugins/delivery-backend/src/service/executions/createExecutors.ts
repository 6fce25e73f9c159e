import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  AuditorService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { EntityLookup } from '../../catalog/catalog';
import type { DeliveryConfig } from '../../config/types';
import { Ledger } from '../../database/Ledger';
import { ExecutorType } from '../../domain/executions';
import { KubernetesGateway } from '../../kubernetes/KubernetesGateway';
import { LiveStateSource } from '../../kubernetes/liveState';
import { KubernetesWorkloads } from '../../kubernetes/workloads';
import { scmAccessFromConfig } from '../../scm/credentials';
import { GitHubWorkflows } from '../../scm/githubWorkflows';
import { GitOverlays } from '../../scm/gitOverlays';
import { PrometheusClient } from '../../prometheus/PrometheusClient';
import { KubernetesTracks } from '../../kubernetes/trackWorkloads';
import { ClusterFollower } from './clusterFollower';
import { NativeStrategies } from './nativeStrategies';
import { ReleaseAnalysis } from './ReleaseAnalysis';
import { ExecutionService } from './ExecutionService';
import type { GateEvidenceSource } from '../artifacts/AttestationService';
import { Executor } from './Executor';
import type { LedgerChanges } from '../notifications/LedgerChanges';
import { GitHubActionsExecutor } from './GitHubActionsExecutor';
import { GitOpsExecutor } from './GitOpsExecutor';
import { KubernetesExecutor } from './KubernetesExecutor';

/** How long a Git push or a GitHub API call may take. */
const SCM_TIMEOUT_MS = 60_000;

/** The executors the configured ladders use, over their ports. */
export function createExecutors(options: {
  config: DeliveryConfig;
  rootConfig: Config;
  gateway: KubernetesGateway;
  live?: LiveStateSource;
}): Partial<Record<ExecutorType, Executor>> {
  const { config, gateway, live } = options;
  const used = new Set(
    [...config.ladders.values()].flatMap(l =>
      l.environments.map(e => e.executor.type),
    ),
  );
  const executors: Partial<Record<ExecutorType, Executor>> = {};
  const workloads = new KubernetesWorkloads(gateway);
  const analysis = new ReleaseAnalysis(
    config.metrics.prometheus &&
      new PrometheusClient(config.metrics.prometheus),
  );
  const follower =
    live &&
    new ClusterFollower({
      workloads,
      live,
      settings: config.kubernetes,
      analysis,
    });
  const access = scmAccessFromConfig(options.rootConfig);
  if (used.has('kubernetes') && follower) {
    executors.kubernetes = new KubernetesExecutor({
      workloads,
      follower,
      native: new NativeStrategies({
        tracks: new KubernetesTracks(gateway),
        workloads,
        follower,
        analysis,
      }),
    });
  }
  if (used.has('gitops') && follower) {
    executors.gitops = new GitOpsExecutor({
      repository: new GitOverlays({ access, timeoutMs: SCM_TIMEOUT_MS }),
      follower,
    });
  }
  if (used.has('github-actions')) {
    executors['github-actions'] = new GitHubActionsExecutor(
      new GitHubWorkflows({ access, timeoutMs: SCM_TIMEOUT_MS }),
    );
  }
  return executors;
}

/**
 * Runs the executors on the scheduler (global scope: one run at a time
 * across replicas; each execution is also claimed with a lease), when any
 * environment has one.
 */
export async function scheduleExecutions(options: {
  scheduler: SchedulerService;
  ledger: Ledger;
  config: DeliveryConfig;
  catalog: EntityLookup;
  evidence: GateEvidenceSource;
  executors: Partial<Record<ExecutorType, Executor>>;
  logger: LoggerService;
  auditor: AuditorService;
  changes?: LedgerChanges;
}): Promise<ExecutionService | undefined> {
  if (Object.keys(options.executors).length === 0) return undefined;
  const service = new ExecutionService({
    ...options,
    owner: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
  });
  const { execution } = options.config;
  await options.scheduler.scheduleTask({
    id: 'delivery-executions',
    frequency: { milliseconds: execution.intervalMs },
    timeout: { milliseconds: execution.leaseMs / 2 },
    scope: 'global',
    fn: async () => {
      await service.run();
    },
  });
  return service;
}
