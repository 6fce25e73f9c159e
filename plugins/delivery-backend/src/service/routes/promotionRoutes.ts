import { AuditorServiceEventSeverityLevel } from '@backstage/backend-plugin-api';
import {
  deliveryEnvironmentDeployPermission,
  deliveryPromotionAbortPermission,
  deliveryPromotionApprovePermission,
  deliveryPromotionOverridePermission,
  deliveryPromotionReportPermission,
  deliveryPromotionRequestPermission,
  deliveryPromotionRollbackPermission,
  PromotionState,
} from '@backstage-delivery/plugin-delivery-common';
import { NotAllowedError, NotImplementedError } from '@backstage/errors';
import express from 'express';
import { JsonObject } from '@backstage/types';
import type { LadderConfig } from '../../config/types';
import { abortAuthority } from '../../domain/abort';
import type { RolloutAction } from '../../domain/argoRollouts';
import type { RolloutControl } from '../executions/RolloutControl';
import { isProductionLike } from '../../domain/ladder';
import { Promotion, PromotionKind } from '../../domain/types';
import { componentRef } from '../components';
import { ApiRouter, Request, RequestContext } from '../http/requestContext';
import { promotionJson } from '../http/serialize';
import {
  PromotionOutcome,
  PromotionService,
} from '../promotions/PromotionService';
import { RolloutService } from '../promotions/RolloutService';
import { DEFAULT_PAGE_SIZE } from './limits';

