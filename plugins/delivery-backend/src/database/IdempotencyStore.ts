import { Knex } from 'knex';
import { insertUnique, num } from './util';

const TABLE = 'delivery_idempotency_keys';

/** What a claim on an idempotency key found. */
export type Claim =
  /** The key is new (or its earlier claim was abandoned): run the request. */
  | { kind: 'run' }
  /** The key has an answer: give it again. */
  | { kind: 'replay'; status: number; body: unknown }
  /** The key was used with another request body. */
  | { kind: 'mismatch' }
  /** The same request is running elsewhere right now. */
  | { kind: 'running' };

/** Answers to mutating requests by idempotency key (see the migration). */
export class IdempotencyStore {
  constructor(private readonly db: Knex) {}

  /**
   * Claims a key for a request: inserts a pending claim, or says what the
   * key already holds. A pending claim older than `leaseMs` is taken over.
   */
  async claim(input: {
    keyHash: string;
    requestHash: string;
    now: number;
    leaseMs: number;
    ttlMs: number;
  }): Promise<Claim> {
    const { keyHash, requestHash, now } = input;
    const row = {
      key_hash: keyHash,
      request_hash: requestHash,
      state: 'pending',
      status: null,
      response: null,
      created_at: now,
      expires_at: now + input.ttlMs,
    };
    if (await insertUnique(this.db, TABLE, row)) return { kind: 'run' };
    const existing = await this.db(TABLE).where('key_hash', keyHash).first();
    if (!existing) {
      // Purged between the two statements: claim it again.
      return (await insertUnique(this.db, TABLE, row))
        ? { kind: 'run' }
        : { kind: 'running' };
    }
    if (existing.request_hash !== requestHash) return { kind: 'mismatch' };
    if (existing.state === 'done') {
      return {
        kind: 'replay',
        status: num(existing.status),
        body:
          existing.response === null
            ? undefined
            : JSON.parse(existing.response),
      };
    }
    if (num(existing.created_at) + input.leaseMs > now) {
      return { kind: 'running' };
    }
    // Abandoned (its replica died mid-request): take it over, once.
    const taken = await this.db(TABLE)
      .where({
        key_hash: keyHash,
        state: 'pending',
        created_at: existing.created_at,
      })
      .update({ created_at: now, expires_at: now + input.ttlMs });
    return taken === 1 ? { kind: 'run' } : { kind: 'running' };
  }

  /** Keeps the answer of a claimed key. */
  async complete(keyHash: string, status: number, body: unknown) {
    await this.db(TABLE)
      .where({ key_hash: keyHash, state: 'pending' })
      .update({
        state: 'done',
        status,
        response: body === undefined ? null : JSON.stringify(body),
      });
  }

  /** Lets a key go (the request failed on the server: a retry may run it). */
  async release(keyHash: string) {
    await this.db(TABLE)
      .where({ key_hash: keyHash, state: 'pending' })
      .delete();
  }

  /** Forgets keys past their expiry; returns how many. */
  async purge(now: number): Promise<number> {
    return this.db(TABLE).where('expires_at', '<', now).delete();
  }
}
