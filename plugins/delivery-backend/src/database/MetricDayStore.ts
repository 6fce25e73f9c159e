import { Knex } from 'knex';
import {
  addDay,
  applyDifference,
  buildDays,
  DAY_MS,
  dayOf,
  doraFromDays,
  emptyDay,
  incidentStart,
  isEmptyDay,
  LIVE_STATES,
  MetricDay,
  ORGANISATION,
  pipelineFromDays,
  PromotionFact,
} from '../domain/metricDays';
import type {
  DoraFigures,
  DoraQuery,
  PipelineFigures,
  PipelineQuery,
} from '../domain/metrics';
import {
  approvalsOf,
  firstAfter,
  fromRow,
  keyOf,
  Row,
  toFact,
  toRow,
} from './metricDayRows';
import { forUpdate, inTransaction, num, optNum, rawRows } from './util';

const TABLE = 'delivery_metric_days';
const KEY = ['component_ref', 'ladder', 'environment', 'day'];
const CHUNK = 200;

/**
 * Delivery metrics per component, ladder, environment and day
 * (domain/metricDays.ts), kept in the write path: every promotion change
 * recomputes the days it touches in its own transaction.
 */
export class MetricDayStore {
  private built = false;

  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * Recomputes the days a promotion touches — requested, ended, went live —
   * and, when it went live, the days of the incidents it may restore: those
   * since the release live before it.
   */
  async promotionChanged(promotionId: string): Promise<void> {
    await inTransaction(this.db, async trx => {
      const p = await trx('delivery_promotions')
        .where('id', promotionId)
        .first(
          'component_ref',
          'environment',
          'state',
          'created_at',
          'completed_at',
          'went_live_at',
        );
      if (!p) return;
      const times = [p.created_at, p.completed_at, p.went_live_at]
        .map(optNum)
        .filter((t): t is number => t !== undefined);
      let from = Math.min(...times);
      const wentLiveAt = optNum(p.went_live_at);
      if (wentLiveAt !== undefined && LIVE_STATES.includes(p.state)) {
        const mine = trx('delivery_promotions').where({
          component_ref: p.component_ref,
          environment: p.environment,
        });
        const [previous] = await mine
          .clone()
          .whereIn('state', LIVE_STATES)
          .where('went_live_at', '<', wentLiveAt)
          .max({ t: 'went_live_at' });
        const since =
          optNum(previous?.t) ??
          optNum((await mine.clone().min({ t: 'created_at' }))[0]?.t);
        if (since !== undefined) from = Math.min(from, since);
      }
      await this.refresh(
        trx,
        String(p.component_ref),
        String(p.environment),
        dayOf(from),
        dayOf(Math.max(...times)),
      );
    });
  }

  /** Recomputes a component's rows of the days [fromDay, toDay] and moves the organisation's by the difference. */
  private async refresh(
    trx: Knex.Transaction,
    componentRef: string,
    environment: string,
    fromDay: number,
    toDay: number,
  ) {
    const lock = { component_ref: componentRef, environment };
    await trx('delivery_metric_locks')
      .insert(lock)
      .onConflict(['component_ref', 'environment'])
      .ignore();
    await forUpdate(trx, trx('delivery_metric_locks').where(lock));
    const facts = await this.facts(trx, componentRef, environment, {
      from: fromDay * DAY_MS,
      to: (toDay + 1) * DAY_MS,
    });
    const after = buildDays(componentRef, environment, facts, fromDay, toDay);
    const mine = () =>
      trx(TABLE)
        .where(lock)
        .where('day', '>=', fromDay)
        .where('day', '<=', toDay);
    const before: MetricDay[] = (await forUpdate(trx, mine())).map(fromRow);
    await mine().delete();
    for (let i = 0; i < after.length; i += CHUNK) {
      await trx(TABLE).insert(after.slice(i, i + CHUNK).map(toRow));
    }
    const beforeByKey = new Map(before.map(d => [keyOf(d), d]));
    const afterByKey = new Map(after.map(d => [keyOf(d), d]));
    const keys = [...new Set([...beforeByKey.keys(), ...afterByKey.keys()])]
      .sort()
      .filter(
        k =>
          JSON.stringify(beforeByKey.get(k) ?? null) !==
          JSON.stringify(afterByKey.get(k) ?? null),
      );
    for (const k of keys) {
      const [ladder, day] = k.split('\n');
      const org = {
        component_ref: ORGANISATION,
        ladder,
        environment,
        day: Number(day),
      };
      await trx(TABLE)
        .insert(
          toRow(
            emptyDay({
              componentRef: ORGANISATION,
              ladder,
              environment,
              day: org.day,
            }),
          ),
        )
        .onConflict(KEY)
        .ignore();
      const [current] = await forUpdate(trx, trx(TABLE).where(org));
      const next = applyDifference(
        fromRow(current),
        beforeByKey.get(k),
        afterByKey.get(k),
      );
      if (isEmptyDay(next)) await trx(TABLE).where(org).delete();
      else await trx(TABLE).where(org).update(toRow(next));
    }
  }