/** Promotion requests, rollbacks, approvals, aborts and rollout events. */
export function promotionRoutes(
  api: ApiRouter,
  ctx: RequestContext,
  deps: {
    promotions: PromotionService;
    rollouts: RolloutService;
    ladders: Map<string, LadderConfig>;
    /** Promote and abort on Argo Rollouts; absent without clusters. */
    rolloutControl?: RolloutControl;
  },
) {
  const { promotions, rollouts, ladders, rolloutControl } = deps;

  /** Audit severity of a change to an environment: production-like is high. */
  function severity(
    environment: string,
    kind?: PromotionKind,
  ): AuditorServiceEventSeverityLevel {
    if (kind === 'hotfix') return 'critical';
    if (kind === 'rollback') return 'high';
    return isProductionLike(ladders, environment) ? 'high' : 'medium';
  }

  /** The audit event of a decision on an existing promotion. */
  function decisionEvent(
    promotion: Promotion,
    actionType: 'approve' | 'reject' | 'abort',
  ) {
    return {
      eventId: 'promotion-mutate' as const,
      severityLevel: severity(promotion.environment),
      meta: {
        actionType,
        component: promotion.componentRef,
        environment: promotion.environment,
        promotionId: promotion.id,
      },
    };
  }

  /** A request or rollback, audited; a refusal is its outcome, not an exception. */
  function auditedRequest(
    req: Request,
    meta: JsonObject & { environment: string },
    kind: PromotionKind,
    fn: () => Promise<PromotionOutcome>,
  ) {
    return ctx.audited(
      req,
      {
        eventId: 'promotion-mutate',
        severityLevel: severity(meta.environment, kind),
        meta,
      },
      fn,
      {
        refusal: o => o.refusal,
        meta: o => ({
          promotionId: o.view.promotion.id,
          state: o.view.promotion.state,
        }),
      },
    );
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

  api.post('/promotions', async (req, res) => {
    const { credentials, actor } = await ctx.caller(req, ['user', 'service']);
    const body = req.body;
    const ref = componentRef(body.component);
    const kind = body.kind ?? 'normal';
    const outcome = await auditedRequest(
      req,
      {
        actionType: 'request',
        component: ref,
        environment: body.environment,
        digest: body.digest,
        kind,
      },
      kind,
      async () => {
        await ctx.authorize(
          credentials,
          deliveryPromotionRequestPermission,
          ref,
        );
        if (kind === 'hotfix') {
          await ctx.authorize(
            credentials,
            deliveryPromotionOverridePermission,
            ref,
          );
        }
        await ctx.authorize(
          credentials,
          deliveryEnvironmentDeployPermission,
          body.environment,
        );
        return promotions.requestPromotion(
          {
            componentRef: ref,
            digest: body.digest,
            environment: body.environment,
            kind,
            reason: body.reason,
            triggeredBy: body.triggeredBy,
          },
          actor,
        );
      },
    );
    sendOutcome(req, res, outcome);
  });

  api.post('/rollbacks', async (req, res) => {
    const { credentials, actor } = await ctx.caller(req, ['user', 'service']);
    const ref = componentRef(req.body.component);
    const outcome = await auditedRequest(
      req,
      {
        actionType: 'rollback',
        component: ref,
        environment: req.body.environment,
      },
      'rollback',
      async () => {
        await ctx.authorize(
          credentials,
          deliveryPromotionRollbackPermission,
          ref,
        );
        await ctx.authorize(
          credentials,
          deliveryEnvironmentDeployPermission,
          req.body.environment,
        );
        return promotions.rollback(
          {
            componentRef: ref,
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
    const { requireVisible, visibleFilter } = await ctx.reader(req);
    const q = req.query;
    const ref = q.component ? componentRef(q.component) : undefined;
    if (ref) await requireVisible(ref, `${ref} is not in the catalog`);
    // Across components, only those the caller sees in the catalog, filtered
    // in the query so that every page is full.
    const page = await promotions.listPromotions(
      {
        componentRef: ref,
        componentRefs: ref
          ? undefined
          : await visibleFilter(await promotions.componentRefs()),
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
    const { requireVisible } = await ctx.reader(req);
    const id = req.params.promotionId;
    const view = await promotions.getPromotion(id);
    await requireVisible(
      view.promotion.componentRef,
      `No promotion with id ${id}`,
    );
    res.json(promotionJson(view));
  });

  for (const decision of ['approve', 'reject'] as const) {
    api.post(`/promotions/:promotionId/${decision}`, async (req, res) => {
      const { promotion } = await promotions.getPromotion(
        req.params.promotionId,
      );
      const view = await ctx.audited(
        req,
        decisionEvent(promotion, decision),
        async () => {
          // Only users decide approvals: a CI token is refused (403, audited).
          const { credentials, actor } = await ctx.caller(req, ['user']);
          await ctx.authorize(
            credentials,
            deliveryPromotionApprovePermission,
            promotion.componentRef,
          );
          return promotions.decideApproval(
            promotion.id,
            { decision, comment: req.body?.comment },
            actor,
          );
        },
        { meta: v => ({ state: v.promotion.state }) },
      );
      res.json(promotionJson(view));
    });
  }

  api.post('/promotions/:promotionId/rollout', async (req, res) => {
    const { credentials, actor } = await ctx.caller(req, ['user', 'service']);
    const { promotion } = await promotions.getPromotion(req.params.promotionId);
    const action = req.body.action as RolloutAction;
    const { view } = await ctx.audited(
      req,
      {
        eventId: 'promotion-mutate',
        severityLevel: severity(promotion.environment),
        meta: {
          actionType: `rollout-${action}`,
          component: promotion.componentRef,
          environment: promotion.environment,
          promotionId: promotion.id,
        },
      },
      async () => {
        await ctx.authorize(
          credentials,
          action === 'abort'
            ? deliveryPromotionAbortPermission
            : deliveryPromotionRequestPermission,
          promotion.componentRef,
        );
        await ctx.authorize(
          credentials,
          deliveryEnvironmentDeployPermission,
          promotion.environment,
        );
        if (!rolloutControl) {
          throw new NotImplementedError(
            'No Kubernetes cluster is configured, so there is no Argo Rollout to act on',
          );
        }
        return rolloutControl.act(promotion.id, action, actor);
      },
    );
    res.json(promotionJson(view));
  });

  api.post('/promotions/:promotionId/abort', async (req, res) => {
    const { credentials, actor } = await ctx.caller(req, ['user', 'service']);
    const { promotion } = await promotions.getPromotion(req.params.promotionId);
    const view = await ctx.audited(
      req,
      decisionEvent(promotion, 'abort'),
      async () => {
        const authority = abortAuthority(promotion, actor);
        if ('refusal' in authority)
          throw new NotAllowedError(authority.refusal);
        await ctx.authorize(
          credentials,
          authority.permission === 'request'
            ? deliveryPromotionRequestPermission
            : deliveryPromotionAbortPermission,
          promotion.componentRef,
        );
        return promotions.abort(promotion.id, req.body?.reason, actor);
      },
    );
    res.json(promotionJson(view));
  });

  api.post('/promotions/:promotionId/events', async (req, res) => {
    const { credentials, actor } = await ctx.caller(req, ['user', 'service']);
    const { promotion } = await promotions.getPromotion(req.params.promotionId);
    const view = await ctx.audited(
      req,
      {
        eventId: 'promotion-mutate',
        severityLevel: isProductionLike(ladders, promotion.environment)
          ? 'medium'
          : 'low',
        meta: {
          actionType: 'rollout-event',
          component: promotion.componentRef,
          environment: promotion.environment,
          promotionId: promotion.id,
          type: req.body.type,
        },
      },
      async () => {
        await ctx.authorize(
          credentials,
          deliveryPromotionReportPermission,
          promotion.componentRef,
        );
        return rollouts.reportRolloutEvent(promotion.id, req.body, actor);
      },
      { meta: v => ({ state: v.promotion.state }) },
    );
    res.json(promotionJson(view));
  });
}
