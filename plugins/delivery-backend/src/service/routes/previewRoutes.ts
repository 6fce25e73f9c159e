import { InputError, NotImplementedError } from '@backstage/errors';
import { deliveryPreviewManagePermission } from '@backstage-delivery/plugin-delivery-common';
import { parseTtl } from '../../domain/previews';
import { componentRef } from '../components';
import { ApiRouter, RequestContext } from '../http/requestContext';
import { iso, previewJson } from '../http/serialize';
import { PreviewService } from '../previews/PreviewService';
import { DEFAULT_PAGE_SIZE } from './limits';

/** A lifetime such as `30m`, `4h` or `2d`, in milliseconds (400 otherwise). */
function ttlMs(ttl: string): number {
  const parsed = parseTtl(ttl);
  if (!parsed.ok) throw new InputError(parsed.problem);
  return parsed.ms;
}

/** Preview namespaces; every route answers 501 when previews are not configured. */
export function previewRoutes(
  api: ApiRouter,
  ctx: RequestContext,
  service: PreviewService | undefined,
) {
  function previews(): PreviewService {
    if (!service) {
      throw new NotImplementedError(
        'Preview namespaces are not configured on this portal (delivery.previews); see the delivery-backend README',
      );
    }
    return service;
  }

  api.get('/previews', async (req, res) => {
    const { requireVisible } = await ctx.reader(req);
    const q = req.query;
    const ref = componentRef(q.component);
    await requireVisible(ref, `${ref} is not in the catalog`);
    const page = await previews().list(
      ref,
      { includeDeleted: String(q.includeDeleted) === 'true' },
      { limit: q.limit ?? DEFAULT_PAGE_SIZE, cursor: q.cursor },
    );
    res.json({
      items: page.items.map(previewJson),
      nextCursor: page.nextCursor,
    });
  });

  api.get('/previews/:previewId', async (req, res) => {
    const { requireVisible } = await ctx.reader(req);
    const id = req.params.previewId;
    const preview = await previews().get(id);
    await requireVisible(preview.componentRef, `No preview with id ${id}`);
    res.json(previewJson(preview));
  });

  api.post('/previews', async (req, res) => {
    const { credentials, actor } = await ctx.caller(req, ['user', 'service']);
    const manager = previews();
    const body = req.body;
    const ref = componentRef(body.component);
    const { preview, created } = await ctx.audited(
      req,
      {
        eventId: 'preview-mutate',
        severityLevel: 'medium',
        meta: {
          actionType: 'create',
          component: ref,
          pullRequest: body.pullRequest ?? null,
          branch: body.branch ?? null,
        },
      },
      async () => {
        await ctx.authorize(credentials, deliveryPreviewManagePermission, ref);
        return manager.create(
          {
            componentRef: ref,
            pullRequest: body.pullRequest,
            branch: body.branch,
            digest: body.digest,
            ttlMs: body.ttl ? ttlMs(body.ttl) : undefined,
          },
          actor,
        );
      },
      {
        meta: r => ({
          previewId: r.preview.id,
          namespace: r.preview.namespace,
          created: r.created,
        }),
      },
    );
    res.status(created ? 201 : 200).json(previewJson(preview));
  });

  api.post('/previews/:previewId/extend', async (req, res) => {
    const { credentials, actor } = await ctx.caller(req, ['user', 'service']);
    const manager = previews();
    const current = await manager.get(req.params.previewId);
    const result = await ctx.audited(
      req,
      {
        eventId: 'preview-mutate',
        severityLevel: 'low',
        meta: {
          actionType: 'extend',
          component: current.componentRef,
          previewId: current.id,
          namespace: current.namespace,
          ttl: req.body.ttl,
        },
      },
      async () => {
        await ctx.authorize(
          credentials,
          deliveryPreviewManagePermission,
          current.componentRef,
        );
        return manager.extend(current.id, ttlMs(req.body.ttl), actor);
      },
      {
        meta: r => ({ expiresAt: iso(r.preview.expiresAt), capped: r.capped }),
      },
    );
    res.json({ preview: previewJson(result.preview), capped: result.capped });
  });

  api.delete('/previews/:previewId', async (req, res) => {
    const { credentials } = await ctx.caller(req, ['user', 'service']);
    const manager = previews();
    const current = await manager.get(req.params.previewId);
    const preview = await ctx.audited(
      req,
      {
        eventId: 'preview-mutate',
        severityLevel: 'medium',
        meta: {
          actionType: 'destroy',
          component: current.componentRef,
          previewId: current.id,
          namespace: current.namespace,
        },
      },
      async () => {
        await ctx.authorize(
          credentials,
          deliveryPreviewManagePermission,
          current.componentRef,
        );
        return manager.destroy(current.id);
      },
      { meta: p => ({ state: p.state }) },
    );
    res.status(202).json(previewJson(preview));
  });
}
