import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { Promotion } from '../domain/types';
import { Ledger } from './Ledger';
import { DoraQuery, PipelineQuery } from '../domain/metrics';
import { MetricDayStore } from './MetricDayStore';
import { MetricsStore } from './MetricsStore';
import { applyDatabaseMigrations } from './migrations';
import { GATE_NAMES } from '../domain/types';

jest.setTimeout(120_000);

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 9, 5); // a Monday
const A = 'component:default/orders';
const B = 'component:default/payments';

/**
 * A ledger with known answers. In the window [T0, T0 + 28 d), weekly buckets:
 * A: a release at 1 h with a 1 h lead time (restoring a failure from before
 * the window, which does not count); a release live at 7 d + 3 h (lead 3 h)
 * rolled back at 7 d + 5 h, the rollback live at 7 d + 6 h (which is when the
 * rolled-back promotion completed); a hotfix at 20 d + 30 min
 * (lead 30 min). B: a failed change at 14 d + 10 h, the next release at 15 d
 * (lead 13 h); a failed change at 27 d, restored at 29 d — after the window.
 */
async function seed(store: Ledger) {
  let n = 0;
  const artifact = async (componentRef: string, commitTime: number) => {
    n += 1;
    const id = `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
    await store.artifacts.recordArtifact(
      {
        id,
        componentRef,
        digest: `sha256:${n.toString(16).padStart(64, '0')}`,
        imageRepository: 'ghcr.io/acme/app',
        tags: [],
        commitSha: `${n}`.padEnd(40, '0'),
        commitTime,
      },
      'service:ci',
      commitTime,
    );
    return id;
  };
  let p = 0;
  const promotion = async (
    componentRef: string,
    artifactId: string,
    overrides: Partial<Promotion>,
  ) => {
    p += 1;
    const at = overrides.completedAt ?? overrides.createdAt ?? T0;
    await store.promotions.insertPromotion(
      {
        id: `10000000-0000-4000-8000-${p.toString().padStart(12, '0')}`,
        componentRef,
        environment: 'production',
        ladder: 'standard',
        artifactId,
        kind: 'normal',
        state: 'succeeded',
        requestedBy: 'service:ci',
        gates: [],
        requiredApprovals: 0,
        createdAt: at - 10 * MIN,
        updatedAt: at,
        ...overrides,
      },
      false,
    );
  };

  // Before the window: a failure, restored by the first release inside it.
  const a0 = await artifact(A, T0 - 5 * HOUR);
  await promotion(A, a0, { state: 'failed', completedAt: T0 - 2 * HOUR });
  const a1 = await artifact(A, T0);
  await promotion(A, a1, { completedAt: T0 + HOUR, requiredApprovals: 1 });
  const a2 = await artifact(A, T0 + 7 * DAY);
  await promotion(A, a2, {
    state: 'rolled-back',
    wentLiveAt: T0 + 7 * DAY + 3 * HOUR,
    completedAt: T0 + 7 * DAY + 6 * HOUR,
  });
  await promotion(A, a1, {
    kind: 'rollback',
    createdAt: T0 + 7 * DAY + 5 * HOUR,
    completedAt: T0 + 7 * DAY + 6 * HOUR,
  });
  const a3 = await artifact(A, T0 + 20 * DAY);
  await promotion(A, a3, {
    kind: 'hotfix',
    completedAt: T0 + 20 * DAY + 30 * MIN,
    requiredApprovals: 2,
  });
  // Not production changes: staging, a refused request, an earlier release.
  await promotion(A, a3, {
    environment: 'staging',
    completedAt: T0 + 20 * DAY + 10 * MIN,
  });
  await promotion(A, a3, {
    state: 'refused',
    completedAt: T0 + 19 * DAY,
    gates: [
      {
        gate: 'soak',
        verdict: 'failed',
        message: 'staging soaked 10 min of 30 min',
      },
      { gate: 'evidence', verdict: 'failed', message: 'no image-scan' },
      { gate: 'approvals', verdict: 'pending', message: 'needs 1' },
    ],
  });
  await promotion(A, a0, { completedAt: T0 - DAY });

  const b1 = await artifact(B, T0 + 14 * DAY);
  await promotion(B, b1, {
    state: 'failed',
    completedAt: T0 + 14 * DAY + 10 * HOUR,
    requiredApprovals: 2,
  });
  const b2 = await artifact(B, T0 + 14 * DAY + 11 * HOUR);
  await promotion(B, b2, { completedAt: T0 + 15 * DAY });
  const b3 = await artifact(B, T0 + 26 * DAY);
  await promotion(B, b3, { state: 'failed', completedAt: T0 + 27 * DAY });
  await promotion(B, b2, {
    kind: 'rollback',
    state: 'refused',
    createdAt: T0 + 27 * DAY + HOUR,
    gates: [
      { gate: 'quarantine', verdict: 'passed', message: 'not quarantined' },
      { gate: 'soak', verdict: 'failed', message: 'too soon' },
    ],
  });
  const b4 = await artifact(B, T0 + 28 * DAY);
  await promotion(B, b4, { completedAt: T0 + 29 * DAY });
  return { artifact, promotion };
}

describe('MetricsStore', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });

  /**
   * The aggregate queries, each answer checked against the figures kept in
   * the write path (MetricDayStore) where the window is whole days, as the
   * service asks.
   */
  async function create(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    const queries = new MetricsStore(knex);
    const days = new MetricDayStore(knex);
    const wholeDays = (q: { from: number; to: number }) =>
      q.from % DAY === 0 && q.to % DAY === 0;
    const metrics = {
      async dora(q: DoraQuery) {
        const figures = await queries.dora(q);
        const kept = wholeDays(q) ? await days.dora(q) : figures;
        expect(kept).toEqual(figures);
        return figures;
      },
      async pipeline(q: PipelineQuery) {
        const { evidence, ...figures } = await queries.pipeline(q);
        const kept = wholeDays(q) ? await days.pipeline(q) : figures;
        expect(kept).toEqual(figures);
        return { ...figures, evidence };
      },
    };
    return { store: new Ledger(knex), metrics, knex };
  }

  const query = (overrides: Partial<DoraQuery> = {}): DoraQuery => ({
    from: T0,
    to: T0 + 28 * DAY,
    bucketMs: 7 * DAY,
    production: [{ ladder: 'standard', environment: 'production' }],
    ...overrides,
  });

  it.each(databases.eachSupportedId())(
    'computes the four keys and the weekly series, %p',
    async databaseId => {
      const { store, metrics } = await create(databaseId);
      await seed(store);

      const figures = await metrics.dora(query());

      expect(figures).toEqual({
        deployments: 4,
        leadTime: { samples: 4, medianMs: HOUR, p90Ms: 13 * HOUR },
        changeFailure: { changes: 6, failures: 3 },
        restore: { incidents: 3, restored: 3, medianMs: 14 * HOUR },
        series: [
          {
            bucket: 0,
            deployments: 1,
            changes: 1,
            failures: 0,
            leadTimeMedianMs: HOUR,
          },
          {
            bucket: 1,
            deployments: 1,
            changes: 1,
            failures: 1,
            leadTimeMedianMs: 3 * HOUR,
          },
          {
            bucket: 2,
            deployments: 2,
            changes: 3,
            failures: 1,
            leadTimeMedianMs: 30 * MIN,
          },
          { bucket: 3, deployments: 0, changes: 1, failures: 1 },
        ],
      });
    },
  );

  it.each(databases.eachSupportedId())(
    'counts a rolled-back change from when it went live, not from its rollback, %p',
    async databaseId => {
      // The demo's payments-api change: committed 11-27 07:35, live 11-28
      // 10:44, rolled back 13:09 — a lead time of 27 h 09 min.
      const { store, metrics } = await create(databaseId);
      const { artifact, promotion } = await seed(store);
      const committed = T0 + 2 * DAY + 7 * HOUR + 35 * MIN;
      const live = T0 + 3 * DAY + 10 * HOUR + 44 * MIN;
      const rolledBack = T0 + 3 * DAY + 13 * HOUR + 9 * MIN;
      const id = '10000000-0000-4000-8000-000000009999';
      await promotion(B, await artifact(B, committed), {
        id,
        state: 'verifying',
        createdAt: live - HOUR,
        updatedAt: live - HOUR,
      });
      // As the rollout service moves it: live, then rolled back.
      const move = (from: any, to: any, now: number) =>
        store.promotions.transition(id, [from], to, { now, active: false });
      expect(await move('verifying', 'succeeded', live)).toBe(true);
      expect(await move('succeeded', 'rolled-back', rolledBack)).toBe(true);
      expect(await store.promotions.getPromotion(id)).toMatchObject({
        state: 'rolled-back',
        wentLiveAt: live,
        completedAt: rolledBack,
      });

      const week = await metrics.dora(
        query({ componentRefs: [B], to: T0 + 7 * DAY }),
      );
      expect(week.leadTime).toEqual({
        samples: 1,
        medianMs: 27 * HOUR + 9 * MIN,
        p90Ms: 27 * HOUR + 9 * MIN,
      });
      expect(week.deployments).toBe(1);
      // Counted in the bucket it went live in.
      expect(week.series).toEqual([
        {
          bucket: 0,
          deployments: 1,
          changes: 1,
          failures: 1,
          leadTimeMedianMs: 27 * HOUR + 9 * MIN,
        },
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'counts releases that made a metric worse as failed changes when asked, %p',
    async databaseId => {
      const { store, metrics } = await create(databaseId);
      await seed(store);
      const comparison = (promotionId: string, worse: boolean) => ({
        promotionId,
        componentRef: A,
        environment: 'production',
        digest: 'sha256:1',
        liveAt: T0 + HOUR,
        windowMs: 30 * MIN,
        worse,
        metrics: [],
        computedAt: T0 + 2 * HOUR,
      });
      // A's first release in the window made error rate worse; B's did not.
      await store.comparisons.insert(
        comparison('10000000-0000-4000-8000-000000000002', true),
      );
      await store.comparisons.insert(
        comparison('10000000-0000-4000-8000-000000000010', false),
      );

      const counted = await metrics.dora(query({ countWorse: true }));
      expect(counted.changeFailure).toEqual({ changes: 6, failures: 4 });
      expect(counted.series[0]).toMatchObject({ changes: 1, failures: 1 });
      const plain = await metrics.dora(query());
      expect(plain.changeFailure).toEqual({ changes: 6, failures: 3 });
    },
  );

  it.each(databases.eachSupportedId())(
    'narrows to components, and answers zeros for none, %p',
    async databaseId => {
      const { store, metrics } = await create(databaseId);
      await seed(store);

      const b = await metrics.dora(query({ componentRefs: [B] }));
      expect(b).toMatchObject({
        deployments: 1,
        leadTime: { samples: 1, medianMs: 13 * HOUR, p90Ms: 13 * HOUR },
        changeFailure: { changes: 3, failures: 2 },
        // 14 h and 48 h (restored after the window): the lower median.
        restore: { incidents: 2, restored: 2, medianMs: 14 * HOUR },
      });

      const none = await metrics.dora(query({ componentRefs: [] }));
      expect(none).toEqual({
        deployments: 0,
        leadTime: { samples: 0 },
        changeFailure: { changes: 0, failures: 0 },
        restore: { incidents: 0, restored: 0 },
        series: [],
      });
    },
  );

  it.each(databases.eachSupportedId())(
    'leaves out what the window cuts off, and counts open incidents, %p',
    async databaseId => {
      const { store, metrics } = await create(databaseId);
      const { artifact, promotion } = await seed(store);
      // A's change that failed at 27 d + 1 h was never followed by a release.
      await promotion(A, await artifact(A, T0 + 27 * DAY), {
        state: 'errored',
        completedAt: T0 + 27 * DAY + HOUR,
      });

      // The last two days: B's failure at 27 d is inside, its restore (29 d)
      // and everything else outside.
      const tail = await metrics.dora(
        query({ from: T0 + 26 * DAY, to: T0 + 28 * DAY, bucketMs: DAY }),
      );
      expect(tail).toEqual({
        deployments: 0,
        leadTime: { samples: 0 },
        changeFailure: { changes: 2, failures: 2 },
        restore: { incidents: 2, restored: 1, medianMs: 2 * DAY },
        series: [{ bucket: 1, deployments: 0, changes: 2, failures: 2 }],
      });

      // Only the release at 29 d: its restore started before the window.
      const later = await metrics.dora(
        query({ from: T0 + 28 * DAY, to: T0 + 35 * DAY }),
      );
      expect(later).toMatchObject({
        deployments: 1,
        leadTime: { samples: 1, medianMs: DAY, p90Ms: DAY },
        restore: { incidents: 0, restored: 0 },
      });
    },
  );

  const promotionId = (n: number) =>
    `10000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
  const artifactId = (n: number) =>
    `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

  it.each(databases.eachSupportedId())(
    'breaks the pipeline down: build to environment, refusals by gate, approval waits, evidence, %p',
    async databaseId => {
      const { store, metrics } = await create(databaseId);
      await seed(store);
      // A's first release waited 30 min for its one approval; the hotfix 3 h
      // for its second; B's failed change never got its second approval.
      const approve = (id: number, at: number, who = 'user:default/carol') =>
        store.promotions.addApproval(promotionId(id), {
          approverRef: who,
          decision: 'approve',
          createdAt: at,
        });
      await approve(2, T0 + HOUR - 10 * MIN + 30 * MIN);
      const hotfixCreated = T0 + 20 * DAY + 20 * MIN;
      await approve(5, hotfixCreated + HOUR);
      await approve(5, hotfixCreated + 3 * HOUR, 'user:default/dave');
      await approve(9, T0 + 14 * DAY + 10 * HOUR);
      const report = (n: number, kind: any, result: any, at: number) =>
        store.evidence.addEvidence({
          artifactId: artifactId(n),
          kind,
          result,
          reportedBy: 'service:ci',
          reportedAt: at,
        });
      await report(2, 'unit-test', 'passed', T0 + 5 * MIN);
      await report(3, 'unit-test', 'failed', T0 + 7 * DAY);
      await report(3, 'image-scan', 'passed', T0 + 7 * DAY);
      await report(7, 'unit-test', 'failed', T0 + 26 * DAY);
      await report(7, 'unit-test', 'passed', T0 - DAY); // before the window

      const q = { from: T0, to: T0 + 28 * DAY, gates: GATE_NAMES };
      expect(await metrics.pipeline(q)).toEqual({
        timeToEnvironment: [
          {
            environment: 'production',
            releases: 4,
            medianMs: HOUR,
            p90Ms: 13 * HOUR,
          },
          {
            environment: 'staging',
            releases: 1,
            medianMs: 10 * MIN,
            p90Ms: 10 * MIN,
          },
        ],
        refusals: {
          requests: 10,
          refused: 2,
          byGate: [
            { gate: 'soak', refused: 2 },
            { gate: 'evidence', refused: 1 },
          ],
        },
        approvalWait: { promotions: 2, medianMs: 30 * MIN, p90Ms: 3 * HOUR },
        evidence: [
          { kind: 'image-scan', reported: 1, failed: 0 },
          { kind: 'unit-test', reported: 3, failed: 2 },
        ],
      });

      expect(await metrics.pipeline({ ...q, componentRefs: [B] })).toEqual({
        timeToEnvironment: [
          {
            environment: 'production',
            releases: 1,
            medianMs: 13 * HOUR,
            p90Ms: 13 * HOUR,
          },
        ],
        refusals: {
          requests: 4,
          refused: 1,
          byGate: [{ gate: 'soak', refused: 1 }],
        },
        approvalWait: { promotions: 0 },
        evidence: [{ kind: 'unit-test', reported: 1, failed: 1 }],
      });
    },
  );
});
