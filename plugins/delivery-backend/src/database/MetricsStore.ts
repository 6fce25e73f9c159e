import { Knex } from 'knex';
import { placeholders, rawRows } from './util';
import type {
  DoraFigures,
  DoraQuery,
  PipelineFigures,
  PipelineQuery,
} from '../domain/metrics';
import {
  CHANGE_STATES,
  FAILED_STATES,
  LIVE_STATES,
} from '../domain/metricDays';

interface Fragment {
  sql: string;
  bindings: Knex.Value[];
}

/**
 * Row number `rn` of `n` sorted values is the q-quantile (nearest rank) when
 * rn = ceil(q·n), written without division so that every engine agrees:
 * rn·d ≥ k·n and (rn−1)·d < k·n for q = k/d.
 */
const rank = (rn: string, n: string, k: number, d: number) =>
  `(${rn} * ${d} >= ${k} * ${n} AND (${rn} - 1) * ${d} < ${k} * ${n})`;

/**
 * The DORA figures, each from one aggregate query over the ledger (window
 * functions for the percentiles), on SQLite, PostgreSQL and MySQL alike.
 * Times are epoch milliseconds, so differences are plain arithmetic.
 */
export class MetricsStore {
  constructor(private readonly db: Knex) {}

  /** `p.` rows in a production environment and in scope. */
  private where(q: DoraQuery, alias = 'p'): Fragment {
    const production = q.production.map(
      () => `(${alias}.ladder = ? AND ${alias}.environment = ?)`,
    );
    const bindings: Knex.Value[] = q.production.flatMap(p => [
      p.ladder,
      p.environment,
    ]);
    const scope = this.scope(q.componentRefs, alias);
    const sql = `${
      production.length ? `(${production.join(' OR ')})` : '1 = 0'
    } AND ${scope.sql}`;
    bindings.push(...scope.bindings);
    return { sql, bindings };
  }

  /** The series bucket of a time column: 0 for the first `bucketMs` of the window. */
  private bucket(q: DoraQuery, column: string): Fragment {
    return {
      sql: `((${column} - ?) - ((${column} - ?) % ?)) / ?`,
      bindings: [q.from, q.from, q.bucketMs, q.bucketMs],
    };
  }

  async dora(q: DoraQuery): Promise<DoraFigures> {
    const [changes, leadTimes, restore] = await Promise.all([
      this.changesByBucket(q),
      this.leadTimes(q),
      this.restoreTimes(q),
    ]);
    const buckets = new Map<number, DoraFigures['series'][number]>();
    for (const row of changes) {
      buckets.set(row.bucket, { ...row });
    }
    for (const [bucket, medianMs] of leadTimes.byBucket) {
      const entry = buckets.get(bucket);
      if (entry) entry.leadTimeMedianMs = medianMs;
    }
    const series = [...buckets.values()].sort((a, b) => a.bucket - b.bucket);
    return {
      deployments: series.reduce((sum, b) => sum + b.deployments, 0),
      leadTime: leadTimes.overall,
      changeFailure: {
        changes: series.reduce((sum, b) => sum + b.changes, 0),
        failures: series.reduce((sum, b) => sum + b.failures, 0),
      },
      restore,
      series,
    };
  }

  /**
   * Per bucket: releases, changes that reached production, failed changes. A
   * change counts when it went live, or when it ended if it never did.
   */
  private async changesByBucket(q: DoraQuery) {
    const where = this.where(q);
    const at = 'COALESCE(p.went_live_at, p.completed_at)';
    const bucket = this.bucket(q, at);
    const { rows } = await this.run(
      `SELECT t.bucket,
         SUM(CASE WHEN t.state IN (${placeholders(
           LIVE_STATES,
         )}) THEN 1 ELSE 0 END) AS deployments,
         COUNT(*) AS changes,
         SUM(CASE WHEN t.state IN (${placeholders(
           FAILED_STATES,
         )}) OR t.worse = 1 THEN 1 ELSE 0 END) AS failures
       FROM (
         SELECT ${bucket.sql} AS bucket, p.state,
           ${
             q.countWorse ? 'CASE WHEN c.worse = ? THEN 1 ELSE 0 END' : '0'
           } AS worse
         FROM delivery_promotions p
         LEFT JOIN delivery_release_comparisons c ON c.promotion_id = p.id
         WHERE ${where.sql}
           AND p.kind IN ('normal', 'hotfix')
           AND p.state IN (${placeholders(CHANGE_STATES)})
           AND ${at} >= ? AND ${at} < ?
       ) t
       GROUP BY t.bucket`,
      [
        ...LIVE_STATES,
        ...FAILED_STATES,
        ...bucket.bindings,
        ...(q.countWorse ? [true] : []),
        ...where.bindings,
        ...CHANGE_STATES,
        q.from,
        q.to,
      ],
    );
    return rows.map(r => ({
      bucket: Number(r.bucket),
      deployments: Number(r.deployments),
      changes: Number(r.changes),
      failures: Number(r.failures),
    }));
  }

