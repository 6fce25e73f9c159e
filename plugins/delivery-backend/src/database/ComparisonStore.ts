import { Knex } from 'knex';
import type { MetricComparison } from '../domain/analysis';
import { MetricDayStore } from './MetricDayStore';
import { inTransaction, json, keysetPage, num, opt, Page } from './util';

/** A release's before/after comparison, as stored. */
export interface ReleaseComparison {
  promotionId: string;
  componentRef: string;
  environment: string;
  digest: string;
  previousDigest?: string;
  liveAt: number;
  windowMs: number;
  worse: boolean;
  metrics: MetricComparison[];
  computedAt: number;
}

/** A release whose comparison is due. */
export interface DueRelease {
  promotionId: string;
  componentRef: string;
  environment: string;
  ladder: string;
  digest: string;
  liveAt: number;
}

interface ComparisonRow {
  promotion_id: string;
  component_ref: string;
  environment: string;
  digest: string;
  previous_digest: string | null;
  live_at: number | string;
  window_ms: number | string;
  worse: boolean | number;
  metrics: string;
  computed_at: number | string;
}

const TABLE = 'delivery_release_comparisons';

/** Went live: a release that later got rolled back went live too. */
const LIVE_STATES = ['succeeded', 'rolled-back'];

function toComparison(row: ComparisonRow): ReleaseComparison {
  return {
    promotionId: row.promotion_id,
    componentRef: row.component_ref,
    environment: row.environment,
    digest: row.digest,
    previousDigest: opt(row.previous_digest),
    liveAt: num(row.live_at),
    windowMs: num(row.window_ms),
    worse: Boolean(row.worse),
    metrics: json<MetricComparison[]>(row.metrics) ?? [],
    computedAt: num(row.computed_at),
  };
}

/** The release comparisons aggregate: one row per release, written once. */
export class ComparisonStore {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /** Stores a comparison; a second one for the same release is ignored. */
  async insert(c: ReleaseComparison): Promise<void> {
    await inTransaction(this.db, async trx => {
      await trx(TABLE)
        .insert({
          promotion_id: c.promotionId,
          component_ref: c.componentRef,
          environment: c.environment,
          digest: c.digest,
          previous_digest: c.previousDigest ?? null,
          live_at: c.liveAt,
          window_ms: c.windowMs,
          worse: c.worse,
          metrics: JSON.stringify(c.metrics),
          computed_at: c.computedAt,
        })
        .onConflict('promotion_id')
        .ignore();
      // A worse release may count as a failed change (countWorseAsFailures).
      await new MetricDayStore(trx).promotionChanged(c.promotionId);
    });
  }

  async get(promotionId: string): Promise<ReleaseComparison | undefined> {
    const row = await this.db<ComparisonRow>(TABLE)
      .where('promotion_id', promotionId)
      .first();
    return row ? toComparison(row) : undefined;
  }

  /**
   * Releases (normal and hotfix) of these environments that went live in
   * [from, to) and have no comparison yet, oldest first.
   */
  async due(
    environments: Array<{ ladder: string; environment: string }>,
    range: { from: number; to: number },
    limit: number,
  ): Promise<DueRelease[]> {
    if (environments.length === 0) return [];
    const rows = await this.db('delivery_promotions as p')
      .join('delivery_artifacts as a', 'a.id', 'p.artifact_id')
      .leftJoin(`${TABLE} as c`, 'c.promotion_id', 'p.id')
      .whereNull('c.promotion_id')
      .whereIn('p.state', LIVE_STATES)
      .whereIn('p.kind', ['normal', 'hotfix'])
      .where('p.went_live_at', '>=', range.from)
      .where('p.went_live_at', '<', range.to)
      .where(q => {
        for (const e of environments) {
          q.orWhere(w =>
            w
              .where('p.ladder', e.ladder)
              .andWhere('p.environment', e.environment),
          );
        }
      })
      .orderBy('p.went_live_at', 'asc')
      .limit(limit)
      .select(
        'p.id',
        'p.component_ref',
        'p.environment',
        'p.ladder',
        'p.went_live_at',
        'a.digest',
      );
    return rows.map(r => ({
      promotionId: r.id,
      componentRef: r.component_ref,
      environment: r.environment,
      ladder: r.ladder,
      digest: r.digest,
      liveAt: num(r.went_live_at),
    }));
  }

  /** The digest that was live in the environment just before `liveAt`. */
  async previousDigest(
    release: Pick<DueRelease, 'componentRef' | 'environment' | 'liveAt'>,
  ): Promise<string | undefined> {
    const row = await this.db('delivery_promotions as p')
      .join('delivery_artifacts as a', 'a.id', 'p.artifact_id')
      .where('p.component_ref', release.componentRef)
      .where('p.environment', release.environment)
      .whereIn('p.state', LIVE_STATES)
      .where('p.went_live_at', '<', release.liveAt)
      .orderBy('p.went_live_at', 'desc')
      .first('a.digest');
    return row?.digest;
  }

  /** Comparisons, newest release first; only worse ones when asked. */
  async list(
    filter: {
      componentRefs?: string[];
      environment?: string;
      worse?: boolean;
    },
    page: { limit: number; cursor?: string },
  ): Promise<Page<ReleaseComparison>> {
    const inner = this.db(TABLE).select(
      '*',
      this.db.ref('live_at').as('created_at'),
      this.db.ref('promotion_id').as('id'),
    );
    if (filter.componentRefs)
      inner.whereIn('component_ref', filter.componentRefs);
    if (filter.environment) inner.where('environment', filter.environment);
    if (filter.worse !== undefined) inner.where('worse', filter.worse);
    return keysetPage<
      ComparisonRow & { created_at: unknown; id: unknown },
      ReleaseComparison
    >(this.db.from(inner.as('c')).select('*'), page, toComparison);
  }
}
