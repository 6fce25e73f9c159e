/*
 * Evidence written under an Idempotency-Key carries the key's hash, unique:
 * the evidence and the proof that its request ran are one row, written in one
 * statement. A retry that runs the request again (its first answer was lost
 * with the database, and the claim on the key lapsed) finds the evidence
 * instead of recording it twice.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('delivery_evidence', table => {
    table
      .string('request_key', 64)
      .nullable()
      .comment('sha256 of the Idempotency-Key it was reported under');
    table.unique(['request_key'], {
      indexName: 'delivery_evidence_request_uq',
    });
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('delivery_evidence', table => {
    table.dropUnique(['request_key'], 'delivery_evidence_request_uq');
    table.dropColumn('request_key');
  });
};