  /**
   * Commit to production release of the exact artifact released: median and
   * p90 over the window, and the median per bucket.
   */
  private async leadTimes(q: DoraQuery): Promise<{
    overall: DoraFigures['leadTime'];
    byBucket: Map<number, number>;
  }> {
    const where = this.where(q);
    const bucket = this.bucket(q, 'p.went_live_at');
    const durations = `WITH d AS (
         SELECT ${bucket.sql} AS bucket, p.went_live_at - a.commit_time AS ms
         FROM delivery_promotions p
         JOIN delivery_artifacts a ON a.id = p.artifact_id
         WHERE ${where.sql}
           AND p.kind IN ('normal', 'hotfix')
           AND p.state IN (${placeholders(LIVE_STATES)})
           AND p.went_live_at >= ? AND p.went_live_at < ?
           AND a.commit_time IS NOT NULL
       )`;
    const bindings = [
      ...bucket.bindings,
      ...where.bindings,
      ...LIVE_STATES,
      q.from,
      q.to,
    ];
    // Two queries: MariaDB numbers rows wrongly when one SELECT mixes
    // windows of different orders.
    const [whole, perBucket] = await Promise.all([
      this.run(
        `${durations}, r AS (
           SELECT ms, ROW_NUMBER() OVER (ORDER BY ms) AS rn,
             COUNT(*) OVER () AS n
           FROM d
         )
         SELECT ms, rn, n FROM r
         WHERE ${rank('rn', 'n', 1, 2)} OR ${rank('rn', 'n', 9, 10)}`,
        bindings,
      ),
      this.run(
        `${durations}, r AS (
           SELECT bucket, ms,
             ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY ms) AS rn,
             COUNT(*) OVER (PARTITION BY bucket) AS n
           FROM d
         )
         SELECT bucket, ms FROM r WHERE ${rank('rn', 'n', 1, 2)}`,
        bindings,
      ),
    ]);
    const overall: DoraFigures['leadTime'] = { samples: 0 };
    for (const r of whole.rows) {
      const [rn, n, ms] = [r.rn, r.n, r.ms].map(Number);
      overall.samples = n;
      if (rn * 2 >= n && (rn - 1) * 2 < n) overall.medianMs = ms;
      if (rn * 10 >= 9 * n && (rn - 1) * 10 < 9 * n) overall.p90Ms = ms;
    }
    const byBucket = new Map<number, number>(
      perBucket.rows.map(r => [Number(r.bucket), Number(r.ms)]),
    );
    return { overall, byBucket };
  }

