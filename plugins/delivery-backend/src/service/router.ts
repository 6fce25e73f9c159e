import {
  AuditorService,
  AuditorServiceEventSeverityLevel,
  AuthService,
  BackstageCredentials,
  DatabaseService,
  HttpAuthService,
  PermissionsService,
  UserInfoService,
  CacheService,
} from '@backstage/backend-plugin-api';
import {
  CustomErrorBase,
  InputError,
  NotAllowedError,
  NotImplementedError,
} from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  DELIVERY_LADDER_ANNOTATION,
  KUBERNETES_ID_ANNOTATION,
} from '@backstage-delivery/plugin-delivery-common';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  deliveryArtifactQuarantinePermission,
  deliveryArtifactRecordPermission,
  deliveryPromotionApprovePermission,
  deliveryPreviewManagePermission,
  deliveryPromotionOverridePermission,
  deliveryPromotionRequestPermission,
  deliveryPromotionRollbackPermission,
  deliveryReadPermission,
  PromotionState,
} from '@backstage-delivery/plugin-delivery-common';
import express from 'express';
import Router from 'express-promise-router';
import { createOpenApiRouter, spec } from '../schema/openapi/generated/router';
import { checkDatabase } from '../database/checkDatabase';
import { MetricsService } from './MetricsService';
import { PreviewManager } from '../kubernetes/previews/PreviewManager';
import { Actor, PromotionKind } from '../domain/types';
import {
  ComponentCatalog,
  DeliveryService,
  PromotionOutcome,
} from './DeliveryService';
import { rejectUnknownFields } from './unknownFields';
import {
  artifactDetailJson,
  artifactJson,
  evidenceJson,
  ladderJson,
  componentSummaryJson,
  iso,
  overviewJson,
  previewJson,
  promotionJson,
} from './serialize';

/** Largest request body the API accepts. */
export const MAX_BODY_SIZE = '256kb';
/** Page size when the caller does not choose one. */
export const DEFAULT_PAGE_SIZE = 20;

class PayloadTooLargeError extends CustomErrorBase {
  name = 'PayloadTooLargeError' as const;
  statusCode = 413;
}

class PromotionRefusedError extends CustomErrorBase {
  name = 'PromotionRefusedError' as const;
}

/** Any express request, whatever the typed router inferred for it. */
type Request = express.Request<any, any, any, any, any>;

export interface RouterOptions {
  service: DeliveryService;
  catalog: CatalogService;
  database: DatabaseService;
  auth: AuthService;
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  permissions: PermissionsService;
  auditor: AuditorService;
  /** Preview namespaces; the routes answer 501 when not configured. */
  previews?: PreviewManager;
  /** The clock of the metrics window (tests). */
  clock?: () => number;
  /** Keeps organisation-wide metrics for a minute. */
  cache?: CacheService;
}

/** `30m`, `4h` or `2d` in milliseconds (the contract checks the shape). */
export function parseTtl(ttl: string): number {
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[ttl.slice(-1)];
  const amount = Number(ttl.slice(0, -1));
  if (!unit || !Number.isInteger(amount) || amount < 1) {
    throw new InputError(
      `ttl '${ttl}' is not a lifetime such as 30m, 4h or 2d`,
    );
  }
  return amount * unit;
}

