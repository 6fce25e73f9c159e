import { createHash } from 'node:crypto';
import {
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { ConflictError, CustomErrorBase, InputError } from '@backstage/errors';
import express from 'express';
import { IDEMPOTENCY_KEY_HEADER } from '@backstage-delivery/plugin-delivery-common';
import { IdempotencyStore } from '../../database/IdempotencyStore';

/** Where the running request's hashed key is kept (res.locals). */
const LOCALS_KEY = 'deliveryIdempotencyKey';
/** Set on an answer given again for a retried key. */
export const REPLAYED_HEADER = 'Idempotency-Replayed';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY = /^[\x21-\x7e]{1,255}$/;

class IdempotencyKeyReusedError extends CustomErrorBase {
  name = 'IdempotencyKeyReusedError' as const;
  statusCode = 422;
}

const sha256 = (text: string) =>
  createHash('sha256').update(text).digest('hex');

function principalOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  return principal.userEntityRef ?? `${principal.type}:${principal.subject}`;
}

/**
 * Makes every mutating route idempotent for requests with an
 * `Idempotency-Key` header: the first request with a key runs and its answer
 * is kept for `ttlMs`; a retry with the same key (same caller, method and
 * path) and the same body gets that answer again, with `Idempotency-Replayed:
 * true`, and writes nothing. The same key with another body is refused (422);
 * while the first request still runs, a retry is told to wait (409). Answers
 * of server errors (5xx) are not kept, so that a retry runs again. A claim
 * whose replica died mid-request is taken over after `leaseMs`; in that
 * window a write that committed but was not answered could run twice.
 * When the answer cannot be kept (the database went away after the write),
 * the caller still gets it: having it, it does not retry; the claim lapses
 * after `leaseMs`.
 */
export function idempotency(options: {
  store: IdempotencyStore;
  httpAuth: HttpAuthService;
  logger: LoggerService;
  leaseMs?: number;
  ttlMs?: number;
  clock?: () => number;
}): express.RequestHandler {
  const { store, httpAuth } = options;
  const leaseMs = options.leaseMs ?? 2 * 60_000;
  const ttlMs = options.ttlMs ?? 24 * 60 * 60_000;
  const clock = options.clock ?? Date.now;
  return async (req, res, next) => {
    const key = req.header(IDEMPOTENCY_KEY_HEADER);
    if (!MUTATING.has(req.method) || key === undefined) {
      next();
      return;
    }
    if (!KEY.test(key)) {
      throw new InputError(
        `${IDEMPOTENCY_KEY_HEADER} must be 1 to 255 visible ASCII characters`,
      );
    }
    let credentials: BackstageCredentials;
    try {
      credentials = await httpAuth.credentials(req, {
        allow: ['user', 'service'],
      });
    } catch {
      // The route answers 401 itself.
      next();
      return;
    }
    const keyHash = sha256(
      [principalOf(credentials), req.method, req.baseUrl + req.path, key].join(
        '\n',
      ),
    );
    const requestHash = sha256(
      `${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`,
    );
    const claim = await store.claim({
      keyHash,
      requestHash,
      now: clock(),
      leaseMs,
      ttlMs,
    });
    if (claim.kind === 'mismatch') {
      throw new IdempotencyKeyReusedError(
        `This ${IDEMPOTENCY_KEY_HEADER} was used for another request; use a new key for each request`,
      );
    }
    if (claim.kind === 'running') {
      throw new ConflictError(
        `A request with this ${IDEMPOTENCY_KEY_HEADER} is still running; retry shortly`,
      );
    }
    if (claim.kind === 'replay') {
      res.setHeader(REPLAYED_HEADER, 'true');
      res.status(claim.status);
      if (claim.body === undefined) res.end();
      else res.json(claim.body);
      return;
    }

    res.locals[LOCALS_KEY] = keyHash;
    // Keep the answer before it leaves, so that a client that sees it never
    // runs the request again.
    let kept = false;
    const keep = (body: unknown) => {
      kept = true;
      return res.statusCode >= 500
        ? store.release(keyHash)
        : store.complete(keyHash, res.statusCode, body);
    };
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      keep(body).then(
        () => json(body),
        error => {
          options.logger.warn(
            `Could not keep the answer of ${req.method} ${req.originalUrl} for its ${IDEMPOTENCY_KEY_HEADER}; answered it anyway`,
            error,
          );
          json(body);
        },
      );
      return res;
    };
    res.on('finish', () => {
      // Answers without a JSON body (204).
      if (!kept) keep(undefined).catch(() => {});
    });
    next();
  };
}

/**
 * The hashed Idempotency-Key a request runs under, if any: a handler that
 * stores it with its write (unique) makes the write itself idempotent, even
 * when the key's answer could not be kept (the database went away).
 */
export function idempotencyKeyOf(res: express.Response): string | undefined {
  return res.locals[LOCALS_KEY];
}

/** Forgets expired idempotency keys, hourly, on one replica. */
export async function scheduleIdempotencyPurge(options: {
  scheduler: SchedulerService;
  store: IdempotencyStore;
}) {
  await options.scheduler.scheduleTask({
    id: 'delivery-idempotency-purge',
    frequency: { hours: 1 },
    timeout: { minutes: 5 },
    initialDelay: { minutes: 1 },
    scope: 'global',
    fn: async () => {
      await options.store.purge(Date.now());
    },
  });
}
