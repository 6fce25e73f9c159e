/*
 * Release comparisons.
 *
 * For each release that went live in an environment with analysis queries,
 * the same metrics over a window before and after it went live, as measured
 * by the metrics provider (Prometheus), and whether any got worse. Written
 * once by the comparison task when the window after going live has passed.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_release_comparisons', table => {
    table.comment(
      'Before/after metrics of each release (one row per promotion)',
    );
    table
      .string('promotion_id', 36)
      .primary()
      .references('id')
      .inTable('delivery_promotions')
      .onDelete('CASCADE');
    table.string('component_ref', 255).notNullable();
    table.string('environment', 63).notNullable();
    table.string('digest', 100).notNullable();
    table
      .string('previous_digest', 100)
      .nullable()
      .comment('What ran before: the before window is measured for it');
    table.bigInteger('live_at').notNullable().comment('Epoch ms it went live');
    table.bigInteger('window_ms').notNullable();
    table
      .boolean('worse')
      .notNullable()
      .comment('Whether any metric moved the bad way beyond the tolerance');
    table
      .text('metrics')
      .notNullable()
      .comment('JSON: per query its before and after means and chart points');
    table.bigInteger('computed_at').notNullable();
    table.index(
      ['component_ref', 'live_at'],
      'delivery_comparisons_component_idx',
    );
    table.index(['worse', 'live_at'], 'delivery_comparisons_worse_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_release_comparisons');
};
