import { InputError } from '@backstage/errors';
import { Knex } from 'knex';
import { MetricsStore } from '../database/MetricsStore';
import { DoraMetrics, doraReport, doraWindow } from '../domain/dora';
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

  async dora(
    query: {
      component?: string;
      owner?: string;
      system?: string;
      days?: number;
    },
    catalog: ComponentCatalog,
  ): Promise<DoraMetrics> {
    const given = (['component', 'owner', 'system'] as const).filter(
      key => query[key],
    );
    if (given.length > 1) {
      throw new InputError(
        `Give one of component, owner or system, not ${given.join(' and ')}`,
      );
    }
    const window = doraWindow(query.days ?? 30, this.clock());
    let scope: DoraMetrics['scope'] = { kind: 'organisation' };
    let componentRefs: string[] | undefined;
    if (query.component) {
      const ref = DeliveryService.componentRef(query.component);
      scope = { kind: 'component', ref };
      componentRefs = [ref];
    } else if (query.owner || query.system) {
      componentRefs = await this.componentsOf(
        { owner: query.owner, system: query.system },
        catalog,
      );
      scope = {
        kind: query.owner ? 'owner' : 'system',
        ref: (query.owner ?? query.system)!,
        components: componentRefs.length,
      };
    }
    const figures = await this.store.dora({
      ...window,
      production: this.production(),
      componentRefs,
    });
    return doraReport(figures, window, scope);
  }
}
