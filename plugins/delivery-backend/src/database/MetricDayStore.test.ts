import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { PromotionState } from '@backstage-delivery/plugin-delivery-common';
import { Knex } from 'knex';
import { DoraQuery, PipelineQuery } from '../domain/metrics';
import { GATE_NAMES, Promotion, PromotionKind } from '../domain/types';
import { Ledger } from './Ledger';
import { MetricDayStore } from './MetricDayStore';
import { MetricsStore } from './MetricsStore';
import { applyDatabaseMigrations } from './migrations';

jest.setTimeout(180_000);

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 8, 1);
const COMPONENTS = ['a', 'b', 'c'].map(n => `component:default/${n}`);
const LADDERS = ['standard', 'regulated'];
const ENVIRONMENTS = ['staging', 'production'];
const FINAL: PromotionState[] = [
  'succeeded',
  'succeeded',
  'failed',
  'errored',
  'refused',
  'aborted',
  'rejected',
];

/** A deterministic pseudo-random sequence (a linear congruential generator). */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * A busy ledger written as the services write it, out of order: promotions
 * recorded in a random order (backfills of earlier days after later ones),
 * some moved on later (live, then rolled back), approvals, rollbacks, and
 * before/after comparisons that found a metric worse.
 */
async function busyLedger(ledger: Ledger, seed: number) {
  const next = random(seed);
  const pick = <T>(items: readonly T[]) =>
    items[Math.floor(next() * items.length)];
  const plans = Array.from({ length: 120 }, (_, n) => {
    const createdAt = T0 + Math.floor(next() * 20 * DAY);
    return {
      n,
      componentRef: pick(COMPONENTS),
      ladder: pick(LADDERS),
      environment: pick(ENVIRONMENTS),
      kind: pick<PromotionKind>(['normal', 'normal', 'hotfix', 'rollback']),
      state: pick(FINAL),
      createdAt,
      completedAt: createdAt + Math.floor(next() * 30 * HOUR),
      commitTime:
        next() < 0.9 ? createdAt - Math.floor(next() * 50 * HOUR) : undefined,
      approvals: Math.floor(next() * 3),
      approvers: Math.floor(next() * 3),
      rollBack: next() < 0.2,
      worse: next() < 0.2,
    };
  });
  plans.sort(() => next() - 0.5);
  for (const plan of plans) {
    const id = (prefix: number) =>
      `${prefix}0000000-0000-4000-8000-${plan.n.toString().padStart(12, '0')}`;
    await ledger.artifacts.recordArtifact(
      {
        id: id(0),
        componentRef: plan.componentRef,
        digest: `sha256:${plan.n.toString(16).padStart(64, '0')}`,
        imageRepository: 'ghcr.io/acme/app',
        tags: [],
        commitSha: `${plan.n}`.padEnd(40, '0'),
        commitTime: plan.commitTime,
      },
      'service:ci',
      plan.createdAt - HOUR,
    );
    const live = plan.state === 'succeeded';
    const promotion: Promotion = {
      id: id(1),
      componentRef: plan.componentRef,
      environment: plan.environment,
      ladder: plan.ladder,
      artifactId: id(0),
      kind: plan.kind,
      // Releases go through verifying and are moved live below.
      state: live ? 'verifying' : plan.state,
      requestedBy: 'service:ci',
      gates:
        plan.state === 'refused'
          ? [
              { gate: pick(GATE_NAMES), verdict: 'failed', message: 'no' },
              { gate: 'soak', verdict: 'failed', message: 'too soon' },
            ]
          : [],
      requiredApprovals: plan.approvals,
      createdAt: plan.createdAt,
      updatedAt: plan.createdAt,
      completedAt: live ? undefined : plan.completedAt,
    };
    await ledger.promotions.insertPromotion(promotion, false);
    for (let a = 0; a < plan.approvers; a++) {
      await ledger.promotions.addApproval(promotion.id, {
        approverRef: `user:default/approver-${a}`,
        decision: 'approve',
        createdAt: plan.createdAt + (a + 1) * HOUR,
      });
    }
    if (live) {
      await ledger.transaction(tx =>
        tx.promotions.transition(promotion.id, ['verifying'], 'succeeded', {
          now: plan.completedAt,
          active: false,
        }),
      );
      if (plan.rollBack) {
        await ledger.promotions.transition(
          promotion.id,
          ['succeeded'],
          'rolled-back',
          { now: plan.completedAt + 2 * HOUR, active: false },
        );
      }
      if (plan.worse) {
        await ledger.comparisons.insert({
          promotionId: promotion.id,
          componentRef: plan.componentRef,
          environment: plan.environment,
          digest: `sha256:${plan.n.toString(16).padStart(64, '0')}`,
          liveAt: plan.completedAt,
          windowMs: HOUR,
          worse: true,
          metrics: [],
          computedAt: plan.completedAt + HOUR,
        });
      }
    }
  }
}

