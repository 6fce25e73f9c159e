import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LifecycleService, LoggerService } from '@backstage/backend-plugin-api';
import { EvidenceKind } from '@backstage-delivery/plugin-delivery-common';
import { Knex } from 'knex';
import yaml from 'yaml';
import { EntityLookup } from '../catalog/catalog';
import { DeliveryConfig } from '../config/types';
import {
  Actor,
  Artifact,
  RolloutEventType,
  RolloutMetrics,
} from '../domain/types';
import {
  githubProvenance,
  inTotoStatement,
  signWithKey,
} from '../supplyChain/keyBundles';
import { componentRef } from '../service/components';
import { createLedgerServices } from '../service/createServices';
import type { PeopleDirectory } from '../catalog/people';
import type { Scenario } from './scenario';
import type { LedgerChanges } from '../service/notifications/LedgerChanges';

const DAY = 86_400_000;

const HEALTHY_ROLLOUT: Array<{
  type: RolloutEventType;
  metrics?: RolloutMetrics;
}> = [
  { type: 'deploying' },
  {
    type: 'verifying',
    metrics: {
      errorRate: 0.002,
      restarts: 0,
      readinessFailures: 0,
      p95LatencyMs: 180,
    },
  },
  { type: 'succeeded' },
];

/**
 * The config with every environment deployed by pipelines: the demo replays
 * history as CI reported it, whatever executor the portal uses from now on.
 */
function asReported(config: DeliveryConfig): DeliveryConfig {
  const ladders = new Map(
    [...config.ladders].map(([name, ladder]) => [
      name,
      {
        ...ladder,
        environments: ladder.environments.map(env => ({
          ...env,
          executor: { type: 'external' as const },
        })),
      },
    ]),
  );
  return { ...config, ladders };
}

/**
 * Signs the demo's attestations with the demo key: a cosign signature
 * statement and a SLSA provenance as GitHub's build workflow would make.
 */
