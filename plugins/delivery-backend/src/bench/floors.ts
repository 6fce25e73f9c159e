/*
 * The floors of `make bench`: the raw, indexed SQL a route needs to read
 * what it shows, in as few round trips as its data allows, with no HTTP,
 * authentication, permission or catalog work around it.
 */
import { Knex } from 'knex';
import { BENCH_ENVIRONMENTS } from './seed';

/** Evidence of the artifacts: the newest row of each kind. */
function latestEvidence(knex: Knex, artifactIds: string[]) {
  if (artifactIds.length === 0) return Promise.resolve([]);
  return knex.raw(
    `SELECT DISTINCT ON (artifact_id, kind) *
     FROM delivery_evidence
     WHERE artifact_id IN (${artifactIds.map(() => '?').join(', ')})
     ORDER BY artifact_id, kind, id DESC`,
    artifactIds,
  );
}

/** The overview: releases, active promotions, newest build and known-good releases; then their artifacts and evidence. */
export async function overviewFloor(knex: Knex, componentRef: string) {
  const [releases, active, newest, knownGood] = await Promise.all([
    knex('delivery_releases').where('component_ref', componentRef),
    knex('delivery_promotions').where({
      component_ref: componentRef,
      active_lock: 'Y',
    }),
    knex('delivery_artifacts')
      .where('component_ref', componentRef)
      .orderBy('created_at', 'desc')
      .limit(1),
    knex.raw(
      BENCH_ENVIRONMENTS.map(
        () =>
          `(SELECT * FROM delivery_promotions
            WHERE component_ref = ? AND environment = ? AND state = 'succeeded'
            ORDER BY created_at DESC LIMIT 20)`,
      ).join(' UNION ALL '),
      BENCH_ENVIRONMENTS.flatMap(env => [componentRef, env]),
    ),
  ]);
  const artifactIds = [
    ...new Set<string>([
      ...releases.map((r: { artifact_id: string }) => r.artifact_id),
      ...active.map((p: { artifact_id: string }) => p.artifact_id),
      ...newest.map((a: { id: string }) => a.id),
      ...knownGood.rows.map((p: { artifact_id: string }) => p.artifact_id),
    ]),
  ];
  await Promise.all([
    knex('delivery_artifacts').whereIn('id', artifactIds),
    knex('delivery_artifact_tags').whereIn('artifact_id', artifactIds),
    latestEvidence(knex, artifactIds),
  ]);
}

/** A page of 20 artifacts, their tags, evidence and releases. */
export async function artifactListFloor(knex: Knex, componentRef: string) {
  const page = await knex('delivery_artifacts')
    .where('component_ref', componentRef)
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(21);
  const ids = page.map((a: { id: string }) => a.id);
  await Promise.all([
    knex('delivery_artifact_tags').whereIn('artifact_id', ids),
    latestEvidence(knex, ids),
    knex('delivery_releases').whereIn('artifact_id', ids),
  ]);
}
