import { CacheService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { EntityLookup } from '../catalog/catalog';
import type { PeopleDirectory } from '../catalog/people';
import type { DeliveryConfig } from '../config/types';
import { IdempotencyStore } from '../database/IdempotencyStore';
import { Ledger } from '../database/Ledger';
import { LiveStateSource } from '../kubernetes/liveState';
import { SigstoreVerifier } from '../supplyChain/SigstoreVerifier';
import { ArtifactService } from './artifacts/ArtifactService';
import { AttestationService } from './artifacts/AttestationService';
import { ComponentResolver } from './components';
import { MetricsService } from './metrics/MetricsService';
import { GateInputs } from './promotions/GateInputs';
import { PromotionService } from './promotions/PromotionService';
import { RolloutService } from './promotions/RolloutService';
import { ComponentsQuery } from './readModels/ComponentsQuery';
import { OverviewQuery } from './readModels/OverviewQuery';
import type { LedgerChanges } from './notifications/LedgerChanges';

/** The ledger's services over one database, sharing one clock. */
export function createLedgerServices(options: {
  knex: Knex;
  config: DeliveryConfig;
  catalog: EntityLookup;
  /** Matches the people CI names to catalog users (separation of duties). */
  people?: PeopleDirectory;
  live?: LiveStateSource;
  cache?: CacheService;
  clock?: () => number;
  /** Sigstore verification over the configured trust (built from config when absent). */
  verifier?: SigstoreVerifier;
  /** Told of every change to the ledger (notifications, signals). */
  changes?: LedgerChanges;
}) {
  const { knex, config, catalog, live, cache } = options;
  const clock = options.clock ?? Date.now;
  const ledger = new Ledger(knex);
  const components = new ComponentResolver(catalog, config);
  const attestations = new AttestationService({
    ledger,
    components,
    verifier: options.verifier ?? new SigstoreVerifier(config.supplyChain),
    settings: config.supplyChain,
    clock,
  });
  const gates = new GateInputs(ledger, attestations, config.imagePolicy, clock);
  return {
    ledger,
    idempotency: new IdempotencyStore(knex),
    components,
    artifacts: new ArtifactService({
      ledger,
      components,
      reporting: config.supplyChain,
      allowHttpUrls: config.allowHttpUrls,
      changes: options.changes,
      clock,
    }),
    attestations,
    promotions: new PromotionService({
      ledger,
      config,
      components,
      gates,
      people: options.people,
      changes: options.changes,
      clock,
    }),
    rollouts: new RolloutService({
      ledger,
      config,
      evidence: attestations,
      changes: options.changes,
      clock,
    }),
    overview: new OverviewQuery({ ledger, config, components, gates, live }),
    componentList: new ComponentsQuery({ ledger, config, clock }),
    metrics: new MetricsService({ knex, config, clock, cache }),
  };
}
