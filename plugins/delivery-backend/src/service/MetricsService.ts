import { InputError } from '@backstage/errors';
import { Knex } from 'knex';
import { MetricsStore } from '../database/MetricsStore';
import { GATE_NAMES } from '../domain/types';
import {
  DoraMetrics,
  doraReport,
  doraWindow,
  PipelineMetrics,
  pipelineReport,
} from '../domain/dora';
import { ComponentCatalog, DeliveryService } from './DeliveryService';

/** At most this many components in an owner or system scope. */
const MAX_SCOPE_COMPONENTS = 10_000;

/** Delivery metrics for a component, an owner, a system or the organisation. */
export class MetricsService {
  private readonly store: MetricsStore;

  constructor(
    knex: Knex,
    private readonly service: DeliveryService,
    private readonly clock: () => number = Date.now,
  ) {
    this.store = new MetricsStore(knex);
  }

  /** The last environment of every ladder. */
  private production() {
    return this.service.ladders().map(ladder => ({
      ladder: ladder.name,
      environment: ladder.environments[ladder.environments.length - 1].name,
    }));
  }

  /** The delivery components of an owner or system, as the caller sees them. */
  private async componentsOf(
    filter: { owner?: string; system?: string },
    catalog: ComponentCatalog,
  ): Promise<string[]> {
    const refs: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await catalog.query(filter, { limit: 500, cursor });
      for (const entity of page.entities) {
        refs.push(
          DeliveryService.componentRef(
            `component:${entity.metadata.namespace ?? 'default'}/${
              entity.metadata.name
            }`,
          ),
        );
      }
      cursor = page.nextCursor;
    } while (cursor && refs.length < MAX_SCOPE_COMPONENTS);
    return refs;
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
      const ref = DeliveryService.componentRef(query.component);
      return { scope: { kind: 'component', ref }, componentRefs: [ref] };
    }
    if (query.owner || query.system) {
      const componentRefs = await this.componentsOf(
        { owner: query.owner, system: query.system },
        catalog,
      );
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
    query: {
      component?: string;
      owner?: string;
      system?: string;
      days?: number;
    },
    catalog: ComponentCatalog,
  ): Promise<DoraMetrics> {
    const { scope, componentRefs } = await this.scopeOf(query, catalog);
    const window = doraWindow(query.days ?? 30, this.clock());
    const figures = await this.store.dora({
      ...window,
      production: this.production(),
      componentRefs,
    });
    return doraReport(figures, window, scope);
  }

  async pipeline(
    query: {
      component?: string;
      owner?: string;
      system?: string;
      days?: number;
    },
    catalog: ComponentCatalog,
  ): Promise<PipelineMetrics> {
    const { scope, componentRefs } = await this.scopeOf(query, catalog);
    const window = doraWindow(query.days ?? 30, this.clock());
    const figures = await this.store.pipeline({
      from: window.from,
      to: window.to,
      componentRefs,
      gates: GATE_NAMES,
    });
    // Environments in ladder order: the first ladder that names each.
    const order = [
      ...new Set(
        this.service.ladders().flatMap(l => l.environments.map(e => e.name)),
      ),
    ];
    return pipelineReport(figures, window, scope, order);
  }
}
