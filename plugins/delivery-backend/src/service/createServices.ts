import { CacheService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { EntityLookup } from '../catalog/catalog';
import type { DeliveryConfig } from '../config/types';
import { Ledger } from '../database/Ledger';
import { LiveStateSource } from '../kubernetes/liveState';
import { ArtifactService } from './artifacts/ArtifactService';
import { ComponentResolver } from './components';
import { MetricsService } from './metrics/MetricsService';
import { GateInputs } from './promotions/GateInputs';
import { PromotionService } from './promotions/PromotionService';
import { RolloutService } from './promotions/RolloutService';
import { ComponentsQuery } from './readModels/ComponentsQuery';
import { OverviewQuery } from './readModels/OverviewQuery';

/** The ledger's services over one database, sharing one clock. */
export function createLedgerServices(options: {
  knex: Knex;
  config: DeliveryConfig;
  catalog: EntityLookup;
  live?: LiveStateSource;
  cache?: CacheService;
  clock?: () => number;
}) {
  const { knex, config, catalog, live, cache } = options;
  const clock = options.clock ?? Date.now;
  const ledger = new Ledger(knex);
  const components = new ComponentResolver(catalog, config);
  const gates = new GateInputs(ledger, config.imagePolicy, clock);
  return {
    ledger,
    components,
    artifacts: new ArtifactService({ ledger, components, clock }),
    promotions: new PromotionService({
      ledger,
      config,
      components,
      gates,
      clock,
    }),
    rollouts: new RolloutService({ ledger, config, clock }),
    overview: new OverviewQuery({ ledger, config, components, gates, live }),
    componentList: new ComponentsQuery({ ledger, config, clock }),
    metrics: new MetricsService({ knex, config, clock, cache }),
  };
}
