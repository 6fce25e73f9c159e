/*
 * Deployments: the execution of an approved promotion by its environment's
 * executor (kubernetes, gitops, github-actions). One row per promotion, claimed
 * by one replica at a time with a lease (claimed_by, lease_expires_at), and
 * the steps it took, append-only, for the UI and the audit trail.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_deployments', table => {
    table.comment('The execution of one promotion by its executor');
    table
      .string('promotion_id', 36)
      .primary()
      .references('id')
      .inTable('delivery_promotions')
      .onDelete('CASCADE');
    table.string('component_ref', 255).notNullable();
    table.string('environment', 63).notNullable();
    table.string('executor', 32).notNullable();
    table
      .string('phase', 16)
      .notNullable()
      .comment('queued, dispatched, deploying, verifying, reverting, finished');
    table.integer('attempt').notNullable().defaultTo(0);
    table.string('target_digest', 71).notNullable();
    table.string('previous_digest', 71).nullable();
    table
      .text('memo')
      .notNullable()
      .comment('JSON: what the executor remembers');
    table
      .text('progress')
      .nullable()
      .comment('JSON: what it did and waits for');
    table.string('claimed_by', 64).nullable();
    table.bigInteger('lease_expires_at').nullable();
    table.bigInteger('next_run_at').notNullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.bigInteger('finished_at').nullable();
    table.index(['phase', 'next_run_at'], 'delivery_deployments_due_idx');
  });

  await knex.schema.createTable('delivery_deployment_steps', table => {
    table.comment('What each execution did, in order');
    table.bigIncrements('id').primary();
    table
      .string('promotion_id', 36)
      .notNullable()
      .references('promotion_id')
      .inTable('delivery_deployments')
      .onDelete('CASCADE');
    table.bigInteger('at').notNullable();
    table.string('action', 32).notNullable();
    table.text('message').notNullable();
    table.index(['promotion_id', 'id'], 'delivery_deployment_steps_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_deployment_steps');
  await knex.schema.dropTable('delivery_deployments');
};
