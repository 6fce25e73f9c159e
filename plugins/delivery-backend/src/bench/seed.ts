/*
 * The benchmark ledger: COMPONENTS components on the standard ladder, each
 * with 100 artifacts and 250 promotions spread over the year before NOW, the
 * way a busy organisation's ledger looks (a 30-day window holds about a
 * twelfth of it). Bulk inserts; deterministic, so two runs see the same data.
 */
import { Knex } from 'knex';

export const BENCH_NOW = Date.parse('2026-11-27T12:00:00Z');
export const ARTIFACTS_PER_COMPONENT = 100;
export const PROMOTIONS_PER_COMPONENT = 250;
export const BENCH_ENVIRONMENTS = ['dev', 'staging', 'production'];

/** The ladder of every benchmark component (delivery.ladders). */
export const BENCH_LADDERS = {
  standard: {
    environments: [
      { name: 'dev', requiredEvidence: ['unit-test'] },
      {
        name: 'staging',
        requiredEvidence: ['unit-test', 'image-scan'],
        soakTime: '30m',
      },
      {
        name: 'production',
        requiredEvidence: ['unit-test', 'image-scan'],
        approvals: { count: 1, groups: ['group:default/platform'] },
      },
    ],
  },
};
const YEAR_MS = 365 * 86_400_000;
const STATES = [
  'succeeded',
  'succeeded',
  'succeeded',
  'failed',
  'refused',
  'rolled-back',
  'aborted',
];

export const benchUuid = (kind: number, n: number) =>
  `00000000-0000-4000-${(8000 + kind).toString()}-${n
    .toString(16)
    .padStart(12, '0')}`;

export const benchComponent = (c: number) =>
  `component:default/svc-${c.toString().padStart(4, '0')}`;

/** The group that owns component c (50 components per team). */
export const benchOwner = (c: number) =>
  `team-${Math.floor(c / 50)
    .toString()
    .padStart(2, '0')}`;

/** The id of artifact a of component c. */
export const benchArtifactId = (c: number, a: number) =>
  benchUuid(1, c * ARTIFACTS_PER_COMPONENT + a);

function componentRows(c: number) {
  const ref = benchComponent(c);
  const artifacts = [];
  const tags = [];
  const evidence = [];
  const artifactGap = YEAR_MS / ARTIFACTS_PER_COMPONENT;
  for (let a = 0; a < ARTIFACTS_PER_COMPONENT; a++) {
    const id = benchArtifactId(c, a);
    const createdAt = Math.round(
      BENCH_NOW - (ARTIFACTS_PER_COMPONENT - a) * artifactGap,
    );
    artifacts.push({
      id,
      component_ref: ref,
      digest: `sha256:${(c * 1000 + a).toString(16).padStart(64, '0')}`,
      image_repository: `ghcr.io/acme/svc-${c}`,
      commit_sha: (c * 1000 + a).toString(16).padStart(40, '0'),
      commit_time: createdAt - 600_000 - ((c * 7 + a) % 48) * 3_600_000,
      branch: 'main',
      build_id: String(a),
      created_by: 'ci',
      created_at: createdAt,
    });
    tags.push({
      component_ref: ref,
      tag: `1.0.${a}`,
      artifact_id: id,
      created_by: 'ci',
      created_at: createdAt,
    });
    for (const kind of ['unit-test', 'image-scan']) {
      evidence.push({
        artifact_id: id,
        kind,
        result:
          (c + a) % 17 === 0 && kind === 'unit-test' ? 'failed' : 'passed',
        status: 'reported',
        summary:
          kind === 'image-scan'
            ? '{"vulnerabilities":{"critical":0,"high":1}}'
            : null,
        reported_by: 'ci',
        reported_at: createdAt + 60_000,
      });
    }
  }
  const promotions = [];
  const approvals = [];
  const releases = new Map<string, object>();
  const promotionGap = YEAR_MS / PROMOTIONS_PER_COMPONENT;
  for (let p = 0; p < PROMOTIONS_PER_COMPONENT; p++) {
    const env = BENCH_ENVIRONMENTS[p % 3];
    // Promotions run ahead of builds by up to a day, never before them.
    const artifactIndex = Math.min(
      ARTIFACTS_PER_COMPONENT - 1,
      Math.floor((p * ARTIFACTS_PER_COMPONENT) / PROMOTIONS_PER_COMPONENT),
    );
    const createdAt = Math.round(
      BENCH_NOW - (PROMOTIONS_PER_COMPONENT - p) * promotionGap,
    );
    const state = STATES[(p + c) % STATES.length];
    const id = benchUuid(2, c * PROMOTIONS_PER_COMPONENT + p);
    const live = state === 'succeeded' || state === 'rolled-back';
    const completedAt = createdAt + 600_000 + (p % 5) * 60_000;
    const production = env === 'production';
    promotions.push({
      id,
      component_ref: ref,
      environment: env,
      ladder: 'standard',
      artifact_id: benchArtifactId(c, artifactIndex),
      kind: 'normal',
      state,
      requested_by: 'ci',
      gates:
        state === 'refused'
          ? '[{"gate":"required-evidence","verdict":"failed","reason":"missing image-scan"}]'
          : '[]',
      required_approvals: production ? 1 : 0,
      created_at: createdAt,
      updated_at: completedAt,
      completed_at: completedAt,
      went_live_at: live ? completedAt - 120_000 : null,
    });
    if (production && state !== 'refused') {
      approvals.push({
        promotion_id: id,
        approver_ref: 'user:default/approver',
        decision: 'approve',
        created_at: createdAt + 60_000 + (p % 7) * 30_000,
      });
    }
    if (state === 'succeeded') {
      releases.set(env, {
        component_ref: ref,
        environment: env,
        promotion_id: id,
        artifact_id: benchArtifactId(c, artifactIndex),
        released_at: completedAt,
        released_by: 'ci',
      });
    }
  }
  return {
    artifacts,
    tags,
    evidence,
    promotions,
    approvals,
    releases: [...releases.values()],
  };
}

/** Inserts the benchmark ledger; returns the milliseconds it took. */
export async function seedBenchLedger(
  knex: Knex,
  components: number,
  log: (message: string) => void = () => {},
): Promise<number> {
  const started = Date.now();
  for (let c = 0; c < components; c++) {
    const rows = componentRows(c);
    await knex.batchInsert('delivery_artifacts', rows.artifacts, 500);
    await knex.batchInsert('delivery_artifact_tags', rows.tags, 500);
    await knex.batchInsert('delivery_evidence', rows.evidence, 500);
    await knex.batchInsert('delivery_promotions', rows.promotions, 500);
    await knex.batchInsert('delivery_approvals', rows.approvals, 500);
    await knex.batchInsert('delivery_releases', rows.releases, 500);
    if (c % 250 === 249) {
      log(
        `  seeded ${c + 1} components (${Math.round(
          (Date.now() - started) / 1000,
        )} s)`,
      );
    }
  }
  return Date.now() - started;
}
