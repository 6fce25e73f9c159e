import { screen } from '@testing-library/react';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { deliveryApiRef } from '../../api';
import {
  comparison,
  componentRef,
  fakeDeliveryApi,
} from '../../testing/fixtures';
import {
  ComponentReleaseComparisons,
  WorseReleases,
} from './ReleaseComparisons';

const mountedRoutes = {
  mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
};

describe('release comparisons', () => {
  it('shows each release with its metrics before and after, charted, the worse ones marked', async () => {
    const { api } = fakeDeliveryApi();
    await renderInTestApp(
      <TestApiProvider apis={[[deliveryApiRef, api]]}>
        <ComponentReleaseComparisons componentRef={componentRef} />
      </TestApiProvider>,
      mountedRoutes,
    );
    expect(await screen.findByText('1.43.0 → production')).toBeInTheDocument();
    expect(screen.getByText('made it worse')).toBeInTheDocument();
    expect(screen.getByText('no worse')).toBeInTheDocument();
    expect(screen.getAllByText('error-rate: 1.1% → 20.6%')).toHaveLength(2);
    expect(
      screen.getAllByRole('img', {
        name: 'error-rate: 1.1% before the release, 20.6% after, worse',
      }),
    ).toHaveLength(1);
    expect(
      screen.getAllByRole('img', {
        name: 'p95-latency: 180 ms before the release, 190 ms after',
      }),
    ).toHaveLength(2);
    expect(api.listComparisons).toHaveBeenCalledWith(
      { component: componentRef },
      { limit: 3, cursor: undefined },
    );
  });

  it('says so when Prometheus had no data for a release', async () => {
    const { api, state } = fakeDeliveryApi();
    state.comparisons = [
      comparison({
        metrics: comparison().metrics.map(m => ({
          ...m,
          before: undefined,
          after: undefined,
          worse: false,
          points: [],
        })),
        worse: false,
      }),
    ];
    await renderInTestApp(
      <TestApiProvider apis={[[deliveryApiRef, api]]}>
        <ComponentReleaseComparisons componentRef={componentRef} />
      </TestApiProvider>,
      mountedRoutes,
    );
    expect(
      await screen.findByText(/Prometheus had no data for these windows/),
    ).toBeInTheDocument();
    expect(screen.queryByText('no worse')).not.toBeInTheDocument();
    expect(
      screen.getByText(/compared over 30 min each side/),
    ).toBeInTheDocument();
  });

  it('says how comparisons start when there are none', async () => {
    const { api, state } = fakeDeliveryApi();
    state.comparisons = [];
    await renderInTestApp(
      <TestApiProvider apis={[[deliveryApiRef, api]]}>
        <ComponentReleaseComparisons componentRef={componentRef} />
      </TestApiProvider>,
      mountedRoutes,
    );
    expect(
      await screen.findByText(/No release has been compared yet/),
    ).toBeInTheDocument();
  });

  it('lists the releases that made things worse on the organisation page, linked to their Delivery tab', async () => {
    const { api, state } = fakeDeliveryApi();
    state.comparisons = [
      comparison(),
      comparison({ promotionId: 'x', worse: false }),
    ];
    await renderInTestApp(
      <TestApiProvider apis={[[deliveryApiRef, api]]}>
        <WorseReleases />
      </TestApiProvider>,
      mountedRoutes,
    );
    const link = await screen.findByRole('link', { name: 'payments-api' });
    expect(link).toHaveAttribute(
      'href',
      '/catalog/default/component/payments-api/delivery',
    );
    expect(
      screen.getByText('error-rate: 1.1% → 20.6% (worse)'),
    ).toBeInTheDocument();
    expect(screen.getAllByRole('row')).toHaveLength(2);
  });
});
