import { Knex } from 'knex';
import { DAY_MS, dayOf } from '../domain/metricDays';
import { MetricDayStore } from './MetricDayStore';
import { clientOf, num, placeholders, rawRows } from './util';
import type { ScorecardFacts } from '../domain/scorecard';

/** The components, window and production environments to gather facts for. */
export interface ScorecardQuery {
  componentRefs: string[];
  /** Environments that are the last of a ladder. */
  production: string[];
  from: number;
  now: number;
  previewGraceMs: number;
}

const CHUNK = 2000;

/**
 * The facts behind the scorecard checks, a handful of grouped queries per
 * 2,000 components — never a query per component.
 */
export class ScorecardStore {
  private readonly days: MetricDayStore;

  constructor(
    private readonly db: Knex,
    private readonly options: {
      /** Read incidents and skip attempts from the metrics kept per day (default), when built and `from` starts a day. */
      metricDays?: boolean;
    } = {},
  ) {
    this.days = new MetricDayStore(db);
  }

  async facts(q: ScorecardQuery): Promise<Map<string, ScorecardFacts>> {
    const facts = new Map<string, ScorecardFacts>();
    for (const ref of q.componentRefs) {
      facts.set(ref, {
        skipAttempts: 0,
        overduePreviews: 0,
        incidents: { count: 0, open: 0 },
      });
    }
    const kept =
      (this.options.metricDays ?? true) &&
      q.from % DAY_MS === 0 &&
      (await this.days.isBuilt());
    for (let i = 0; i < q.componentRefs.length; i += CHUNK) {
      const refs = q.componentRefs.slice(i, i + CHUNK);
      await Promise.all([
        this.production(refs, q, facts),
        this.latestArtifacts(refs, facts),
        kept
          ? this.keptSkipAttempts(refs, q, facts)
          : this.skipAttempts(refs, q, facts),
        this.overduePreviews(refs, q, facts),
        kept
          ? this.keptIncidents(refs, q, facts)
          : this.incidents(refs, q, facts),
      ]);
    }
    return facts;
  }

  /**
   * The production releases and every evidence row of their artifacts, in
   * one pass: the latest result per kind, and the kinds with passed
   * evidence the portal verified.
   */
  private async production(
    refs: string[],
    q: ScorecardQuery,
    facts: Map<string, ScorecardFacts>,
  ) {
    if (q.production.length === 0) return;
    const rows = await this.rows(
      `SELECT r.component_ref, r.environment, r.artifact_id,
         e.id, e.kind, e.result, e.status
       FROM delivery_releases r
       LEFT JOIN delivery_evidence e ON e.artifact_id = r.artifact_id
       WHERE r.component_ref IN (${placeholders(refs)})
         AND r.environment IN (${placeholders(q.production)})`,
      [...refs, ...q.production],
    );
    const latest = new Map<string, number>();
    for (const r of rows) {
      const f = facts.get(String(r.component_ref))!;
      f.production ??= {
        environment: String(r.environment),
        artifactId: String(r.artifact_id),
        evidence: {},
        verified: [],
      };
      if (r.kind === null) continue;
      const kind = String(r.kind);
      const key = `${r.artifact_id}\n${kind}`;
      const id = num(r.id);
      if (id > (latest.get(key) ?? -Infinity)) {
        latest.set(key, id);
        f.production.evidence[kind] = r.result as 'passed' | 'failed';
      }
      if (
        r.status === 'verified' &&
        r.result === 'passed' &&
        !f.production.verified.includes(kind)
      ) {
        f.production.verified.push(kind);
      }
    }
  }

  private async latestArtifacts(
    refs: string[],
    facts: Map<string, ScorecardFacts>,
  ) {
    // Each component's newest build: on PostgreSQL one index probe per
    // component; elsewhere the newest creation time per component first.
    const newest =
      clientOf(this.db) === 'pg'
        ? `SELECT a.component_ref, a.id, a.base_image
           FROM unnest(ARRAY[${placeholders(refs)}]::text[]) AS c(ref)
           CROSS JOIN LATERAL (
             SELECT id, component_ref, base_image FROM delivery_artifacts
             WHERE component_ref = c.ref
             ORDER BY created_at DESC, id DESC LIMIT 1
           ) a`
        : `SELECT a.component_ref, a.id, a.base_image
           FROM (
             SELECT component_ref, MAX(created_at) AS created_at
             FROM delivery_artifacts
             WHERE component_ref IN (${placeholders(refs)})
             GROUP BY component_ref
           ) newest
           JOIN delivery_artifacts a ON a.component_ref = newest.component_ref
             AND a.created_at = newest.created_at`;
    const rows = await this.rows(
      `SELECT a.component_ref, a.id, a.base_image, e.result, e.summary
       FROM (${newest}) a
       LEFT JOIN delivery_evidence e ON e.id = (
         SELECT MAX(e2.id) FROM delivery_evidence e2
         WHERE e2.artifact_id = a.id AND e2.kind = 'image-scan'
       )`,
      refs,
    );
    for (const r of rows) {
      const f = facts.get(String(r.component_ref))!;
      if (f.latestArtifact) continue; // two builds in the same millisecond
      const summary = r.summary ? JSON.parse(String(r.summary)) : undefined;
      f.latestArtifact = {
        artifactId: String(r.id),
        ...(r.base_image ? { baseImage: String(r.base_image) } : {}),
        ...(r.result
          ? {
              scan: {
                result: String(r.result),
                critical: summary?.vulnerabilities?.critical,
                high: summary?.vulnerabilities?.high,
              },
            }
          : {}),
      };
    }
  }

