import { Knex } from 'knex';
import { insertUnique, num } from './util';

interface DriftRow {
  component_ref: string;
  environment: string;
  running: string;
  since: number | string;
  notified_at: number | string | null;
}

const TABLE = 'delivery_drift';

/**
 * Drift as seen by the drift watch: one row per component and environment
 * while it runs something other than its release. A different set of
 * running digests starts a new drift; the owner is told once per drift.
 */
export class DriftStore {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * Records that the environment runs `running` (sorted digests); returns
   * since when it has, and whether its owner was told.
   */
  async seen(
    key: { componentRef: string; environment: string },
    running: string[],
    since: number,
  ): Promise<{ since: number; notified: boolean }> {
    const where = {
      component_ref: key.componentRef,
      environment: key.environment,
    };
    const value = running.join(',');
    const row = await this.db<DriftRow>(TABLE).where(where).first();
    if (row && row.running === value) {
      return { since: num(row.since), notified: row.notified_at !== null };
    }
    if (row) {
      await this.db(TABLE)
        .where({ ...where, running: row.running })
        .update({ running: value, since, notified_at: null });
    } else {
      await insertUnique(this.db, TABLE, {
        ...where,
        running: value,
        since,
        notified_at: null,
      });
    }
    const now = (await this.db<DriftRow>(TABLE).where(where).first())!;
    return { since: num(now.since), notified: now.notified_at !== null };
  }

  /** Claims telling the owner of this drift; false if someone did already. */
  async claimNotice(
    key: { componentRef: string; environment: string },
    running: string[],
    at: number,
  ): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where({
        component_ref: key.componentRef,
        environment: key.environment,
        running: running.join(','),
      })
      .whereNull('notified_at')
      .update({ notified_at: at });
    return updated === 1;
  }

  /** The environment runs its release again. */
  async cleared(key: { componentRef: string; environment: string }) {
    await this.db(TABLE)
      .where({ component_ref: key.componentRef, environment: key.environment })
      .delete();
  }
}
