import {
  ComparisonStore,
  ReleaseComparison,
} from '../../database/ComparisonStore';
import { Ledger } from '../../database/Ledger';
import { componentRef } from '../components';
import { ApiRouter, RequestContext } from '../http/requestContext';
import { iso } from '../http/serialize';
import { releaseMarkers } from '../metrics/releaseMarkers';
import { DEFAULT_PAGE_SIZE } from './limits';

function comparisonJson(c: ReleaseComparison, version?: string) {
  return {
    ...c,
    ...(version ? { version } : {}),
    liveAt: iso(c.liveAt),
    computedAt: iso(c.computedAt),
  };
}

/** Release comparisons (before/after) and the release markers Prometheus scrapes. */
export function comparisonRoutes(
  api: ApiRouter,
  ctx: RequestContext,
  deps: { ledger: Ledger; comparisons: ComparisonStore },
) {
  api.get('/comparisons', async (req, res) => {
    const { component, environment, worse, limit, cursor } = req.query;
    const { requireVisible, visibleFilter } = await ctx.reader(req);
    let componentRefs: string[] | undefined;
    if (component) {
      const ref = componentRef(component);
      await requireVisible(ref, `${ref} is not in the catalog`);
      componentRefs = [ref];
    } else {
      const released = await deps.ledger.releases.allReleases();
      componentRefs = await visibleFilter(released.map(r => r.componentRef));
    }
    const page = await deps.comparisons.list(
      { componentRefs, environment, worse },
      { limit: limit ?? DEFAULT_PAGE_SIZE, cursor },
    );
    const items = await Promise.all(
      page.items.map(async c => {
        const artifact = await deps.ledger.artifacts.getArtifactByDigest(
          c.componentRef,
          c.digest,
        );
        return comparisonJson(c, artifact?.tags[0]);
      }),
    );
    res.json({ items, nextCursor: page.nextCursor });
  });

  api.get('/release-markers', async (req, res) => {
    const { visible } = await ctx.reader(req);
    const markers = await releaseMarkers(deps.ledger, visible);
    res.type(markers.contentType).send(markers.body);
  });
}
