/*
 * The delivery ledger. Times are epoch milliseconds (bigint), which compare,
 * sort and subtract the same way on SQLite, PostgreSQL and MySQL.
 *
 * "active_lock" columns hold 'Y' while a row is active and NULL otherwise; a
 * unique index over them allows any number of inactive rows but only one active
 * one (NULLs never collide in a unique index on any of the three engines).
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_artifacts', table => {
    table.comment('Immutable builds: one per component and image digest');
    table.string('id', 36).primary();
    table.string('component_ref', 255).notNullable();
    table.string('digest', 71).notNullable().comment('sha256:<64 hex>');
    table.string('image_repository', 255).notNullable();
    table.string('commit_sha', 64).notNullable();
    table.bigInteger('commit_time').nullable();
    table.string('branch', 255).nullable();
    table.string('build_id', 255).nullable();
    table.text('build_url').nullable();
    table.bigInteger('size_bytes').nullable();
    table.string('base_image', 512).nullable();
    table.string('created_by', 255).notNullable();
    table.bigInteger('created_at').notNullable();
    table.unique(['component_ref', 'digest'], {
      indexName: 'delivery_artifacts_component_digest_uq',
    });
    table.index(
      ['component_ref', 'created_at', 'id'],
      'delivery_artifacts_component_created_idx',
    );
    table.index(['created_at', 'id'], 'delivery_artifacts_created_idx');
  });

  await knex.schema.createTable('delivery_artifact_tags', table => {
    table.comment('Tags are aliases of one artifact and never move');
    table.string('component_ref', 255).notNullable();
    table.string('tag', 128).notNullable();
    table
      .string('artifact_id', 36)
      .notNullable()
      .references('id')
      .inTable('delivery_artifacts');
    table.string('created_by', 255).notNullable();
    table.bigInteger('created_at').notNullable();
    table.primary(['component_ref', 'tag']);
    table.index(['artifact_id'], 'delivery_artifact_tags_artifact_idx');
  });

  await knex.schema.createTable('delivery_evidence', table => {
    table.comment('Append-only results attached to artifacts');
    table.bigIncrements('id').primary();
    table
      .string('artifact_id', 36)
      .notNullable()
      .references('id')
      .inTable('delivery_artifacts');
    table.string('kind', 40).notNullable();
    table.string('result', 16).notNullable();
    table.string('status', 16).notNullable();
    table.text('summary').nullable().comment('JSON: tests, vulnerabilities');
    table.text('url').nullable();
    table.string('reported_by', 255).notNullable();
    table.bigInteger('reported_at').notNullable();
    table.index(
      ['artifact_id', 'kind', 'id'],
      'delivery_evidence_artifact_kind_idx',
    );
  });

  await knex.schema.createTable('delivery_quarantines', table => {
    table.bigIncrements('id').primary();
    table
      .string('artifact_id', 36)
      .notNullable()
      .references('id')
      .inTable('delivery_artifacts');
    table.text('reason').notNullable();
    table.string('quarantined_by', 255).notNullable();
    table.bigInteger('quarantined_at').notNullable();
    table.text('lift_reason').nullable();
    table.string('lifted_by', 255).nullable();
    table.bigInteger('lifted_at').nullable();
    table.string('active_lock', 1).nullable();
    table.unique(['artifact_id', 'active_lock'], {
      indexName: 'delivery_quarantines_active_uq',
    });
  });

  await knex.schema.createTable('delivery_promotions', table => {
    table.comment('Requests to put one artifact into one environment');
    table.string('id', 36).primary();
    table.string('component_ref', 255).notNullable();
    table.string('environment', 63).notNullable();
    table.string('ladder', 63).notNullable();
    table
      .string('artifact_id', 36)
      .notNullable()
      .references('id')
      .inTable('delivery_artifacts');
    table.string('kind', 16).notNullable();
    table.string('state', 24).notNullable();
    table.string('requested_by', 255).notNullable();
    table.text('reason').nullable();
    table.text('gates').notNullable().comment('JSON: every gate verdict');
    table.integer('required_approvals').notNullable();
    table.string('replaces_promotion_id', 36).nullable();
    table.text('outcome').nullable().comment('why it ended as it did');
    table.string('active_lock', 1).nullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.bigInteger('completed_at').nullable();
    table.unique(['component_ref', 'environment', 'active_lock'], {
      indexName: 'delivery_promotions_active_uq',
    });
    table.index(
      ['component_ref', 'environment', 'created_at', 'id'],
      'delivery_promotions_component_env_idx',
    );
    table.index(
      ['component_ref', 'created_at', 'id'],
      'delivery_promotions_component_idx',
    );
    table.index(
      ['environment', 'state', 'created_at'],
      'delivery_promotions_env_state_idx',
    );
    table.index(['state', 'updated_at'], 'delivery_promotions_state_idx');
    table.index(['artifact_id'], 'delivery_promotions_artifact_idx');
    table.index(['created_at', 'id'], 'delivery_promotions_created_idx');
  });

  await knex.schema.createTable('delivery_approvals', table => {
    table.bigIncrements('id').primary();
    table
      .string('promotion_id', 36)
      .notNullable()
      .references('id')
      .inTable('delivery_promotions');
    table.string('approver_ref', 255).notNullable();
    table.string('decision', 16).notNullable();
    table.text('comment').nullable();
    table.bigInteger('created_at').notNullable();
    table.unique(['promotion_id', 'approver_ref'], {
      indexName: 'delivery_approvals_promotion_approver_uq',
    });
  });

  await knex.schema.createTable('delivery_rollout_events', table => {
    table.bigIncrements('id').primary();
    table
      .string('promotion_id', 36)
      .notNullable()
      .references('id')
      .inTable('delivery_promotions');
    table.string('type', 16).notNullable();
    table.text('metrics').nullable().comment('JSON');
    table.text('message').nullable();
    table.string('reported_by', 255).notNullable();
    table.bigInteger('created_at').notNullable();
    table.index(
      ['promotion_id', 'id'],
      'delivery_rollout_events_promotion_idx',
    );
  });

  await knex.schema.createTable('delivery_releases', table => {
    table.comment(
      'What runs in each environment: its last succeeded promotion',
    );
    table.string('component_ref', 255).notNullable();
    table.string('environment', 63).notNullable();
    table
      .string('promotion_id', 36)
      .notNullable()
      .references('id')
      .inTable('delivery_promotions');
    table
      .string('artifact_id', 36)
      .notNullable()
      .references('id')
      .inTable('delivery_artifacts');
    table.bigInteger('released_at').notNullable();
    table.string('released_by', 255).notNullable();
    table.primary(['component_ref', 'environment']);
    table.index(['artifact_id'], 'delivery_releases_artifact_idx');
    table.index(['environment', 'released_at'], 'delivery_releases_env_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_releases');
  await knex.schema.dropTable('delivery_rollout_events');
  await knex.schema.dropTable('delivery_approvals');
  await knex.schema.dropTable('delivery_promotions');
  await knex.schema.dropTable('delivery_quarantines');
  await knex.schema.dropTable('delivery_evidence');
  await knex.schema.dropTable('delivery_artifact_tags');
  await knex.schema.dropTable('delivery_artifacts');
};
