import { DatabaseService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import type { DeliveryConfig } from '../../config/types';
import { checkDatabase } from '../../database/checkDatabase';
import { componentRef } from '../components';
import { ApiRouter, Request, RequestContext } from '../http/requestContext';
import {
  componentSummaryJson,
  ladderJson,
  overviewJson,
} from '../http/serialize';
import { MetricsService } from '../metrics/MetricsService';
import { ComponentsQuery } from '../readModels/ComponentsQuery';
import { OverviewQuery } from '../readModels/OverviewQuery';
import { DEFAULT_PAGE_SIZE } from './limits';

/** Health, ladders, the overview, the component listing, metrics and scorecards. */
export function readRoutes(
  api: ApiRouter,
  ctx: RequestContext,
  deps: {
    config: DeliveryConfig;
    catalog: CatalogService;
    database: DatabaseService;
    overview: OverviewQuery;
    components: ComponentsQuery;
    metrics: MetricsService;
  },
) {
  const { config, overview, components, metrics } = deps;

  const reader = (req: Request) => ctx.reader(req);

  api.get('/health', async (_req, res) => {
    const knex = await deps.database.getClient();
    res.json({ status: 'ok', database: await checkDatabase(knex) });
  });

  api.get('/ladders', async (req, res) => {
    await reader(req);
    res.json({
      defaultLadder: config.defaultLadder,
      items: [...config.ladders.values()].map(ladderJson),
    });
  });

  api.get('/overview', async (req, res) => {
    const { actor, requireVisible } = await reader(req);
    const ref = componentRef(req.query.component);
    await requireVisible(ref, `${ref} is not in the catalog`);
    res.json(overviewJson(await overview.overview(ref, actor)));
  });

  api.get('/components', async (req, res) => {
    const { actor, catalog } = await reader(req);
    const q = req.query;
    const page = await components.listComponents(
      { owner: q.owner, system: q.system, waitingForMe: q.waitingForMe },
      { limit: q.limit ?? DEFAULT_PAGE_SIZE, cursor: q.cursor },
      actor,
      catalog,
    );
    res.json({
      items: page.items.map(componentSummaryJson),
      nextCursor: page.nextCursor,
      totalItems: page.totalItems,
    });
  });

  api.get('/metrics/dora', async (req, res) => {
    const { component, owner, system, days } = req.query;
    const { catalog, requireVisible } = await reader(req);
    if (component) {
      const ref = componentRef(component);
      await requireVisible(ref, `${ref} is not in the catalog`);
    }
    res.json(await metrics.dora({ component, owner, system, days }, catalog));
  });

  api.get('/metrics/pipeline', async (req, res) => {
    const { component, owner, system, days } = req.query;
    const { catalog, requireVisible } = await reader(req);
    if (component) {
      const ref = componentRef(component);
      await requireVisible(ref, `${ref} is not in the catalog`);
    }
    res.json(
      await metrics.pipeline({ component, owner, system, days }, catalog),
    );
  });

  api.get('/scorecards', async (req, res) => {
    const { catalog } = await reader(req);
    res.json(await metrics.scorecard(req.query.component, catalog));
  });

  api.get('/scorecards/summary', async (req, res) => {
    const { owner, system } = req.query;
    const { catalog } = await reader(req);
    res.json(await metrics.scorecardSummary({ owner, system }, catalog));
  });
}