function demoSigner(key: { id: string; privateKey: string }) {
  return {
    bundle(artifact: Artifact, kind: EvidenceKind) {
      const repository = artifact.imageRepository.replace(/^ghcr\.io\//, '');
      const predicate =
        kind === 'provenance'
          ? {
              type: 'https://slsa.dev/provenance/v1',
              body: githubProvenance({
                repository,
                ref: `refs/heads/${artifact.branch ?? 'main'}`,
                commit: artifact.commitSha ?? '',
                workflow: '.github/workflows/build.yaml',
                runId: artifact.buildId ?? 0,
              }),
            }
          : { type: 'https://sigstore.dev/cosign/sign/v1', body: {} };
      return signWithKey(
        inTotoStatement({
          name: artifact.imageRepository,
          digest: artifact.digest,
          predicateType: predicate.type,
          predicate: predicate.body,
        }),
        key,
      );
    },
  };
}

/**
 * Resolves `-3d`, `-2h30m` or `-2d@10:00` (two days ago at 10:00 UTC)
 * against `now`.
 */
export function resolveTime(at: string, now: number): number {
  const match = /^-(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:@(\d\d):(\d\d))?$/.exec(
    at.trim(),
  );
  if (!match || at.trim() === '-') {
    throw new Error(
      `Invalid demo time '${at}'; use e.g. -3d, -2h30m or -2d@10:00`,
    );
  }
  const [, d, h, m, hh, mm] = match.map(x =>
    x === undefined ? undefined : Number(x),
  );
  let time = now - (d ?? 0) * DAY - (h ?? 0) * 3600_000 - (m ?? 0) * 60_000;
  if (hh !== undefined) {
    const day = new Date(time);
    day.setUTCHours(hh, mm!, 0, 0);
    time = day.getTime();
  }
  return Math.min(time, now);
}

function hex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

export function demoDigest(component: string, build: number): string {
  return `sha256:${hex(`${component}#${build}`, 64)}`;
}

/**
 * Waits for the demo's components, and its users with their group
 * relations (separation of duties matches the people behind a change to
 * users and their teams), to be in the catalog.
 */
async function waitForEntities(
  catalog: EntityLookup,
  refs: string[],
  logger: LoggerService,
) {
  const deadline = Date.now() + 180_000;
  const ready = async (ref: string) => {
    const entity = await catalog.getEntity(ref).catch(() => undefined);
    return Boolean(
      entity && (!ref.startsWith('user:') || entity.relations?.length),
    );
  };
  for (const ref of refs) {
    while (!(await ready(ref))) {
      if (Date.now() > deadline) {
        throw new Error(
          `${ref} did not appear in the catalog within 3 minutes`,
        );
      }
      logger.debug(`Delivery demo waits for ${ref} in the catalog`);
      await new Promise(r => setTimeout(r, 1000));
    }
  }
}

/**
 * Replays a demo scenario through the delivery service, with its clock set to
 * each step's time, when the ledger is empty. Refusals and conflicts are part
 * of a realistic ledger and are logged, not fatal.
 */
export async function seedDemo(options: {
  file: string;
  knex: Knex;
  config: DeliveryConfig;
  catalog: EntityLookup;
  people?: PeopleDirectory;
  logger: LoggerService;
  /** Told, once the history is loaded, of the approvals it leaves waiting. */
  changes?: LedgerChanges;
  now?: number;
}): Promise<{ steps: number; refused: number }> {
  const { logger } = options;
  const now = options.now ?? Date.now();
  let clock = now;
  const { ledger, artifacts, attestations, promotions, rollouts } =
    createLedgerServices({
      knex: options.knex,
      config: asReported(options.config),
      catalog: options.catalog,
      people: options.people,
      clock: () => clock,
    });
  const attestable = new Set(options.config.supplyChain.attestationOnly);
  const signer = options.config.demoSigningKey
    ? demoSigner(options.config.demoSigningKey)
    : undefined;
  const path = resolve(options.file);
  const scenario = yaml.parse(await readFile(path, 'utf8'), {
    merge: true,
  }) as Scenario;
  if (!(await ledger.artifacts.isEmpty())) {
    logger.info(`Delivery demo skipped: the ledger already has data`);
    return { steps: 0, refused: 0 };
  }
  const ref = (name: string) => componentRef(name);
  const components = new Set<string>();
  for (const step of scenario.steps) {
    const target =
      step.record ??
      step.evidence ??
      step.promote ??
      step.approve ??
      step.reject ??
      step.rollout ??
      step.rollback ??
      step.quarantine;
    if (target) components.add(ref(target.component));
  }
  const users = Object.values(scenario.actors)
    .filter(a => a.type === 'user')
    .map(a => a.ref);
  await waitForEntities(options.catalog, [...components, ...users], logger);

  const actor = (name: string): Actor => {
    const a = scenario.actors[name];
    if (!a) throw new Error(`Demo step uses unknown actor '${name}'`);
    return {
      type: a.type,
      ref: a.ref,
      ownershipRefs: [a.ref, ...(a.groups ?? [])],
    };
  };
  const artifactId = async (component: string, build: number) => {
    const artifact = await ledger.artifacts.getArtifactByDigest(
      ref(component),
      demoDigest(component, build),
    );
    if (!artifact)
      throw new Error(`Demo build ${component}#${build} was not recorded`);
    return artifact.id;
  };
  const active = async (component: string, environment: string) => {
    const promotion = await ledger.promotions.activePromotion(
      ref(component),
      environment,
    );
    if (!promotion)
      throw new Error(`No active promotion of ${component} to ${environment}`);
    return promotion.id;
  };

  const rollout = async (
    id: string,
    events: Array<{
      type: RolloutEventType;
      metrics?: RolloutMetrics;
      message?: string;
    }>,
    who: Actor,
  ) => {
    for (const event of events) {
      await rollouts.reportRolloutEvent(id, event, who);
      clock = Math.min(clock + 2 * 60_000, now);
    }
  };

  let refused = 0;
  for (const step of scenario.steps) {
    clock = resolveTime(step.at, now);
    const who = actor(step.as);
    if (step.record) {
      const { component, build } = step.record;
      await artifacts.recordArtifact(
        {
          componentRef: ref(component),
          digest: demoDigest(component, build),
          imageRepository: `ghcr.io/acme/${component}`,
          tags: step.record.tags ?? [],
          commitSha: hex(`commit ${component}#${build}`, 40),
          commitTime: clock - 25 * 60_000,
          branch: step.record.branch ?? 'main',
          buildId: String(build),
          buildUrl: `https://github.com/acme/${component}/actions/runs/${build}`,
          sizeBytes: Math.round((step.record.sizeMb ?? 180) * 1e6),
          baseImage:
            'gcr.io/distroless/nodejs22-debian12@sha256:2f1b7c7e3e5f4d0d9a1a9e6c4b3f2a1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f',
          commitAuthorEmail: step.record.author,
          triggeredBy: step.record.pushedBy,
        },
        who,
      );
    } else if (step.evidence) {
      const e = step.evidence;
      const id = await artifactId(e.component, e.build);
      const artifact = await artifacts.requireArtifact(id);
      for (const r of e.results) {
        const url = `https://github.com/acme/${e.component}/actions/runs/${e.build}#${r.kind}`;
        if (signer && attestable.has(r.kind) && !r.reported) {
          await attestations.attest(
            artifact,
            { bundle: signer.bundle(artifact, r.kind), url },
            who,
          );
        } else if (attestable.has(r.kind)) {
          // History from before verification: straight into the ledger.
          await ledger.evidence.addEvidence({
            artifactId: id,
            kind: r.kind,
            result: r.result,
            url,
            reportedBy: who.ref,
            reportedAt: clock,
          });
        } else {
          await artifacts.addEvidence(
            id,
            {
              kind: r.kind,
              result: r.result,
              summary:
                r.tests || r.vulnerabilities
                  ? { tests: r.tests, vulnerabilities: r.vulnerabilities }
                  : undefined,
              url,
            },
            who,
          );
        }
      }
    } else if (step.promote) {
      const p = step.promote;
      const outcome = await promotions.requestPromotion(
        {
          componentRef: ref(p.component),
          digest: demoDigest(p.component, p.build),
          environment: p.environment,
          kind: p.kind ?? 'normal',
          reason: p.reason,
          triggeredBy: p.triggeredBy,
        },
        who,
      );
      if (outcome.refusal) {
        refused++;
        logger.info(`Delivery demo: ${outcome.refusal}`);
      } else if (p.deploy && outcome.view.promotion.state === 'approved') {
        await rollout(outcome.view.promotion.id, HEALTHY_ROLLOUT, who);
      }
    } else if (step.approve || step.reject) {
      const a = (step.approve ?? step.reject)!;
      await promotions.decideApproval(
        await active(a.component, a.environment),
        { decision: step.approve ? 'approve' : 'reject', comment: a.comment },
        who,
      );
    } else if (step.rollout) {
      const r = step.rollout;
      await rollout(
        await active(r.component, r.environment),
        r.events ?? HEALTHY_ROLLOUT,
        who,
      );
    } else if (step.rollback) {
      const r = step.rollback;
      const outcome = await promotions.rollback(
        {
          componentRef: ref(r.component),
          environment: r.environment,
          reason: r.reason,
        },
        who,
      );
      if (outcome.view.promotion.state === 'approved') {
        await rollout(outcome.view.promotion.id, HEALTHY_ROLLOUT, who);
      }
    } else if (step.quarantine) {
      const q = step.quarantine;
      await artifacts.quarantine(
        await artifactId(q.component, q.build),
        q.reason,
        who,
      );
    } else {
      throw new Error(`Demo step at ${step.at} does nothing`);
    }
  }
  // The history is history: only what waits now is told (approvers see
  // the demo's pending approvals among their notifications).
  const waiting = await ledger.promotions.listPromotions(
    { states: ['awaiting-approval'] },
    { limit: 100 },
  );
  for (const p of waiting.items) await options.changes?.promotionChanged(p);
  logger.info(
    `Delivery demo loaded from ${path}: ${scenario.steps.length} steps, ${refused} refused promotions`,
  );
  return { steps: scenario.steps.length, refused };
}

/**
 * Loads the demo once the backend has started, in the background: it waits
 * for the catalog to ingest the demo components, which happens after startup.
 */
export function seedDemoOnStartup(options: {
  file: string;
  knex: Knex;
  config: DeliveryConfig;
  catalog: EntityLookup;
  people?: PeopleDirectory;
  changes?: LedgerChanges;
  lifecycle: LifecycleService;
  logger: LoggerService;
}) {
  const { lifecycle, logger, file } = options;
  lifecycle.addStartupHook(() => {
    seedDemo(options).catch(error =>
      logger.error(`Could not load the delivery demo from ${file}`, error),
    );
  });
}