  /** What the promotions of a component and environment created, ended or live in [from, to) contribute. */
  private async facts(
    db: Knex | Knex.Transaction,
    componentRef: string,
    environment: string,
    range: { from: number; to: number },
  ): Promise<PromotionFact[]> {
    const { from, to } = range;
    const rows = await rawRows(
      db,
      `SELECT p.id, p.ladder, p.kind, p.state, p.gates, p.required_approvals,
         p.created_at, p.completed_at, p.went_live_at, a.commit_time,
         a.created_at AS artifact_created_at, c.worse
       FROM delivery_promotions p
       JOIN delivery_artifacts a ON a.id = p.artifact_id
       LEFT JOIN delivery_release_comparisons c ON c.promotion_id = p.id
       WHERE p.id IN (${['created_at', 'completed_at', 'went_live_at']
         .map(
           column => `SELECT id FROM delivery_promotions
             WHERE component_ref = ? AND environment = ?
               AND ${column} >= ? AND ${column} < ?`,
         )
         .join(' UNION ')})`,
      [1, 2, 3].flatMap(() => [componentRef, environment, from, to]),
    );
    const approvals = await approvalsOf(
      db,
      rows.filter(r => num(r.required_approvals) > 0).map(r => String(r.id)),
    );
    const facts = rows.map(r => toFact(r, approvals));
    const starts = facts
      .map(f => incidentStart(f))
      .filter((t): t is number => t !== undefined);
    if (starts.length > 0) {
      const lives = await this.liveTimes(
        db,
        componentRef,
        environment,
        Math.min(...starts),
        Math.max(...starts),
      );
      for (const f of facts) {
        const started = incidentStart(f);
        if (started !== undefined) f.nextLiveAt = firstAfter(lives, started);
      }
    }
    return facts;
  }

  /** Go-live times of the component's releases in the environment after `after` up to `until`, and the first one after that. */
  private async liveTimes(
    db: Knex | Knex.Transaction,
    componentRef: string,
    environment: string,
    after: number,
    until: number,
  ): Promise<number[]> {
    const live = () =>
      db('delivery_promotions')
        .where({ component_ref: componentRef, environment })
        .whereIn('state', LIVE_STATES);
    const [within, [next]] = await Promise.all([
      live()
        .where('went_live_at', '>', after)
        .where('went_live_at', '<=', until)
        .select('went_live_at'),
      live().where('went_live_at', '>', until).min({ t: 'went_live_at' }),
    ]);
    return [
      ...within.map((r: Row) => num(r.went_live_at)),
      ...(next?.t !== null && next?.t !== undefined ? [num(next.t)] : []),
    ].sort((a, b) => a - b);
  }

  /**
   * Builds every row from the ledger once (the plugin's first start with
   * this table, or a ledger loaded by bulk inserts), a component at a time;
   * replicas starting together wait for the one that builds.
   */
  async ensureBuilt(): Promise<void> {
    await inTransaction(this.db, async trx => {
      const [state] = await forUpdate(
        trx,
        trx('delivery_metric_rollup').where('name', 'days'),
      );
      if (!state || state.built_at !== null) return;
      await this.rebuild(trx);
      await trx('delivery_metric_rollup')
        .where('name', 'days')
        .update({ built_at: Date.now() });
    });
  }

