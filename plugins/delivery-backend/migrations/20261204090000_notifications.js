/*
 * Notifications.
 *
 * A preview's requester is warned once before it expires: the expiry the
 * warning was sent for is kept, so an extended preview (a new expiry) is
 * warned about again, and two replicas never both warn (conditional update).
 *
 * Drift: what each environment runs when it is not its release, since when,
 * and whether the owner was told (once per drift: a new set of running
 * digests is a new drift).
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('delivery_previews', table => {
    table
      .bigInteger('expiry_warned_for')
      .nullable()
      .comment('The expires_at its requester was warned about (epoch ms)');
  });
  await knex.schema.createTable('delivery_drift', table => {
    table.comment('Environments running something other than their release');
    table.string('component_ref', 255).notNullable();
    table.string('environment', 63).notNullable();
    table.primary(['component_ref', 'environment']);
    table
      .text('running')
      .notNullable()
      .comment('The digests running, sorted, comma-separated');
    table
      .bigInteger('since')
      .notNullable()
      .comment('Epoch ms it was first seen');
    table.bigInteger('notified_at').nullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_drift');
  await knex.schema.alterTable('delivery_previews', table => {
    table.dropColumn('expiry_warned_for');
  });
};
