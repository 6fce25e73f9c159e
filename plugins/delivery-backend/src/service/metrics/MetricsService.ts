import { CacheService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { Knex } from 'knex';
import { ComponentCatalog, componentsInScope } from '../../catalog/catalog';
import type { DeliveryConfig } from '../../config/types';
import { ArtifactStore } from '../../database/ArtifactStore';
import { MetricDayStore } from '../../database/MetricDayStore';
import { DAY_MS } from '../../domain/metricDays';
import { MetricsStore } from '../../database/MetricsStore';
import { ScorecardStore } from '../../database/ScorecardStore';
import {
  DoraMetrics,
  doraReport,
  doraWindow,
  PipelineMetrics,
  pipelineReport,
} from '../../domain/dora';
import {
  environmentOrder,
  ladderOf,
  productionEnvironments,
} from '../../domain/ladder';
import { ownerRef } from '../../domain/refs';
import {
  CheckResult,
  evaluateScorecard,
  ScorecardFacts,
} from '../../domain/scorecard';
import { GATE_NAMES } from '../../domain/types';
import { componentRef } from '../components';

/** A metrics request: one component, owner or system (or none), over a number of days. */
export interface MetricsQuery {
  component?: string;
  owner?: string;
  system?: string;
  days?: number;
}

/** Delivery metrics for a component, an owner, a system or the organisation. */
export class MetricsService {
  private readonly store: MetricsStore;
  private readonly days: MetricDayStore;
  private readonly artifacts: ArtifactStore;
  private readonly scorecards: ScorecardStore;

  private readonly config: DeliveryConfig;
  private readonly clock: () => number;
  private readonly cache?: CacheService;

  constructor(options: {
    knex: Knex;
    config: DeliveryConfig;
    clock?: () => number;
    cache?: CacheService;
  }) {
    this.store = new MetricsStore(options.knex);
    this.days = new MetricDayStore(options.knex);
    this.scorecards = new ScorecardStore(options.knex);
    this.artifacts = new ArtifactStore(options.knex);
    this.config = options.config;
    this.clock = options.clock ?? Date.now;
    this.cache = options.cache;
  }

  /** The scope of a metrics request: one component, an owner, a system, or all. */
  private async scopeOf(
    query: { component?: string; owner?: string; system?: string },
    catalog: ComponentCatalog,
  ): Promise<{ scope: DoraMetrics['scope']; componentRefs?: string[] }> {
    const given = (['component', 'owner', 'system'] as const).filter(
      key => query[key],
    );
    if (given.length > 1) {
      throw new InputError(
        `Give one of component, owner or system, not ${given.join(' and ')}`,
      );
    }
    if (query.component) {
      const ref = componentRef(query.component);
      return { scope: { kind: 'component', ref }, componentRefs: [ref] };
    }
    if (query.owner || query.system) {
      const componentRefs = (
        await componentsInScope(catalog, {
          owner: query.owner,
          system: query.system,
        })
      ).map(e => stringifyEntityRef(e));
      return {
        scope: {
          kind: query.owner ? 'owner' : 'system',
          ref: (query.owner ?? query.system)!,
          components: componentRefs.length,
        },
        componentRefs,
      };
    }
    return { scope: { kind: 'organisation' } };
  }

  async dora(
    query: MetricsQuery,
    catalog: ComponentCatalog,
  ): Promise<DoraMetrics> {
    const { scope, componentRefs } = await this.scopeOf(query, catalog);
    return this.organisationCached(
      scope,
      `dora:${query.days ?? 30}`,
      async () => {
        const window = doraWindow(query.days ?? 30, this.clock());
        const q = {
          ...window,
          production: productionEnvironments(this.config.ladders),
          componentRefs,
          countWorse: this.config.metrics.countWorseAsFailures,
        };
        const figures = (await this.days.isBuilt())
          ? await this.days.dora(q)
          : await this.store.dora(q);
        const report = doraReport(figures, window, scope);
        if (!this.config.metrics.countWorseAsFailures) return report;
        return {
          ...report,
          definitions: {
            ...report.definitions,
            changeFailureRate: `${report.definitions.changeFailureRate} Releases whose before/after comparison found a metric worse (delivery.metrics.countWorseAsFailures) count as failed changes too.`,
          },
        };
      },
    );
  }

  async pipeline(
    query: MetricsQuery,
    catalog: ComponentCatalog,
  ): Promise<PipelineMetrics> {
    const { scope, componentRefs } = await this.scopeOf(query, catalog);
    return this.organisationCached(scope, `pipeline:${query.days ?? 30}`, () =>
      this.computePipeline(query.days ?? 30, scope, componentRefs),
    );
  }

  private async computePipeline(
    days: number,
    scope: PipelineMetrics['scope'],
    componentRefs: string[] | undefined,
  ): Promise<PipelineMetrics> {
    const window = doraWindow(days, this.clock());
    const q = {
      from: window.from,
      to: window.to,
      componentRefs,
      gates: GATE_NAMES,
    };
    const figures = (await this.days.isBuilt())
      ? await Promise.all([
          this.days.pipeline(q),
          this.store.evidenceByKind(q),
        ]).then(([kept, evidence]) => ({ ...kept, evidence }))
      : await this.store.pipeline(q);
    return pipelineReport(
      figures,
      window,
      scope,
      environmentOrder(this.config.ladders),
    );
  }

  /**
   * Organisation-wide answers read the whole ledger and are the same for
   * every caller: keep them delivery.metrics.organisationCacheTtl (default
   * 0: not at all) in the plugin's cache (shared by replicas when the cache
   * is Redis). Narrower scopes are always fresh.
   */
  private async organisationCached<T extends object>(
    scope: DoraMetrics['scope'],
    key: string,
    compute: () => Promise<T>,
  ): Promise<T> {
    const ttl = this.config.metrics.organisationCacheTtlMs;
    if (!this.cache || ttl === 0 || scope.kind !== 'organisation') {
      return compute();
    }
    const cacheKey = `metrics:v1:${key}`;
    const cached = await this.cache.get(cacheKey).catch(() => undefined);
    if (cached) return cached as unknown as T;
    const value = await compute();
    await this.cache
      .set(cacheKey, value as unknown as JsonObject, {
        ttl,
      })
      .catch(() => undefined);
    return value;
  }

  /** The scorecard facts of components, from a few grouped queries. */
  private facts(refs: string[]): Promise<Map<string, ScorecardFacts>> {
    const settings = this.config.scorecard;
    const now = this.clock();
    return this.scorecards.facts({
      componentRefs: refs,
      production: [
        ...new Set(
          productionEnvironments(this.config.ladders).map(p => p.environment),
        ),
      ],
      // Whole days, today the last of them, as the metrics kept per day hold.
      from: doraWindow(Math.ceil(settings.windowMs / DAY_MS), now).from,
      now,
      previewGraceMs: settings.previewGraceMs,
    });
  }

  /** Scorecards of catalog entities, from facts read already or read now. */
  private async evaluate(
    entities: Entity[],
    known?: Map<string, ScorecardFacts>,
  ): Promise<Array<{ entity: Entity; ref: string; checks: CheckResult[] }>> {
    const settings = this.config.scorecard;
    const refs = entities.map(e => stringifyEntityRef(e));
    const missing = refs.filter(ref => !known?.has(ref));
    const facts = new Map([
      ...(known ?? []),
      ...(missing.length ? await this.facts(missing) : []),
    ]);
    return entities.map((entity, i) => {
      // An unknown ladder fails required-evidence.
      const resolved = ladderOf(this.config, entity, refs[i]);
      const ladder = resolved.ok ? resolved.ladder : undefined;
      return {
        entity,
        ref: refs[i],
        checks: evaluateScorecard({
          entity,
          ladder,
          facts: facts.get(refs[i])!,
          settings,
        }),
      };
    });
  }

  /** The golden-path scorecard of one component. */
  async scorecard(
    component: string,
    catalog: ComponentCatalog,
  ): Promise<{
    component: string;
    checks: CheckResult[];
    passed: number;
    applicable: number;
  }> {
    const ref = componentRef(component);
    const [entity] = await catalog.byRefs([ref]);
    if (!entity) throw new NotFoundError(`No component ${ref} in the catalog`);
    const [card] = await this.evaluate([entity]);
    const applicable = card.checks.filter(c => c.status !== 'not-applicable');
    return {
      component: ref,
      checks: card.checks,
      passed: applicable.filter(c => c.status === 'pass').length,
      applicable: applicable.length,
    };
  }

  /**
   * Across the organisation (or an owner or system): the share of components
   * passing each check, and per owner the share of their components passing
   * every applicable check, best first.
   */
  async scorecardSummary(
    query: { owner?: string; system?: string },
    catalog: ComponentCatalog,
  ) {
    if (query.owner && query.system) {
      throw new InputError('Give one of owner or system, not both');
    }
    // Organisation-wide, the facts of every component the ledger knows are
    // read while the catalog is paged through, not after.
    const [entities, known] = await Promise.all([
      componentsInScope(catalog, query),
      query.owner || query.system
        ? undefined
        : this.artifacts.componentRefs().then(refs => this.facts(refs)),
    ]);
    const cards = await this.evaluate(entities, known);

    const checks = new Map<
      string,
      { id: string; title: string; passing: number; applicable: number }
    >();
    const owners = new Map<
      string,
      { owner: string; components: number; passingAll: number }
    >();
    for (const card of cards) {
      for (const c of card.checks) {
        const entry = checks.get(c.id) ?? {
          id: c.id,
          title: c.title,
          passing: 0,
          applicable: 0,
        };
        if (c.status !== 'not-applicable') entry.applicable += 1;
        if (c.status === 'pass') entry.passing += 1;
        checks.set(c.id, entry);
      }
      const owner = ownerRef(card.entity) ?? 'unknown';
      const o = owners.get(owner) ?? { owner, components: 0, passingAll: 0 };
      o.components += 1;
      if (card.checks.every(c => c.status !== 'fail')) o.passingAll += 1;
      owners.set(owner, o);
    }
    let scope: DoraMetrics['scope'] = { kind: 'organisation' };
    if (query.owner) scope = { kind: 'owner', ref: query.owner };
    if (query.system) scope = { kind: 'system', ref: query.system };
    return {
      scope,
      components: cards.length,
      checks: [...checks.values()].map(c => ({
        ...c,
        ...(c.applicable > 0 ? { share: c.passing / c.applicable } : {}),
      })),
      owners: [...owners.values()]
        .map(o => ({ ...o, share: o.passingAll / o.components }))
        .sort((a, b) => b.share - a.share || a.owner.localeCompare(b.owner)),
    };
  }
}
