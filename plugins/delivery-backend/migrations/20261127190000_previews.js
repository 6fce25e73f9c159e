/*
 * Preview namespaces. A live preview holds one of its component's slots
 * (1..maxPerComponent); the unique index over (component_ref, slot) keeps
 * the limit under concurrent requests on every engine. Deleted and failed
 * previews give their slot back (NULL).
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_previews', table => {
    table.comment('Ephemeral namespaces for pull requests and branches');
    table.string('id', 36).primary();
    table.string('component_ref', 255).notNullable();
    table.string('cluster', 63).notNullable();
    table.string('namespace', 63).notNullable();
    table.integer('pull_request').nullable();
    table.string('branch', 255).nullable();
    table
      .string('artifact_id', 36)
      .nullable()
      .references('id')
      .inTable('delivery_artifacts');
    table.string('state', 16).notNullable();
    table.text('reason').nullable();
    table.string('requested_by', 255).notNullable();
    table.integer('slot').nullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.bigInteger('expires_at').notNullable();
    table.bigInteger('deleted_at').nullable();
    table.unique(['cluster', 'namespace'], {
      indexName: 'delivery_previews_namespace_uq',
    });
    table.unique(['component_ref', 'slot'], {
      indexName: 'delivery_previews_slot_uq',
    });
    table.index(
      ['component_ref', 'created_at'],
      'delivery_previews_component_idx',
    );
    table.index(['state', 'expires_at'], 'delivery_previews_state_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_previews');
};
