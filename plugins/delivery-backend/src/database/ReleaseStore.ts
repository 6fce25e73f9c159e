import { Knex } from 'knex';
import { Release } from '../domain/types';
import { ReleaseRow } from './rows';
import { num } from './util';

/** What runs where: the current release per component and environment. */
export class ReleaseStore {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async getReleases(componentRef: string): Promise<Release[]> {
    const rows = await this.releases().where('component_ref', componentRef);
    return rows.map(toRelease);
  }

  /** Every current release (one per component and environment). */
  async allReleases(): Promise<Release[]> {
    return (await this.releases()).map(toRelease);
  }

  async releasesOfComponents(componentRefs: string[]): Promise<Release[]> {
    if (componentRefs.length === 0) return [];
    const rows = await this.releases().whereIn('component_ref', [
      ...new Set(componentRefs),
    ]);
    return rows.map(toRelease);
  }

  async releasesOfArtifacts(
    artifactIds: string[],
  ): Promise<Map<string, Release[]>> {
    const result = new Map<string, Release[]>();
    if (artifactIds.length === 0) return result;
    const rows = await this.releases().whereIn('artifact_id', [
      ...new Set(artifactIds),
    ]);
    for (const row of rows) {
      const release = toRelease(row);
      result.set(release.artifactId, [
        ...(result.get(release.artifactId) ?? []),
        release,
      ]);
    }
    return result;
  }

  /** Makes `release` the current release of its component and environment. */
  async setRelease(release: Release): Promise<void> {
    const row = {
      promotion_id: release.promotionId,
      artifact_id: release.artifactId,
      released_at: release.releasedAt,
      released_by: release.releasedBy,
    };
    const updated = await this.releases()
      .where({
        component_ref: release.componentRef,
        environment: release.environment,
      })
      .update(row);
    if (updated === 0) {
      await this.releases().insert({
        component_ref: release.componentRef,
        environment: release.environment,
        ...row,
      });
    }
  }

  private releases() {
    return this.db<ReleaseRow>('delivery_releases');
  }
}

function toRelease(r: ReleaseRow): Release {
  return {
    componentRef: r.component_ref,
    environment: r.environment,
    promotionId: r.promotion_id,
    artifactId: r.artifact_id,
    releasedAt: num(r.released_at),
    releasedBy: r.released_by,
  };
}
