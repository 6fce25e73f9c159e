/*
 * Attestations: evidence the portal verified from a Sigstore bundle. The
 * verified facts (signer, subjects, provenance, transparency-log entry) are
 * stored with the evidence, and the bundle itself is kept, size-limited, so
 * that gates can verify it again against the trust and policy in force when a
 * promotion is requested. The same bundle is recorded once per artifact.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('delivery_evidence', table => {
    table
      .text('verification')
      .nullable()
      .comment(
        'JSON: the facts verified from the bundle (verified evidence only)',
      );
    // mediumtext: MySQL's text holds 64 KiB, bundles may be larger.
    table
      .text('bundle', 'mediumtext')
      .nullable()
      .comment('The Sigstore bundle as received (JSON)');
    table
      .text('signed_payload', 'mediumtext')
      .nullable()
      .comment('Base64 of the bytes a message signature signs');
    table
      .string('bundle_digest', 71)
      .nullable()
      .comment('sha256 of the bundle as received');
    table.unique(['artifact_id', 'bundle_digest'], {
      indexName: 'delivery_evidence_bundle_uq',
    });
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('delivery_evidence', table => {
    table.dropUnique(
      ['artifact_id', 'bundle_digest'],
      'delivery_evidence_bundle_uq',
    );
    table.dropColumns(
      'verification',
      'bundle',
      'signed_payload',
      'bundle_digest',
    );
  });
};
