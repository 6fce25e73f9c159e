import {
  AuditorService,
  AuthService,
  DatabaseService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { CustomErrorBase } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import Router from 'express-promise-router';
import type { DeliveryConfig } from '../config/types';
import { createOpenApiRouter, spec } from '../schema/openapi/generated/router';
import { ArtifactService } from './artifacts/ArtifactService';
import { AttestationService } from './artifacts/AttestationService';
import { createRequestContext, Request } from './http/requestContext';
import { rejectUnknownFields } from './http/unknownFields';
import { idempotency } from './http/idempotency';
import { IdempotencyStore } from '../database/IdempotencyStore';
import { Ledger } from '../database/Ledger';
import { MetricsService } from './metrics/MetricsService';
import { PreviewService } from './previews/PreviewService';
import { PromotionService } from './promotions/PromotionService';
import { RolloutService } from './promotions/RolloutService';
import { ComponentsQuery } from './readModels/ComponentsQuery';
import { OverviewQuery } from './readModels/OverviewQuery';
import { artifactRoutes } from './routes/artifactRoutes';
import { comparisonRoutes } from './routes/comparisonRoutes';
import { cliRoutes } from './routes/cliRoutes';
import { CliBundle } from './cli/CliBundle';
import { MAX_BODY_SIZE } from './routes/limits';
import { previewRoutes } from './routes/previewRoutes';
import { promotionRoutes } from './routes/promotionRoutes';
import type { RolloutControl } from './executions/RolloutControl';
import { readRoutes } from './routes/readRoutes';

class PayloadTooLargeError extends CustomErrorBase {
  name = 'PayloadTooLargeError' as const;
  statusCode = 413;
}

/** The services the routes call, built by the plugin. */
export interface DeliveryServices {
  artifacts: ArtifactService;
  attestations: AttestationService;
  promotions: PromotionService;
  rollouts: RolloutService;
  overview: OverviewQuery;
  components: ComponentsQuery;
  metrics: MetricsService;
  /** The ledger, for the release comparisons and markers. */
  ledger: Ledger;
  /** Answers kept by idempotency key (retried mutating requests). */
  idempotency: IdempotencyStore;
  /** Preview namespaces; the routes answer 501 when not configured. */
  previews?: PreviewService;
  /** Promote and abort on Argo Rollouts; 501 without clusters. */
  rolloutControl?: RolloutControl;
}

export interface RouterOptions {
  services: DeliveryServices;
  config: DeliveryConfig;
  catalog: CatalogService;
  database: DatabaseService;
  auth: AuthService;
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  permissions: PermissionsService;
  auditor: AuditorService;
  logger: LoggerService;
}

/**
 * Routes of the delivery API (src/schema/openapi.yaml). Each mutating route
 * goes: credentials → authorize → audit → service call. Requests are
 * validated against the contract before any handler runs.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { services, config } = options;
  const ctx = createRequestContext(options);
  const cli = new CliBundle();
  const api = await createOpenApiRouter({
    // Bodies are parsed (and size-limited) by the outer router.
    middleware: [(_req, _res, next) => next()],
  });

  artifactRoutes(api, ctx, services.artifacts, services.attestations);
  promotionRoutes(api, ctx, {
    promotions: services.promotions,
    rollouts: services.rollouts,
    rolloutControl: services.rolloutControl,
    ladders: config.ladders,
  });
  previewRoutes(api, ctx, services.previews);
  cliRoutes(api, ctx, cli);
  comparisonRoutes(api, ctx, {
    ledger: services.ledger,
    comparisons: services.ledger.comparisons,
  });
  readRoutes(api, ctx, {
    config,
    catalog: options.catalog,
    database: options.database,
    overview: services.overview,
    components: services.components,
    metrics: services.metrics,
  });

  // Parse bodies before the contract is checked, so that an oversized body
  // gets 413 rather than passing through the validator's error mapping.
  const router = Router();
  router.use(express.json({ limit: MAX_BODY_SIZE }));
  router.use(
    (
      error: any,
      _req: Request,
      _res: express.Response,
      next: express.NextFunction,
    ) => {
      if (error?.type === 'entity.too.large') {
        next(
          new PayloadTooLargeError(
            `Request body of ${error.length} bytes is larger than the limit of ${MAX_BODY_SIZE}`,
          ),
        );
        return;
      }
      next(error);
    },
  );
  router.use(rejectUnknownFields(spec));
  router.use(
    idempotency({
      store: services.idempotency,
      httpAuth: options.httpAuth,
      logger: options.logger,
      leaseMs: config.idempotency.leaseMs,
    }),
  );
  router.use(api);
  return router;
}
