import type { components, paths } from './schema/openapi/generated/types';

/**
 * The paths of the delivery REST API (`/api/delivery`), generated from the
 * backend's OpenAPI contract; use with `openapi-fetch`.
 *
 * @public
 */
export type DeliveryApiPaths = paths;

/**
 * The schemas of the delivery REST API, generated from the backend's OpenAPI
 * contract.
 *
 * @public
 */
export type DeliveryApiSchemas = components['schemas'];

/**
 * The answer of `GET /api/delivery/health`.
 *
 * @public
 */
export type DeliveryHealth = DeliveryApiSchemas['Health'];