  private async skipAttempts(
    refs: string[],
    q: ScorecardQuery,
    facts: Map<string, ScorecardFacts>,
  ) {
    const rows = await this.rows(
      `SELECT p.component_ref, COUNT(*) AS n
       FROM delivery_promotions p
       WHERE p.component_ref IN (${placeholders(refs)})
         AND p.state = 'refused'
         AND p.created_at >= ?
         AND p.gates LIKE ?
       GROUP BY p.component_ref`,
      [...refs, q.from, '%"gate":"ladder","verdict":"failed"%'],
    );
    for (const r of rows) {
      facts.get(String(r.component_ref))!.skipAttempts = Number(r.n);
    }
  }

  private async overduePreviews(
    refs: string[],
    q: ScorecardQuery,
    facts: Map<string, ScorecardFacts>,
  ) {
    const rows = await this.rows(
      `SELECT v.component_ref, COUNT(*) AS n
       FROM delivery_previews v
       WHERE v.component_ref IN (${placeholders(refs)})
         AND v.state NOT IN ('deleted', 'failed')
         AND v.expires_at < ?
       GROUP BY v.component_ref`,
      [...refs, q.now - q.previewGraceMs],
    );
    for (const r of rows) {
      facts.get(String(r.component_ref))!.overduePreviews = Number(r.n);
    }
  }

  /** Refused requests that tried to skip an environment, from the metrics kept per day. */
  private async keptSkipAttempts(
    refs: string[],
    q: ScorecardQuery,
    facts: Map<string, ScorecardFacts>,
  ) {
    const rows = await this.rows(
      `SELECT component_ref, SUM(skip_attempts) AS n
       FROM delivery_metric_days
       WHERE component_ref IN (${placeholders(refs)}) AND day >= ?
       GROUP BY component_ref`,
      [...refs, dayOf(q.from)],
    );
    for (const r of rows) {
      facts.get(String(r.component_ref))!.skipAttempts = Number(r.n);
    }
  }

  /** Incidents, open ones and the slowest restore, from the metrics kept per day. */
  private async keptIncidents(
    refs: string[],
    q: ScorecardQuery,
    facts: Map<string, ScorecardFacts>,
  ) {
    if (q.production.length === 0) return;
    const rows = await this.rows(
      `SELECT component_ref, SUM(incidents) AS n, SUM(restored) AS restored,
         MAX(slowest_restore_ms) AS slowest
       FROM delivery_metric_days
       WHERE component_ref IN (${placeholders(refs)})
         AND environment IN (${placeholders(q.production)})
         AND day >= ? AND incidents > 0
       GROUP BY component_ref`,
      [...refs, ...q.production, dayOf(q.from)],
    );
    this.setIncidents(rows, facts);
  }

  private setIncidents(
    rows: Record<string, unknown>[],
    facts: Map<string, ScorecardFacts>,
  ) {
    for (const r of rows) {
      const n = Number(r.n);
      facts.get(String(r.component_ref))!.incidents = {
        count: n,
        open: n - Number(r.restored),
        ...(r.slowest !== null && r.slowest !== undefined
          ? { slowestMs: Number(r.slowest) }
          : {}),
      };
    }
  }

  /** As the DORA time to restore, grouped by component. */
  private async incidents(
    refs: string[],
    q: ScorecardQuery,
    facts: Map<string, ScorecardFacts>,
  ) {
    if (q.production.length === 0) return;
    const prod = `p.environment IN (${placeholders(q.production)})`;
    const rows = await this.rows(
      `WITH incidents AS (
         SELECT p.component_ref, p.environment, p.completed_at AS started
         FROM delivery_promotions p
         WHERE p.component_ref IN (${placeholders(refs)}) AND ${prod}
           AND p.kind IN ('normal', 'hotfix')
           AND p.state IN ('failed', 'errored')
           AND p.completed_at >= ?
         UNION ALL
         SELECT p.component_ref, p.environment, p.created_at AS started
         FROM delivery_promotions p
         WHERE p.component_ref IN (${placeholders(refs)}) AND ${prod}
           AND p.kind = 'rollback' AND p.state <> 'refused'
           AND p.created_at >= ?
       ), durations AS (
         SELECT i.component_ref, (
           SELECT MIN(s.went_live_at) FROM delivery_promotions s
           WHERE s.component_ref = i.component_ref
             AND s.environment = i.environment
             AND s.state IN ('succeeded', 'rolled-back')
             AND s.went_live_at > i.started
         ) - i.started AS ms
         FROM incidents i
       )
       SELECT component_ref, COUNT(*) AS n, COUNT(ms) AS restored,
         MAX(ms) AS slowest
       FROM durations GROUP BY component_ref`,
      [...refs, ...q.production, q.from, ...refs, ...q.production, q.from],
    );
    this.setIncidents(rows, facts);
  }

  private rows(sql: string, bindings: Knex.Value[]) {
    return rawRows(this.db, sql, bindings);
  }
}