  /**
   * Incidents that started in the window — a failed or errored production
   * change (at its end), or a rollback (when it was requested) — and the time
   * to the component's next production release that went live, even if that
   * is after the window.
   */
  private async restoreTimes(q: DoraQuery): Promise<DoraFigures['restore']> {
    const where = this.where(q);
    const cte = `WITH incidents AS (
         SELECT p.component_ref, p.environment, p.completed_at AS started
         FROM delivery_promotions p
         WHERE ${where.sql}
           AND p.kind IN ('normal', 'hotfix')
           AND p.state IN ('failed', 'errored')
           AND p.completed_at >= ? AND p.completed_at < ?
         UNION ALL
         SELECT p.component_ref, p.environment, p.created_at AS started
         FROM delivery_promotions p
         WHERE ${where.sql}
           AND p.kind = 'rollback'
           AND p.state <> 'refused'
           AND p.created_at >= ? AND p.created_at < ?
       ), durations AS (
         SELECT (
           SELECT MIN(s.went_live_at) FROM delivery_promotions s
           WHERE s.component_ref = i.component_ref
             AND s.environment = i.environment
             AND s.state IN (${placeholders(LIVE_STATES)})
             AND s.went_live_at > i.started
         ) - i.started AS ms
         FROM incidents i
       )`;
    const bindings = [
      ...where.bindings,
      q.from,
      q.to,
      ...where.bindings,
      q.from,
      q.to,
      ...LIVE_STATES,
    ];
    // One pass: incidents and restored counts ride along on every row; rows
    // not restored sort last, so the first row carries the counts even when
    // none is restored.
    const { rows } = await this.run(
      `${cte}, r AS (
         SELECT ms,
           ROW_NUMBER() OVER (
             ORDER BY CASE WHEN ms IS NULL THEN 1 ELSE 0 END, ms
           ) AS rn,
           COUNT(ms) OVER () AS restored,
           COUNT(*) OVER () AS incidents
         FROM durations
       )
       SELECT ms, rn, restored, incidents FROM r
       WHERE rn = 1 OR ${rank('rn', 'restored', 1, 2)}`,
      bindings,
    );
    const result: DoraFigures['restore'] = {
      incidents: Number(rows[0]?.incidents ?? 0),
      restored: Number(rows[0]?.restored ?? 0),
    };
    for (const r of rows) {
      const [rn, restored] = [Number(r.rn), Number(r.restored)];
      if (restored > 0 && rn * 2 >= restored && (rn - 1) * 2 < restored) {
        result.medianMs = Number(r.ms);
      }
    }
    return result;
  }

  /** `alias.component_ref IN (…)` when the query has components. */
  private scope(componentRefs: string[] | undefined, alias: string): Fragment {
    if (!componentRefs) return { sql: '1 = 1', bindings: [] };
    if (componentRefs.length === 0) return { sql: '1 = 0', bindings: [] };
    return {
      sql: `${alias}.component_ref IN (${placeholders(componentRefs)})`,
      bindings: [...componentRefs],
    };
  }

  /**
   * Where the pipeline spends its time and why it stops: build to each
   * environment, refusals by gate, approval waits, evidence failures.
   */
  async pipeline(q: PipelineQuery): Promise<PipelineFigures> {
    const [toEnvironment, refusals, approvals, evidence] = await Promise.all([
      this.timeToEnvironment(q),
      this.refusals(q),
      this.approvalWait(q),
      this.evidenceByKind(q),
    ]);
    return {
      timeToEnvironment: toEnvironment,
      refusals,
      approvalWait: approvals,
      evidence,
    };
  }

  private async timeToEnvironment(q: PipelineQuery) {
    const scope = this.scope(q.componentRefs, 'p');
    const { rows } = await this.run(
      `WITH d AS (
         SELECT p.environment, p.went_live_at - a.created_at AS ms
         FROM delivery_promotions p
         JOIN delivery_artifacts a ON a.id = p.artifact_id
         WHERE ${scope.sql}
           AND p.kind IN ('normal', 'hotfix')
           AND p.state IN (${placeholders(LIVE_STATES)})
           AND p.went_live_at >= ? AND p.went_live_at < ?
       ), r AS (
         SELECT environment, ms,
           ROW_NUMBER() OVER (PARTITION BY environment ORDER BY ms) AS rn,
           COUNT(*) OVER (PARTITION BY environment) AS n
         FROM d
       )
       SELECT environment, ms, rn, n FROM r
       WHERE ${rank('rn', 'n', 1, 2)} OR ${rank('rn', 'n', 9, 10)}`,
      [...scope.bindings, ...LIVE_STATES, q.from, q.to],
    );
    const byEnvironment = new Map<
      string,
      PipelineFigures['timeToEnvironment'][number]
    >();
    for (const r of rows) {
      const environment = String(r.environment);
      const [rn, n, ms] = [r.rn, r.n, r.ms].map(Number);
      const entry = byEnvironment.get(environment) ?? {
        environment,
        releases: n,
        medianMs: ms,
      };
      if (rn * 2 >= n && (rn - 1) * 2 < n) entry.medianMs = ms;
      if (rn * 10 >= 9 * n && (rn - 1) * 10 < 9 * n) entry.p90Ms = ms;
      byEnvironment.set(environment, entry);
    }
    return [...byEnvironment.values()].sort((a, b) =>
      a.environment.localeCompare(b.environment),
    );
  }

