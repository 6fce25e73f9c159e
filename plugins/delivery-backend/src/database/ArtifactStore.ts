import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import { shortDigest } from '../domain/describe';
import { Artifact, ArtifactInput, Quarantine } from '../domain/types';
import { ArtifactRow, ArtifactTagRow, QuarantineRow } from './rows';
import {
  insertUnique,
  keysetQuery,
  keysetRows,
  num,
  opt,
  optNum,
  rawRows,
  Page,
} from './util';

/** Fields compared when the same artifact is recorded again. */
const ARTIFACT_FIELDS: Array<keyof ArtifactInput> = [
  'imageRepository',
  'commitSha',
  'commitTime',
  'branch',
  'buildId',
  'buildUrl',
  'sizeBytes',
  'baseImage',
];

/** The value of `active_lock` on the one active row (null otherwise). */
export const ACTIVE = 'Y';

/**
 * The artifact aggregate: immutable builds with their tags and quarantines
 * (at most one active per artifact, by schema). Evidence is in EvidenceStore.
 */
export class ArtifactStore {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * Records an artifact and its tags. Recording the same artifact again is
   * idempotent (and may add tags); a different payload for the same digest,
   * or a tag that points to another digest, is a ConflictError and writes
   * nothing.
   */
  async recordArtifact(
    input: ArtifactInput & { id: string },
    createdBy: string,
    now: number,
  ): Promise<{ artifact: Artifact; created: boolean }> {
    return this.db.transaction(async trx => {
      const tx = new ArtifactStore(trx);
      let created = false;
      let existing = await tx.getArtifactByDigest(
        input.componentRef,
        input.digest,
      );
      if (!existing) {
        created = await insertUnique(trx, 'delivery_artifacts', {
          id: input.id,
          component_ref: input.componentRef,
          digest: input.digest,
          image_repository: input.imageRepository,
          commit_sha: input.commitSha,
          commit_time: input.commitTime ?? null,
          branch: input.branch ?? null,
          build_id: input.buildId ?? null,
          build_url: input.buildUrl ?? null,
          size_bytes: input.sizeBytes ?? null,
          base_image: input.baseImage ?? null,
          commit_author_email: input.commitAuthorEmail ?? null,
          commit_author_login: input.commitAuthorLogin ?? null,
          triggered_by: input.triggeredBy ?? null,
          created_by: createdBy,
          created_at: now,
        });
        existing = await tx.getArtifactByDigest(
          input.componentRef,
          input.digest,
        );
      }
      if (!existing) {
        throw new Error(`Artifact ${input.digest} vanished while recording it`);
      }
      if (!created) {
        for (const field of ARTIFACT_FIELDS) {
          if ((existing[field] ?? null) !== (input[field] ?? null)) {
            throw new ConflictError(
              `${shortDigest(input.digest)} is already recorded for ${
                input.componentRef
              } with ${field} ${JSON.stringify(
                existing[field] ?? null,
              )}, not ${JSON.stringify(
                input[field] ?? null,
              )}; an artifact never changes, so record the new build under its own digest`,
            );
          }
        }
      }
      await tx.addTags(existing, input.tags, createdBy, now);
      const artifact = (await tx.getArtifact(existing.id))!;
      return { artifact, created };
    });
  }

  /** Adds tags to an artifact; a tag that names another artifact is refused. */
  private async addTags(
    artifact: Artifact,
    tags: string[],
    createdBy: string,
    now: number,
  ) {
    const rows = await this.db<ArtifactTagRow>('delivery_artifact_tags')
      .where('component_ref', artifact.componentRef)
      .whereIn('tag', tags);
    for (const tag of rows) {
      if (tag.artifact_id !== artifact.id) {
        const other = await this.getArtifact(tag.artifact_id);
        throw new ConflictError(
          `Tag ${tag.tag} of ${
            artifact.componentRef
          } already points to ${shortDigest(
            other?.digest ?? tag.artifact_id,
          )}; tags never move to another digest`,
        );
      }
    }
    const known = new Set(rows.map(t => t.tag));
    for (const tag of tags.filter(t => !known.has(t))) {
      const inserted = await insertUnique(this.db, 'delivery_artifact_tags', {
        component_ref: artifact.componentRef,
        tag,
        artifact_id: artifact.id,
        created_by: createdBy,
        created_at: now,
      });
      if (!inserted) {
        throw new ConflictError(
          `Tag ${tag} of ${artifact.componentRef} was just given to another artifact; tags never move`,
        );
      }
    }
  }

