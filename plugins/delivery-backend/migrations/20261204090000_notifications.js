/*
 * Notifications.
 *
 * A preview's requester is warned once before it expires: the expiry the
 * warning was sent for is kept, so an extended preview (a new expiry) is
 * warned about again, and two replicas never both warn (conditional update).
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
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('delivery_previews', table => {
    table.dropColumn('expiry_warned_for');
  });
};
