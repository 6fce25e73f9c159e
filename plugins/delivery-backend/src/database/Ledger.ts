import { Knex } from 'knex';
import { ArtifactStore } from './ArtifactStore';
import { ComparisonStore } from './ComparisonStore';
import { DeploymentStore } from './DeploymentStore';
import { EvidenceStore } from './EvidenceStore';
import { PromotionStore } from './PromotionStore';
import { ReleaseStore } from './ReleaseStore';

/**
 * The ledger's stores over one connection, and the unit of work that binds
 * them to one transaction when a change spans aggregates (a quarantine that
 * aborts promotions, a promotion that becomes a release, an execution step
 * that moves its promotion on).
 */
export class Ledger {
  readonly artifacts: ArtifactStore;
  readonly evidence: EvidenceStore;
  readonly promotions: PromotionStore;
  readonly releases: ReleaseStore;
  readonly deployments: DeploymentStore;
  readonly comparisons: ComparisonStore;

  constructor(private readonly db: Knex | Knex.Transaction) {
    this.artifacts = new ArtifactStore(db);
    this.evidence = new EvidenceStore(db);
    this.promotions = new PromotionStore(db);
    this.releases = new ReleaseStore(db);
    this.deployments = new DeploymentStore(db);
    this.comparisons = new ComparisonStore(db);
  }

  /** Runs `fn` in a transaction, with stores bound to it. */
  async transaction<T>(fn: (tx: Ledger) => Promise<T>): Promise<T> {
    return this.db.transaction(trx => fn(new Ledger(trx)));
  }
}