  /**
   * Refused requests counted per failed gate, by matching the stored verdicts
   * (`{"gate":…,"verdict":"failed",…}` as the gates module writes them).
   */
  private async refusals(q: PipelineQuery) {
    const scope = this.scope(q.componentRefs, 'p');
    const perGate = q.gates.map(
      (_, i) =>
        `SUM(CASE WHEN p.state = 'refused' AND p.gates LIKE ? THEN 1 ELSE 0 END) AS g${i}`,
    );
    const { rows } = await this.run(
      `SELECT COUNT(*) AS requests,
         SUM(CASE WHEN p.state = 'refused' THEN 1 ELSE 0 END) AS refused
         ${perGate.length ? `, ${perGate.join(', ')}` : ''}
       FROM delivery_promotions p
       WHERE ${scope.sql} AND p.created_at >= ? AND p.created_at < ?`,
      [
        ...q.gates.map(g => `%"gate":"${g}","verdict":"failed"%`),
        ...scope.bindings,
        q.from,
        q.to,
      ],
    );
    const [row] = rows;
    return {
      requests: Number(row?.requests ?? 0),
      refused: Number(row?.refused ?? 0),
      byGate: q.gates
        .map((gate, i) => ({ gate, refused: Number(row?.[`g${i}`] ?? 0) }))
        .filter(g => g.refused > 0)
        .sort((a, b) => b.refused - a.refused || a.gate.localeCompare(b.gate)),
    };
  }

  private async approvalWait(q: PipelineQuery) {
    const scope = this.scope(q.componentRefs, 'p');
    const { rows } = await this.run(
      `WITH w AS (
         SELECT MAX(a.created_at) - p.created_at AS ms
         FROM delivery_promotions p
         JOIN delivery_approvals a
           ON a.promotion_id = p.id AND a.decision = 'approve'
         WHERE ${scope.sql}
           AND p.required_approvals > 0
           AND p.created_at >= ? AND p.created_at < ?
         GROUP BY p.id, p.created_at, p.required_approvals
         HAVING COUNT(*) >= p.required_approvals
       ), r AS (
         SELECT ms, ROW_NUMBER() OVER (ORDER BY ms) AS rn, COUNT(*) OVER () AS n
         FROM w
       )
       SELECT ms, rn, n FROM r
       WHERE ${rank('rn', 'n', 1, 2)} OR ${rank('rn', 'n', 9, 10)}`,
      [...scope.bindings, q.from, q.to],
    );
    const result: PipelineFigures['approvalWait'] = { promotions: 0 };
    for (const r of rows) {
      const [rn, n, ms] = [r.rn, r.n, r.ms].map(Number);
      result.promotions = n;
      if (rn * 2 >= n && (rn - 1) * 2 < n) result.medianMs = ms;
      if (rn * 10 >= 9 * n && (rn - 1) * 10 < 9 * n) result.p90Ms = ms;
    }
    return result;
  }

  /** Evidence reported in the window, by kind. */
  async evidenceByKind(
    q: Pick<PipelineQuery, 'from' | 'to' | 'componentRefs'>,
  ) {
    const scope = this.scope(q.componentRefs, 'a');
    const { rows } = await this.run(
      `SELECT e.kind, COUNT(*) AS reported,
         SUM(CASE WHEN e.result = 'failed' THEN 1 ELSE 0 END) AS failed
       FROM delivery_evidence e
       JOIN delivery_artifacts a ON a.id = e.artifact_id
       WHERE ${scope.sql} AND e.reported_at >= ? AND e.reported_at < ?
       GROUP BY e.kind`,
      [...scope.bindings, q.from, q.to],
    );
    return rows
      .map(r => ({
        kind: String(r.kind),
        reported: Number(r.reported),
        failed: Number(r.failed),
      }))
      .sort((a, b) => a.kind.localeCompare(b.kind));
  }

  private async run(sql: string, bindings: Knex.Value[]) {
    return { rows: await rawRows(this.db, sql, bindings) };
  }
}
