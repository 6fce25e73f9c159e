import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { deliveryApiRef } from '../../api';
import { entity, fakeDeliveryApi } from '../../testing/fixtures';
import { EntityDeliveryCard } from './EntityDeliveryCard';

// Rendering a whole test app and typing into it is slow on a busy 2-core machine.
jest.setTimeout(30_000);

describe('EntityDeliveryCard', () => {
  it('shows the release per environment and what awaits the viewer', async () => {
    const { api } = fakeDeliveryApi();
    await renderInTestApp(
      <TestApiProvider apis={[[deliveryApiRef, api]]}>
        <EntityProvider entity={entity}>
          <EntityDeliveryCard />
        </EntityProvider>
      </TestApiProvider>,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );

    const table = await screen.findByRole('table', {
      name: 'Releases by environment',
    });
    const rows = [...table.querySelectorAll('tr')].map(r => r.textContent);
    expect(rows[0]).toMatch(/^Development1\.43\.0 /);
    expect(rows[2]).toMatch(
      /^Production1\.41\.0 .*\(rollback\)Awaiting approval$/,
    );
    expect(
      screen.getByText(/1\.43\.0 to Production is awaiting your approval/),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Review it' })).toHaveAttribute(
      'href',
      '/catalog/default/component/payments-api/delivery',
    );
  });

  it('does not claim an approval the viewer may not give', async () => {
    const { api, state } = fakeDeliveryApi();
    state.overview.environments[2].activePromotion!.viewer = {
      canApprove: false,
      reason: 'not a member',
    };
    await renderInTestApp(
      <TestApiProvider apis={[[deliveryApiRef, api]]}>
        <EntityProvider entity={entity}>
          <EntityDeliveryCard />
        </EntityProvider>
      </TestApiProvider>,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );
    expect(
      await screen.findByRole('table', { name: 'Releases by environment' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByText(/awaiting your approval/),
    ).not.toBeInTheDocument();
  });
});