  async getArtifact(id: string): Promise<Artifact | undefined> {
    const row = await this.db<ArtifactRow>('delivery_artifacts')
      .where({ id })
      .first();
    return row ? (await this.withTags([row]))[0] : undefined;
  }

  /** The component an artifact was built for, if the artifact exists. */
  async componentOf(id: string): Promise<string | undefined> {
    const row = await this.db('delivery_artifacts')
      .where({ id })
      .first('component_ref');
    return row ? String(row.component_ref) : undefined;
  }

  async getArtifactByDigest(
    componentRef: string,
    digest: string,
  ): Promise<Artifact | undefined> {
    const row = await this.db<ArtifactRow>('delivery_artifacts')
      .where({ component_ref: componentRef, digest })
      .first();
    return row ? (await this.withTags([row]))[0] : undefined;
  }

  async getArtifacts(ids: string[]): Promise<Map<string, Artifact>> {
    if (ids.length === 0) return new Map();
    const unique = [...new Set(ids)];
    // The tags are read by id alongside, not after, the rows.
    const [rows, tags] = await Promise.all([
      this.db<ArtifactRow>('delivery_artifacts').whereIn('id', unique),
      this.tagsOf(unique),
    ]);
    return new Map(withTagRows(rows, tags).map(a => [a.id, a]));
  }

  /**
   * Every component with a build in the ledger: one index probe per
   * component (a recursive walk of the component index) rather than a scan
   * of every build.
   */
  async componentRefs(): Promise<string[]> {
    const rows = await rawRows(
      this.db,
      `WITH RECURSIVE refs (ref) AS (
         SELECT MIN(component_ref) FROM delivery_artifacts
         UNION ALL
         SELECT (SELECT MIN(component_ref) FROM delivery_artifacts
                 WHERE component_ref > refs.ref)
         FROM refs WHERE refs.ref IS NOT NULL
       )
       SELECT ref FROM refs WHERE ref IS NOT NULL`,
      [],
    );
    return rows.map(r => String(r.ref));
  }

  /** Artifacts of a component, newest first. */
  async listArtifacts(options: {
    componentRef: string;
    limit: number;
    cursor?: string;
  }): Promise<Page<Artifact>> {
    const query = keysetQuery(
      this.db<ArtifactRow>('delivery_artifacts').where(
        'component_ref',
        options.componentRef,
      ),
      options,
    );
    // The page's tags in the same round trip: by the page's ids, as a
    // derived table (MySQL allows no LIMIT inside IN).
    const [rows, tags] = await Promise.all([
      query.clone(),
      this.tagsOf(
        this.db
          .select('id')
          .from(query.clone().clearSelect().select('id').as('page')),
      ),
    ]);
    const page = keysetRows<ArtifactRow, ArtifactRow>(
      rows,
      options.limit,
      row => row,
    );
    return {
      items: withTagRows(page.items, tags),
      nextCursor: page.nextCursor,
    };
  }

  /** The newest artifacts of a component. */
  async newestArtifacts(
    componentRef: string,
    limit: number,
  ): Promise<Artifact[]> {
    const rows = await this.db<ArtifactRow>('delivery_artifacts')
      .where('component_ref', componentRef)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return this.withTags(rows);
  }

