import { InputError } from '@backstage/errors';
import { Knex } from 'knex';

/**
 * What every store shares: coercion of raw column values (which differ by
 * engine), unique-violation detection on SQLite, PostgreSQL and MySQL,
 * inserts that may collide, and keyset paging.
 */

/** A page of results, newest first, and the cursor of the next page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** A bigint column: a string on PostgreSQL, a number elsewhere. */
export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/** A nullable bigint column. */
export function optNum(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : num(value);
}

/** A nullable column. */
export function opt<T>(value: T | null | undefined): T | undefined {
  return value === null ? undefined : value;
}

/** A JSON text column (MySQL may give it already parsed). */
export function json<T>(value: unknown): T | undefined {
  if (value === null || value === undefined) return undefined;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** `?, ?, ?` for raw SQL with one binding per value. */
export function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

/** Whether an error is a unique (or primary key) violation, on any engine. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    e?.code === '23505' || // PostgreSQL
    e?.code === 'ER_DUP_ENTRY' || // MySQL, MariaDB
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    /UNIQUE constraint failed/.test(e?.message ?? '')
  );
}

/**
 * Inserts a row in a savepoint, so that a collision leaves the surrounding
 * transaction usable; false if it violated a unique index.
 */
export async function insertUnique(
  db: Knex | Knex.Transaction,
  table: string,
  row: object,
): Promise<boolean> {
  try {
    // Inside a transaction, a savepoint: PostgreSQL aborts a transaction
    // whose statement failed. Outside one, the insert alone.
    if ((db as Knex.Transaction).isTransaction) {
      await db.transaction(async sp => {
        await sp(table).insert(row);
      });
    } else {
      await db(table).insert(row);
    }
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

/** Inserts a row with an auto-increment id and returns the id. */
export async function insertReturningId(
  db: Knex | Knex.Transaction,
  table: string,
  row: object,
): Promise<number> {
  if (clientOf(db) === 'mysql') {
    const [id] = await db(table).insert(row);
    return num(id);
  }
  const [inserted] = await db(table).insert(row).returning('id');
  return num(typeof inserted === 'object' ? inserted.id : inserted);
}

export function clientOf(
  db: Knex | Knex.Transaction,
): 'pg' | 'mysql' | 'sqlite' {
  const client = String(db.client.config.client);
  if (client === 'pg') return 'pg';
  if (client.includes('mysql')) return 'mysql';
  return 'sqlite';
}

/** Runs `fn` in the caller's transaction, or in one of its own. */
export function inTransaction<T>(
  db: Knex | Knex.Transaction,
  fn: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  return (db as Knex.Transaction).isTransaction
    ? fn(db as Knex.Transaction)
    : db.transaction(fn);
}

/**
 * A locking read (SELECT … FOR UPDATE) on PostgreSQL and MySQL, where it also
 * reads the latest committed rows; SQLite serialises writers anyway.
 */
export function forUpdate(
  db: Knex | Knex.Transaction,
  query: Knex.QueryBuilder,
): Knex.QueryBuilder {
  return clientOf(db) === 'sqlite' ? query : query.forUpdate();
}

/** Runs raw SQL and returns its rows, whatever the engine's result shape. */
export async function rawRows(
  db: Knex | Knex.Transaction,
  sql: string,
  bindings: readonly Knex.Value[],
): Promise<Record<string, unknown>[]> {
  const result = await db.raw(sql, bindings as Knex.Value[]);
  const client = clientOf(db);
  if (client === 'pg') return result.rows;
  if (client === 'mysql') return result[0];
  return result;
}

export function encodeCursor(createdAt: number, id: string | number): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

export function decodeCursor(cursor: string): [number, string | number] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'number' &&
      (typeof value[1] === 'string' || typeof value[1] === 'number')
    ) {
      return value as [number, string | number];
    }
  } catch {
    // fall through
  }
  throw new InputError(
    'Invalid cursor; pass the nextCursor of a previous page unchanged',
  );
}

/**
 * A query in keyset order, newest first by `created_at` then `id`: ordered,
 * limited to one row more than the page and started after the cursor.
 */
export function keysetQuery(
  query: Knex.QueryBuilder,
  page: { limit: number; cursor?: string },
): Knex.QueryBuilder {
  query
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(page.limit + 1);
  if (page.cursor) {
    const [createdAt, id] = decodeCursor(page.cursor);
    query.where(q =>
      q
        .where('created_at', '<', createdAt)
        .orWhere(q2 =>
          q2.where('created_at', createdAt).andWhere('id', '<', id),
        ),
    );
  }
  return query;
}

/** The page of the rows a keysetQuery read. */
export function keysetRows<Row extends { created_at: unknown; id: unknown }, T>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => T,
): Page<T> {
  const kept = rows.slice(0, limit);
  const last = kept[kept.length - 1];
  return {
    items: kept.map(toItem),
    nextCursor:
      rows.length > limit
        ? encodeCursor(num(last.created_at), last.id as string | number)
        : undefined,
  };
}

/** One page of a query in keyset order (keysetQuery). */
export async function keysetPage<
  Row extends { created_at: unknown; id: unknown },
  T,
>(
  query: Knex.QueryBuilder,
  page: { limit: number; cursor?: string },
  toItem: (row: Row) => T,
): Promise<Page<T>> {
  const rows: Row[] = await keysetQuery(query, page);
  return keysetRows(rows, page.limit, toItem);
}

/** Rows of a child table of promotions, by promotion. */
export function groupByPromotion<Row extends { promotion_id: string }, T>(
  rows: Row[],
  toItem: (row: Row) => T,
): Map<string, T[]> {
  const result = new Map<string, T[]>();
  for (const row of rows) {
    result.set(row.promotion_id, [
      ...(result.get(row.promotion_id) ?? []),
      toItem(row),
    ]);
  }
  return result;
}
