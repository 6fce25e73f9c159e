/*
 * Idempotency keys.
 *
 * A mutating request that carries an `Idempotency-Key` header is remembered
 * for a day under that key (hashed with the caller, the method and the path):
 * a retry with the same key gets the first answer back and writes nothing. A
 * key is claimed (`pending`) before the request runs, so that two replicas
 * given the same key at once run it once; a pending claim older than its
 * lease (a replica that died mid-request) may be taken over.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_idempotency_keys', table => {
    table.comment('Answers to mutating requests, by idempotency key');
    table
      .string('key_hash', 64)
      .primary()
      .comment('sha256 of caller, method, path and Idempotency-Key');
    table
      .string('request_hash', 64)
      .notNullable()
      .comment(
        'sha256 of the request body: the same key with another body is refused',
      );
    table.string('state', 16).notNullable().comment('pending or done');
    table.integer('status').nullable();
    table.text('response').nullable().comment('JSON body of the first answer');
    table.bigInteger('created_at').notNullable();
    table.bigInteger('expires_at').notNullable();
    table.index(['expires_at'], 'delivery_idempotency_keys_expires_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_idempotency_keys');
};