  private async withTags(rows: ArtifactRow[]): Promise<Artifact[]> {
    if (rows.length === 0) return [];
    return withTagRows(rows, await this.tagsOf(rows.map(r => r.id)));
  }

  private tagsOf(
    artifactIds: string[] | Knex.QueryBuilder,
  ): Promise<ArtifactTagRow[]> {
    return this.db<ArtifactTagRow>('delivery_artifact_tags')
      .whereIn('artifact_id', artifactIds)
      .orderBy([
        { column: 'created_at', order: 'asc' },
        { column: 'tag', order: 'asc' },
      ]);
  }

  /** Whether the ledger holds anything at all. */
  async isEmpty(): Promise<boolean> {
    const row = await this.db('delivery_artifacts').select('id').first();
    return !row;
  }

  // Quarantines

  /** Quarantines an artifact; false if it already is. */
  async quarantine(
    artifactId: string,
    reason: string,
    by: string,
    now: number,
  ): Promise<boolean> {
    return insertUnique(this.db, 'delivery_quarantines', {
      artifact_id: artifactId,
      reason,
      quarantined_by: by,
      quarantined_at: now,
      active_lock: ACTIVE,
    });
  }

  /** Lifts the active quarantine of an artifact; false if there is none. */
  async liftQuarantine(
    artifactId: string,
    reason: string,
    by: string,
    now: number,
  ): Promise<boolean> {
    const updated = await this.db('delivery_quarantines')
      .where({ artifact_id: artifactId, active_lock: ACTIVE })
      .update({
        active_lock: null,
        lift_reason: reason,
        lifted_by: by,
        lifted_at: now,
      });
    return updated === 1;
  }

  async activeQuarantines(
    artifactIds: string[],
  ): Promise<Map<string, Quarantine>> {
    if (artifactIds.length === 0) return new Map();
    const rows = await this.db<QuarantineRow>('delivery_quarantines')
      .whereIn('artifact_id', [...new Set(artifactIds)])
      .where('active_lock', ACTIVE);
    return new Map(rows.map(r => [r.artifact_id, toQuarantine(r)]));
  }

  async listQuarantines(artifactId: string): Promise<Quarantine[]> {
    const rows = await this.db<QuarantineRow>('delivery_quarantines')
      .where('artifact_id', artifactId)
      .orderBy('id', 'asc');
    return rows.map(toQuarantine);
  }
}

function toArtifact(r: ArtifactRow, tags: string[]): Artifact {
  return {
    id: r.id,
    componentRef: r.component_ref,
    digest: r.digest,
    imageRepository: r.image_repository,
    tags,
    commitSha: r.commit_sha,
    commitTime: optNum(r.commit_time),
    branch: opt(r.branch),
    buildId: opt(r.build_id),
    buildUrl: opt(r.build_url),
    sizeBytes: optNum(r.size_bytes),
    baseImage: opt(r.base_image),
    commitAuthorEmail: opt(r.commit_author_email),
    commitAuthorLogin: opt(r.commit_author_login),
    triggeredBy: opt(r.triggered_by),
    createdBy: r.created_by,
    createdAt: num(r.created_at),
  };
}

function toQuarantine(r: QuarantineRow): Quarantine {
  return {
    id: num(r.id),
    artifactId: r.artifact_id,
    reason: r.reason,
    quarantinedBy: r.quarantined_by,
    quarantinedAt: num(r.quarantined_at),
    liftReason: opt(r.lift_reason),
    liftedBy: opt(r.lifted_by),
    liftedAt: optNum(r.lifted_at),
  };
}

function withTagRows(rows: ArtifactRow[], tags: ArtifactTagRow[]): Artifact[] {
  const byArtifact = new Map<string, string[]>();
  for (const t of tags) {
    byArtifact.set(t.artifact_id, [
      ...(byArtifact.get(t.artifact_id) ?? []),
      t.tag,
    ]);
  }
  return rows.map(r => toArtifact(r, byArtifact.get(r.id) ?? []));
}
