import { DatabaseService } from '@backstage/backend-plugin-api';
import express from 'express';
import { createOpenApiRouter } from '../schema/openapi/generated/router';
import { checkDatabase } from '../database/checkDatabase';

/** Largest request body the API accepts. */
export const MAX_BODY_SIZE = '256kb';

export interface RouterOptions {
  database: DatabaseService;
}

/**
 * Routes of the delivery API. Requests are validated against the OpenAPI
 * contract (src/schema/openapi.yaml) before they reach a handler: unknown
 * query parameters and fields are refused with 400.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const router = await createOpenApiRouter({
    middleware: [express.json({ limit: MAX_BODY_SIZE })],
  });

  router.get('/health', async (_req, res) => {
    const knex = await options.database.getClient();
    res.json({ status: 'ok', database: await checkDatabase(knex) });
  });

  return router;
}
