/*
 * Go-live time.
 *
 * A production change goes live at its `succeeded` event. `completed_at` is
 * when the promotion last changed state, which a rollback overwrites; lead
 * time, deployment frequency, restore times and release comparisons count
 * from `went_live_at`, which nothing overwrites. Existing promotions get it
 * from their first `succeeded` rollout event, or, where there is none (a
 * ledger written before rollout events), their `completed_at`.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('delivery_promotions', table => {
    table
      .bigInteger('went_live_at')
      .nullable()
      .comment('When it went live: its succeeded event (epoch ms)');
    table.index(['went_live_at'], 'delivery_promotions_went_live_idx');
  });
  await knex('delivery_promotions')
    .whereIn('state', ['succeeded', 'rolled-back'])
    .update({
      went_live_at: knex.raw(
        `COALESCE((
           SELECT MIN(e.created_at) FROM delivery_rollout_events e
           WHERE e.promotion_id = delivery_promotions.id AND e.type = 'succeeded'
         ), completed_at)`,
      ),
    });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('delivery_promotions', table => {
    table.dropIndex([], 'delivery_promotions_went_live_idx');
    table.dropColumn('went_live_at');
  });
};