  /** Replaces every row by what the ledger says. */
  async rebuild(db: Knex | Knex.Transaction = this.db): Promise<void> {
    await db(TABLE).delete();
    const refs = (
      await db('delivery_promotions')
        .distinct('component_ref')
        .orderBy('component_ref')
    ).map((r: Row) => String(r.component_ref));
    const organisation = new Map<string, MetricDay>();
    for (let i = 0; i < refs.length; i += CHUNK) {
      const rows = await rawRows(
        db,
        `SELECT p.id, p.component_ref, p.environment, p.ladder, p.kind,
           p.state, p.gates, p.required_approvals, p.created_at,
           p.completed_at, p.went_live_at, a.commit_time,
           a.created_at AS artifact_created_at, c.worse
         FROM delivery_promotions p
         JOIN delivery_artifacts a ON a.id = p.artifact_id
         LEFT JOIN delivery_release_comparisons c ON c.promotion_id = p.id
         WHERE p.component_ref IN (${refs
           .slice(i, i + CHUNK)
           .map(() => '?')
           .join(', ')})`,
        refs.slice(i, i + CHUNK),
      );
      const approvals = await approvalsOf(
        db,
        rows.filter(r => num(r.required_approvals) > 0).map(r => String(r.id)),
      );
      const groups = new Map<string, Row[]>();
      for (const r of rows) {
        const key = `${r.component_ref}\n${r.environment}`;
        groups.set(key, [...(groups.get(key) ?? []), r]);
      }
      const days: MetricDay[] = [];
      for (const [key, group] of groups) {
        const [componentRef, environment] = key.split('\n');
        const facts = group.map(r => toFact(r, approvals));
        const lives = facts
          .filter(f => LIVE_STATES.includes(f.state))
          .map(f => f.wentLiveAt)
          .filter((t): t is number => t !== undefined)
          .sort((a, b) => a - b);
        for (const f of facts) {
          const started = incidentStart(f);
          if (started !== undefined) f.nextLiveAt = firstAfter(lives, started);
        }
        days.push(
          ...buildDays(
            componentRef,
            environment,
            facts,
            Number.MIN_SAFE_INTEGER,
            Number.MAX_SAFE_INTEGER,
          ),
        );
      }
      for (const d of days) {
        const key = `${d.ladder}\n${d.environment}\n${d.day}`;
        const total =
          organisation.get(key) ??
          emptyDay({ ...d, componentRef: ORGANISATION });
        organisation.set(key, addDay(total, d));
      }
      for (let j = 0; j < days.length; j += CHUNK) {
        await db(TABLE).insert(days.slice(j, j + CHUNK).map(toRow));
      }
    }
    const org = [...organisation.values()];
    for (let j = 0; j < org.length; j += CHUNK) {
      await db(TABLE).insert(org.slice(j, j + CHUNK).map(toRow));
    }
  }

  /**
   * Whether the rows were built (until then, metrics read the ledger). They
   * stay built, so a store asks the database until it hears yes.
   */
  async isBuilt(): Promise<boolean> {
    if (this.built) return true;
    const state = await this.db('delivery_metric_rollup')
      .where('name', 'days')
      .first('built_at');
    this.built = state?.built_at !== null && state?.built_at !== undefined;
    return this.built;
  }

  /** The DORA figures of a window of whole days, from the rows. */
  async dora(q: DoraQuery): Promise<DoraFigures> {
    const rows = await this.days({
      componentRefs: q.componentRefs,
      fromDay: dayOf(q.from),
      toDay: dayOf(q.to - 1),
      environments: [...new Set(q.production.map(p => p.environment))],
    });
    return doraFromDays(rows, q);
  }

  /** The pipeline figures of a window of whole days but evidence, from the rows. */
  async pipeline(q: PipelineQuery): Promise<Omit<PipelineFigures, 'evidence'>> {
    const rows = await this.days({
      componentRefs: q.componentRefs,
      fromDay: dayOf(q.from),
      toDay: dayOf(q.to - 1),
    });
    return pipelineFromDays(rows, q);
  }

  /** Rows of the days [fromDay, toDay]: the organisation's, or these components'. */
  async days(q: {
    componentRefs?: string[];
    fromDay: number;
    toDay: number;
    environments?: string[];
  }): Promise<MetricDay[]> {
    const refs = q.componentRefs ?? [ORGANISATION];
    const result: MetricDay[] = [];
    for (let i = 0; i < refs.length; i += 500) {
      const query = this.db(TABLE)
        .whereIn('component_ref', refs.slice(i, i + 500))
        .where('day', '>=', q.fromDay)
        .where('day', '<=', q.toDay);
      if (q.environments) query.whereIn('environment', q.environments);
      result.push(...(await query).map(fromRow));
    }
    return result;
  }
}