/**
 * Routes of the delivery API (src/schema/openapi.yaml). Each mutating route
 * goes: credentials → authorize → audit → domain call. Requests are
 * validated against the contract before any handler runs.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { service, auth, httpAuth, userInfo, permissions, auditor } = options;

  async function caller(
    req: Request,
    allow: Array<'user' | 'service'>,
  ): Promise<{ credentials: BackstageCredentials; actor: Actor }> {
    const credentials = await httpAuth.credentials(req, { allow });
    if (auth.isPrincipal(credentials, 'user')) {
      const info = await userInfo.getUserInfo(credentials);
      return {
        credentials,
        actor: {
          type: 'user',
          ref: info.userEntityRef,
          ownershipRefs: info.ownershipEntityRefs,
        },
      };
    }
    const principal = credentials.principal as { subject?: string };
    return {
      credentials,
      actor: {
        type: 'service',
        ref: principal.subject ?? 'service',
        ownershipRefs: [],
      },
    };
  }

  async function authorize(
    credentials: BackstageCredentials,
    permission: BasicPermission | ResourcePermission<'catalog-entity'>,
    componentRef?: string,
  ) {
    const [decision] =
      permission.type === 'resource'
        ? await permissions.authorize(
            [{ permission, resourceRef: componentRef! }],
            { credentials },
          )
        : await permissions.authorize(
            [{ permission: permission as BasicPermission }],
            {
              credentials,
            },
          );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `Missing permission ${permission.name}${
          componentRef ? ` for ${componentRef}` : ''
        }`,
      );
    }
  }

  /** The catalog with the caller's own credentials, for listing components. */
  function catalogAs(credentials: BackstageCredentials): ComponentCatalog {
    const fields = [
      'kind',
      'metadata.name',
      'metadata.namespace',
      'metadata.title',
      'metadata.annotations',
      'spec.owner',
      'spec.system',
      'relations',
    ];
    return {
      async query(filter, page) {
        const narrow = {
          kind: 'component',
          ...(filter.owner ? { 'relations.ownedBy': filter.owner } : {}),
          ...(filter.system ? { 'relations.partOf': filter.system } : {}),
        };
        const response = await options.catalog.queryEntities(
          page.cursor
            ? { cursor: page.cursor, limit: page.limit, fields }
            : {
                // Components that opt into delivery by either annotation.
                filter: [
                  {
                    ...narrow,
                    [`metadata.annotations.${DELIVERY_LADDER_ANNOTATION}`]:
                      CATALOG_FILTER_EXISTS,
                  },
                  {
                    ...narrow,
                    [`metadata.annotations.${KUBERNETES_ID_ANNOTATION}`]:
                      CATALOG_FILTER_EXISTS,
                  },
                ],
                orderFields: { field: 'metadata.name', order: 'asc' },
                limit: page.limit,
                fields,
              },
          { credentials },
        );
        return {
          entities: response.items,
          nextCursor: response.pageInfo.nextCursor,
          totalItems: response.totalItems,
        };
      },
      async byRefs(refs) {
        if (refs.length === 0) return [];
        const { items } = await options.catalog.getEntitiesByRefs(
          { entityRefs: refs, fields },
          { credentials },
        );
        return items.filter((e): e is NonNullable<typeof e> => Boolean(e));
      },
    };
  }

  /** Runs a mutation inside an audit event that records its outcome. */
  async function audited<T>(
    req: Request,
    eventId: 'artifact-mutate' | 'promotion-mutate' | 'preview-mutate',
    severityLevel: AuditorServiceEventSeverityLevel,
    meta: JsonObject,
    fn: () => Promise<T>,
    outcomeMeta?: (result: T) => JsonObject,
  ): Promise<T> {
    const event = await auditor.createEvent({
      eventId,
      severityLevel,
      request: req,
      meta,
    });
    try {
      const result = await fn();
      await event.success({ meta: outcomeMeta?.(result) });
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  }

  /** Audit severity of a change to an environment: production-like is high. */
  function severity(
    environment: string,
    kind?: PromotionKind,
  ): AuditorServiceEventSeverityLevel {
    if (kind === 'hotfix') return 'critical';
    if (kind === 'rollback') return 'high';
    return service.isProductionLike(environment) ? 'high' : 'medium';
  }

  const api = await createOpenApiRouter({
    // Bodies are parsed (and size-limited) by the outer router.
    middleware: [(_req, _res, next) => next()],
  });

  api.get('/health', async (_req, res) => {
    const knex = await options.database.getClient();
    res.json({ status: 'ok', database: await checkDatabase(knex) });
  });

  api.get('/ladders', async (req, res) => {
    const { credentials } = await caller(req, ['user', 'service']);
    await authorize(credentials, deliveryReadPermission);
    res.json({
      defaultLadder: service.defaultLadder,
      items: service.ladders().map(ladderJson),
    });
  });

  api.post('/artifacts', async (req, res) => {
    const { credentials, actor } = await caller(req, ['user', 'service']);
    const body = req.body;
    const componentRef = DeliveryService.componentRef(body.component);
    const { artifact, created } = await audited(
      req,
      'artifact-mutate',
      'low',
      { actionType: 'record', component: componentRef, digest: body.digest },
      async () => {
        await authorize(
          credentials,
          deliveryArtifactRecordPermission,
          componentRef,
        );
        return service.recordArtifact(
          {
            componentRef,
            digest: body.digest,
            imageRepository: body.imageRepository,
            tags: body.tags ?? [],
            commitSha: body.commitSha,
            commitTime: body.commitTime
              ? Date.parse(body.commitTime)
              : undefined,
            branch: body.branch,
            buildId: body.buildId,
            buildUrl: body.buildUrl,
            sizeBytes: body.sizeBytes,
            baseImage: body.baseImage,
          },
          actor,
        );
      },
      r => ({ artifactId: r.artifact.id, created: r.created }),
    );
    const [view] = await service.views([artifact]);
    res.status(created ? 201 : 200).json(artifactJson(view));
  });

  api.get('/artifacts', async (req, res) => {
    const { credentials } = await caller(req, ['user', 'service']);
    await authorize(credentials, deliveryReadPermission);
    const page = await service.listArtifacts(req.query.component, {
      limit: req.query.limit ?? DEFAULT_PAGE_SIZE,
      cursor: req.query.cursor,
      digest: req.query.digest,
    });
    res.json({
      items: page.items.map(artifactJson),
      nextCursor: page.nextCursor,
    });
  });

  api.get('/artifacts/:artifactId', async (req, res) => {
    const { credentials } = await caller(req, ['user', 'service']);
    await authorize(credentials, deliveryReadPermission);
    res.json(
      artifactDetailJson(await service.getArtifact(req.params.artifactId)),
    );
  });

  api.post('/artifacts/:artifactId/evidence', async (req, res) => {
    const { credentials, actor } = await caller(req, ['user', 'service']);
    const artifact = await service.requireArtifact(req.params.artifactId);
    const { evidence } = await audited(
      req,
      'artifact-mutate',
      'low',
      {
        actionType: 'evidence',
        component: artifact.componentRef,
        artifactId: artifact.id,
        kind: req.body.kind,
        result: req.body.result,
      },
      async () => {
        await authorize(
          credentials,
          deliveryArtifactRecordPermission,
          artifact.componentRef,
        );
        return service.addEvidence(artifact.id, req.body, actor);
      },
    );
    res.status(201).json(evidenceJson(evidence));
  });

  for (const action of ['quarantine', 'lift'] as const) {
    const path =
      action === 'quarantine'
        ? '/artifacts/:artifactId/quarantine'
        : '/artifacts/:artifactId/quarantine/lift';
    api.post(path, async (req, res) => {
      const { credentials, actor } = await caller(req, ['user']);
      const artifact = await service.requireArtifact(req.params.artifactId);
      const view = await audited(
        req,
        'artifact-mutate',
        'medium',
        {
          actionType:
            action === 'quarantine' ? 'quarantine' : 'lift-quarantine',
          component: artifact.componentRef,
          artifactId: artifact.id,
          digest: artifact.digest,
        },
        async () => {
          await authorize(
            credentials,
            deliveryArtifactQuarantinePermission,
            artifact.componentRef,
          );
          if (action === 'quarantine') {
            const result = await service.quarantine(
              artifact.id,
              req.body.reason,
              actor,
            );
            return { view: result.view, aborted: result.aborted };
          }
          return {
            view: await service.liftQuarantine(
              artifact.id,
              req.body.reason,
              actor,
            ),
            aborted: [],
          };
        },
        r => ({ abortedPromotions: r.aborted }),
      );
      res.json(artifactJson(view.view));
    });
  }

  /** Answers a promotion request: 201, or 409 with the refused promotion. */
  function sendOutcome(
    req: Request,
    res: express.Response,
    outcome: PromotionOutcome,
  ) {
    if (outcome.refusal) {
      res.status(409).json({
        error: { name: 'PromotionRefusedError', message: outcome.refusal },
        request: { method: req.method, url: req.originalUrl },
        response: { statusCode: 409 },
        promotion: promotionJson(outcome.view),
      });
      return;
    }
    res.status(201).json(promotionJson(outcome.view));
  }

  async function auditedPromotion(
    req: Request,
    meta: JsonObject & { component: string; environment: string },
    kind: PromotionKind,
    fn: () => Promise<PromotionOutcome>,
  ) {
    return audited(
      req,
      'promotion-mutate',
      severity(meta.environment, kind),
      meta,
      async () => {
        const outcome = await fn();
        if (outcome.refusal) {
          // Recorded, and reported to the auditor as a refusal.
          const error = new PromotionRefusedError(outcome.refusal);
          throw Object.assign(error, { outcome });
        }
        return outcome;
      },
      o => ({
        promotionId: o.view.promotion.id,
        state: o.view.promotion.state,
      }),
    ).catch((error: Error & { outcome?: PromotionOutcome }) => {
      if (error.outcome) return error.outcome;
      throw error;
    });
  }

  api.post('/promotions', async (req, res) => {
    const { credentials, actor } = await caller(req, ['user', 'service']);
    const body = req.body;
    const componentRef = DeliveryService.componentRef(body.component);
    const kind = body.kind ?? 'normal';
    const outcome = await auditedPromotion(
      req,
      {
        actionType: 'request',
        component: componentRef,
        environment: body.environment,
        digest: body.digest,
        kind,
      },
      kind,
      async () => {
        await authorize(
          credentials,
          deliveryPromotionRequestPermission,
          componentRef,
        );
        if (kind === 'hotfix') {
          await authorize(
            credentials,
            deliveryPromotionOverridePermission,
            componentRef,
          );
        }
        return service.requestPromotion(
          {
            componentRef,
            digest: body.digest,
            environment: body.environment,
            kind,
            reason: body.reason,
          },
          actor,
        );
      },
    );
    sendOutcome(req, res, outcome);
  });

  api.post('/rollbacks', async (req, res) => {
    const { credentials, actor } = await caller(req, ['user', 'service']);
    const componentRef = DeliveryService.componentRef(req.body.component);
    const outcome = await auditedPromotion(
      req,
      {
        actionType: 'rollback',
        component: componentRef,
        environment: req.body.environment,
      },
      'rollback',
      async () => {
        await authorize(
          credentials,
          deliveryPromotionRollbackPermission,
          componentRef,
        );
        return service.rollback(
          {
            componentRef,
            environment: req.body.environment,
            reason: req.body.reason,
          },
          actor,
        );
      },
    );
    sendOutcome(req, res, outcome);
  });

  api.get('/promotions', async (req, res) => {
    const { credentials } = await caller(req, ['user', 'service']);
    await authorize(credentials, deliveryReadPermission);
    const q = req.query;
    const page = await service.listPromotions(
      {
        componentRef: q.component,
        environment: q.environment,
        states: q.state as PromotionState[] | undefined,
        kinds: q.kind as PromotionKind[] | undefined,
        since: q.since ? Date.parse(q.since) : undefined,
        until: q.until ? Date.parse(q.until) : undefined,
      },
      { limit: q.limit ?? DEFAULT_PAGE_SIZE, cursor: q.cursor },
    );
    res.json({
      items: page.items.map(promotionJson),
      nextCursor: page.nextCursor,
    });
  });

  api.get('/promotions/:promotionId', async (req, res) => {
    const { credentials } = await caller(req, ['user', 'service']);
    await authorize(credentials, deliveryReadPermission);
    res.json(promotionJson(await service.getPromotion(req.params.promotionId)));
  });

  for (const decision of ['approve', 'reject'] as const) {
    api.post(`/promotions/:promotionId/${decision}`, async (req, res) => {
      // Only users decide approvals: a CI token is refused here (403).
      const { credentials, actor } = await caller(req, ['user']);
      const { promotion } = await service.getPromotion(req.params.promotionId);
      const view = await audited(
        req,
        'promotion-mutate',
        severity(promotion.environment),
        {
          actionType: decision,
          component: promotion.componentRef,
          environment: promotion.environment,
          promotionId: promotion.id,
        },
        async () => {
          await authorize(
            credentials,
            deliveryPromotionApprovePermission,
            promotion.componentRef,
          );
          return service.decideApproval(
            promotion.id,
            { decision, comment: req.body?.comment },
            actor,
          );
        },
        v => ({ state: v.promotion.state }),
      );
      res.json(promotionJson(view));
    });
  }

  api.post('/promotions/:promotionId/abort', async (req, res) => {
    const { credentials, actor } = await caller(req, ['user', 'service']);
    const { promotion } = await service.getPromotion(req.params.promotionId);
    const view = await audited(
      req,
      'promotion-mutate',
      severity(promotion.environment),
      {
        actionType: 'abort',
        component: promotion.componentRef,
        environment: promotion.environment,
        promotionId: promotion.id,
      },
      async () => {
        await authorize(
          credentials,
          deliveryPromotionRequestPermission,
          promotion.componentRef,
        );
        return service.abort(promotion.id, req.body?.reason, actor);
      },
    );
    res.json(promotionJson(view));
  });

  api.post('/promotions/:promotionId/events', async (req, res) => {
    const { credentials, actor } = await caller(req, ['user', 'service']);
    const { promotion } = await service.getPromotion(req.params.promotionId);
    const view = await audited(
      req,
      'promotion-mutate',
      service.isProductionLike(promotion.environment) ? 'medium' : 'low',
      {
        actionType: 'rollout-event',
        component: promotion.componentRef,
        environment: promotion.environment,
        promotionId: promotion.id,
        type: req.body.type,
      },
      async () => {
        await authorize(
          credentials,
          deliveryArtifactRecordPermission,
          promotion.componentRef,
        );
        return service.reportRolloutEvent(promotion.id, req.body, actor);
      },
      v => ({ state: v.promotion.state }),
    );
    res.json(promotionJson(view));
  });

  api.get('/overview', async (req, res) => {
    const { credentials, actor } = await caller(req, ['user', 'service']);
    await authorize(credentials, deliveryReadPermission);
    res.json(overviewJson(await service.overview(req.query.component, actor)));
  });

  const metrics = new MetricsService(
    await options.database.getClient(),
    service,
    options.clock,
    options.cache,
  );

  /** The catalog as a reader of the ledger sees it (401/403 otherwise). */
  async function readerCatalog(req: Request): Promise<ComponentCatalog> {
    const { credentials } = await caller(req, ['user', 'service']);
    await authorize(credentials, deliveryReadPermission);
    return catalogAs(credentials);
  }

  api.get('/metrics/dora', async (req, res) => {
    const { component, owner, system, days } = req.query;
    res.json(
      await metrics.dora(
        { component, owner, system, days },
        await readerCatalog(req),
      ),
    );
  });

  api.get('/metrics/pipeline', async (req, res) => {
    const { component, owner, system, days } = req.query;
    res.json(
      await metrics.pipeline(
        { component, owner, system, days },
        await readerCatalog(req),
      ),
    );
  });

  api.get('/scorecards', async (req, res) => {
    res.json(
      await metrics.scorecard(req.query.component, await readerCatalog(req)),
    );
  });

  api.get('/scorecards/summary', async (req, res) => {
    const { owner, system } = req.query;
    res.json(
      await metrics.scorecardSummary(
        { owner, system },
        await readerCatalog(req),
      ),
    );
  });

  api.get('/components', async (req, res) => {
    const { credentials, actor } = await caller(req, ['user', 'service']);
    await authorize(credentials, deliveryReadPermission);
    const q = req.query;
    const page = await service.listComponents(
      { owner: q.owner, system: q.system, waitingForMe: q.waitingForMe },
      { limit: q.limit ?? DEFAULT_PAGE_SIZE, cursor: q.cursor },
      actor,
      catalogAs(credentials),
    );
    res.json({
      items: page.items.map(componentSummaryJson),
      nextCursor: page.nextCursor,
      totalItems: page.totalItems,
    });
  });

  function previewManager(): PreviewManager {
    if (!options.previews) {
      throw new NotImplementedError(
        'Preview namespaces are not configured on this portal (delivery.previews); see the delivery-backend README',
      );
    }
    return options.previews;
  }

  api.get('/previews', async (req, res) => {
    const { credentials } = await caller(req, ['user', 'service']);
    await authorize(credentials, deliveryReadPermission);
    const q = req.query;
    const page = await previewManager().list(
      DeliveryService.componentRef(q.component),
      { includeDeleted: String(q.includeDeleted) === 'true' },
      { limit: q.limit ?? DEFAULT_PAGE_SIZE, cursor: q.cursor },
    );
    res.json({
      items: page.items.map(previewJson),
      nextCursor: page.nextCursor,
    });
  });

  api.get('/previews/:previewId', async (req, res) => {
    const { credentials } = await caller(req, ['user', 'service']);
    await authorize(credentials, deliveryReadPermission);
    res.json(previewJson(await previewManager().get(req.params.previewId)));
  });

  api.post('/previews', async (req, res) => {
    const { credentials, actor } = await caller(req, ['user', 'service']);
    const previews = previewManager();
    const body = req.body;
    const componentRef = DeliveryService.componentRef(body.component);
    const { preview, created } = await audited(
      req,
      'preview-mutate',
      'medium',
      {
        actionType: 'create',
        component: componentRef,
        pullRequest: body.pullRequest ?? null,
        branch: body.branch ?? null,
      },
      async () => {
        await authorize(
          credentials,
          deliveryPreviewManagePermission,
          componentRef,
        );
        return previews.create(
          {
            componentRef,
            pullRequest: body.pullRequest,
            branch: body.branch,
            digest: body.digest,
            ttlMs: body.ttl ? parseTtl(body.ttl) : undefined,
          },
          actor,
        );
      },
      r => ({
        previewId: r.preview.id,
        namespace: r.preview.namespace,
        created: r.created,
      }),
    );
    res.status(created ? 201 : 200).json(previewJson(preview));
  });

  api.post('/previews/:previewId/extend', async (req, res) => {
    const { credentials, actor } = await caller(req, ['user', 'service']);
    const previews = previewManager();
    const current = await previews.get(req.params.previewId);
    const result = await audited(
      req,
      'preview-mutate',
      'low',
      {
        actionType: 'extend',
        component: current.componentRef,
        previewId: current.id,
        namespace: current.namespace,
        ttl: req.body.ttl,
      },
      async () => {
        await authorize(
          credentials,
          deliveryPreviewManagePermission,
          current.componentRef,
        );
        return previews.extend(current.id, parseTtl(req.body.ttl), actor);
      },
      r => ({ expiresAt: iso(r.preview.expiresAt), capped: r.capped }),
    );
    res.json({ preview: previewJson(result.preview), capped: result.capped });
  });

  api.delete('/previews/:previewId', async (req, res) => {
    const { credentials } = await caller(req, ['user', 'service']);
    const previews = previewManager();
    const current = await previews.get(req.params.previewId);
    const preview = await audited(
      req,
      'preview-mutate',
      'medium',
      {
        actionType: 'destroy',
        component: current.componentRef,
        previewId: current.id,
        namespace: current.namespace,
      },
      async () => {
        await authorize(
          credentials,
          deliveryPreviewManagePermission,
          current.componentRef,
        );
        return previews.destroy(current.id);
      },
      p => ({ state: p.state }),
    );
    res.status(202).json(previewJson(preview));
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
  router.use(api);
  return router;
}
