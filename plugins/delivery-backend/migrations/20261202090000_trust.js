/*
 * Trust.
 *
 * Separation of duties with people behind CI: a build and a promotion record
 * the people CI names (commit author by e-mail or GitHub login, the actor who
 * pushed or started the run); a promotion keeps the catalog users they
 * matched and their teams when it was requested, and each approval whether
 * its approver was outside that committing team.
 *
 * Previews: one live preview per component and pull request or branch, by
 * schema. `live_target` is set while a preview is provisioning or ready and
 * cleared when it leaves those states, so the unique index holds only among
 * live previews.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('delivery_artifacts', table => {
    table
      .string('commit_author_email', 255)
      .nullable()
      .comment('E-mail of the commit author, as CI reported it');
    table
      .string('commit_author_login', 100)
      .nullable()
      .comment('GitHub login of the commit author, as CI reported it');
    table
      .string('triggered_by', 100)
      .nullable()
      .comment('GitHub login of who pushed or started the build run');
  });
  await knex.schema.alterTable('delivery_promotions', table => {
    table
      .string('triggered_by', 100)
      .nullable()
      .comment('GitHub login of who started the run that requested it');
    table
      .text('people')
      .nullable()
      .comment(
        'JSON: catalog users behind the change (requester, trigger, commit author)',
      );
    table
      .text('committing_teams')
      .nullable()
      .comment('JSON: the groups of the people behind the change');
  });
  await knex.schema.alterTable('delivery_approvals', table => {
    table
      .boolean('outside_committing_team')
      .nullable()
      .comment('Whether the approver was on none of the committing teams');
  });
  await knex.schema.alterTable('delivery_previews', table => {
    table
      .string('live_target', 300)
      .nullable()
      .comment('pr:<n> or branch:<name> while provisioning or ready');
  });

  // Backfill the live previews, newest first; an older duplicate (none are
  // expected) keeps no key rather than failing the migration.
  const live = await knex('delivery_previews')
    .whereIn('state', ['provisioning', 'ready'])
    .orderBy('created_at', 'desc')
    .select('id', 'component_ref', 'pull_request', 'branch');
  const seen = new Set();
  for (const row of live) {
    const target =
      row.pull_request !== null && row.pull_request !== undefined
        ? `pr:${row.pull_request}`
        : `branch:${row.branch ?? ''}`;
    const key = `${row.component_ref} ${target}`;
    if (seen.has(key)) continue;
    seen.add(key);
    await knex('delivery_previews')
      .where('id', row.id)
      .update({ live_target: target });
  }

  await knex.schema.alterTable('delivery_previews', table => {
    table.unique(['component_ref', 'live_target'], {
      indexName: 'delivery_previews_live_target_uq',
    });
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('delivery_previews', table => {
    table.dropUnique(
      ['component_ref', 'live_target'],
      'delivery_previews_live_target_uq',
    );
    table.dropColumn('live_target');
  });
  await knex.schema.alterTable('delivery_approvals', table => {
    table.dropColumn('outside_committing_team');
  });
  await knex.schema.alterTable('delivery_promotions', table => {
    table.dropColumn('committing_teams');
    table.dropColumn('people');
    table.dropColumn('triggered_by');
  });
  await knex.schema.alterTable('delivery_artifacts', table => {
    table.dropColumn('triggered_by');
    table.dropColumn('commit_author_login');
    table.dropColumn('commit_author_email');
  });
};