/** Rows in a comparable order, their lists sorted. */
async function allRows(knex: Knex) {
  const rows = await knex('delivery_metric_days').orderBy([
    'component_ref',
    'ladder',
    'environment',
    'day',
  ]);
  const sorted = (v: string) =>
    JSON.parse(v).sort((x: number, y: number) => x - y);
  return rows.map(r => ({
    ...r,
    slowest_restore_ms:
      r.slowest_restore_ms === null ? null : Number(r.slowest_restore_ms),
    lead_times: sorted(r.lead_times),
    environment_times: sorted(r.environment_times),
    restore_times: sorted(r.restore_times),
    approval_waits: sorted(r.approval_waits),
    refused_by_gate: JSON.parse(r.refused_by_gate),
  }));
}

describe('MetricDayStore', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });

  async function create(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    return {
      knex,
      ledger: new Ledger(knex),
      queries: new MetricsStore(knex),
      days: new MetricDayStore(knex),
    };
  }

  it.each(databases.eachSupportedId())(
    'keeps the same figures as the aggregate queries through backfills, rollbacks and comparisons, %p',
    async databaseId => {
      const { knex, ledger, queries, days } = await create(databaseId);
      await busyLedger(ledger, 7);

      const production = LADDERS.map(ladder => ({
        ladder,
        environment: 'production',
      }));
      const windows = [
        { from: T0 - DAY, to: T0 + 25 * DAY, bucketMs: 7 * DAY },
        { from: T0 + 3 * DAY, to: T0 + 10 * DAY, bucketMs: DAY },
        { from: T0 + 12 * DAY, to: T0 + 13 * DAY, bucketMs: DAY },
      ];
      const scopes = [undefined, [COMPONENTS[0]], COMPONENTS.slice(1), []];
      let compared = 0;
      for (const window of windows) {
        for (const componentRefs of scopes) {
          for (const countWorse of [false, true]) {
            const q: DoraQuery = {
              ...window,
              production,
              componentRefs,
              countWorse,
            };
            expect(await days.dora(q)).toEqual(await queries.dora(q));
          }
          const p: PipelineQuery = {
            ...window,
            componentRefs,
            gates: GATE_NAMES,
          };
          const { evidence, ...figures } = await queries.pipeline(p);
          expect(await days.pipeline(p)).toEqual(figures);
          compared += 1;
        }
      }
      expect(compared).toBe(12);
      // The ledger is busy enough for every figure to be compared.
      const whole = await queries.dora({
        ...windows[0],
        production,
        countWorse: true,
      });
      expect(whole.restore.restored).toBeGreaterThan(3);
      expect(whole.leadTime.samples).toBeGreaterThan(10);
      expect(whole.changeFailure.failures).toBeGreaterThan(5);

      // Built from scratch, the rows are the ones the write path kept.
      const kept = await allRows(knex);
      expect(kept.length).toBeGreaterThan(50);
      await days.rebuild();
      expect(await allRows(knex)).toEqual(kept);
    },
  );

  it('refuses windows that are not whole days', async () => {
    const { days } = await create('SQLITE_3');
    await expect(
      days.dora({
        from: T0 + HOUR,
        to: T0 + DAY,
        bucketMs: DAY,
        production: [],
      }),
    ).rejects.toThrow('whole UTC days');
  });

  it('is built from a ledger written before it, once', async () => {
    const { knex, ledger, days } = await create('SQLITE_3');
    await busyLedger(ledger, 11);
    const kept = await allRows(knex);
    // As if the ledger predated the table: emptied and marked unbuilt.
    await knex('delivery_metric_days').delete();
    await knex('delivery_metric_rollup').update({ built_at: null });
    expect(await days.isBuilt()).toBe(false);
    await applyDatabaseMigrations(knex);
    expect(await days.isBuilt()).toBe(true);
    expect(await allRows(knex)).toEqual(kept);
  });
});
