import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ComponentSummary, deliveryApiRef } from '../../api';
import {
  artifact,
  fakeDeliveryApi,
  pendingPromotion,
} from '../../testing/fixtures';
import { DeliveryPageContent } from './DeliveryPage';

// Rendering a whole test app and typing into it is slow on a busy 2-core machine.
jest.setTimeout(30_000);

const summary = (
  name: string,
  extra: Partial<ComponentSummary> = {},
): ComponentSummary => ({
  component: `component:default/${name}`,
  name,
  owner: 'group:default/team-payments',
  system: 'system:default/commerce',
  ladder: 'standard',
  environments: [
    {
      name: 'dev',
      title: 'Development',
      release: {
        artifact: artifact('1.43.0', 143),
        releasedAt: new Date().toISOString(),
        kind: 'normal',
      },
    },
    {
      name: 'production',
      title: 'Production',
      activePromotion: pendingPromotion(),
    },
  ],
  recentFailures: [
    pendingPromotion({
      id: 'f1',
      state: 'rolled-back',
      artifact: artifact('1.42.0', 142),
    }),
  ],
  ...extra,
});

const catalogApi = catalogApiMock({
  entities: [
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'team-payments' },
      spec: { profile: { displayName: 'Payments' } },
    },
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'System',
      metadata: { name: 'commerce' },
      spec: {},
    },
  ],
});

describe('DeliveryPageContent', () => {
  it('lists components with releases, pending approvals and failures, filtered on the server', async () => {
    const { api } = fakeDeliveryApi();
    api.listComponents.mockImplementation(async (filter, page) => ({
      // The first page has checkout-web; the next page and "waiting for me" payments-api.
      items: [
        summary(
          filter.waitingForMe || page.cursor ? 'payments-api' : 'checkout-web',
        ),
      ],
      nextCursor: page.cursor ? undefined : 'next-page',
      totalItems: 2,
    }));
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [deliveryApiRef, api],
          [catalogApiRef, catalogApi],
        ]}
      >
        <DeliveryPageContent />
      </TestApiProvider>,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );

    const table = await screen.findByRole('table', { name: 'Components' });
    const row = await within(table).findByRole('row', { name: /checkout-web/ });
    expect(
      within(row).getByRole('link', { name: 'checkout-web' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/checkout-web/delivery',
    );
    expect(row).toHaveTextContent('1.43.0');
    expect(row).toHaveTextContent(
      '1.43.0 → Production: 0 of 1 · you can approve',
    );
    expect(row).toHaveTextContent('Rolled back');
    expect(screen.getByText('Page 1 · 2 components')).toBeInTheDocument();
    expect(api.listComponents).toHaveBeenLastCalledWith(
      { owner: undefined, system: undefined, waitingForMe: undefined },
      { limit: 20, cursor: undefined },
    );

    await userEvent.click(
      screen.getByRole('button', { name: 'Next page of components' }),
    );
    expect(
      await within(table).findByRole('row', { name: /payments-api/ }),
    ).toBeInTheDocument();
    expect(api.listComponents).toHaveBeenLastCalledWith(expect.anything(), {
      limit: 20,
      cursor: 'next-page',
    });

    await userEvent.click(
      screen.getByRole('checkbox', { name: 'Waiting for my approval' }),
    );
    await waitFor(() =>
      expect(api.listComponents).toHaveBeenLastCalledWith(
        { owner: undefined, system: undefined, waitingForMe: true },
        { limit: 20, cursor: undefined },
      ),
    );

    await userEvent.click(screen.getByRole('button', { name: /Owner/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Payments' }),
    );
    await waitFor(() =>
      expect(api.listComponents).toHaveBeenLastCalledWith(
        {
          owner: 'group:default/team-payments',
          system: undefined,
          waitingForMe: true,
        },
        { limit: 20, cursor: undefined },
      ),
    );
  });

  it('says when nothing waits for the viewer', async () => {
    const { api } = fakeDeliveryApi();
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [deliveryApiRef, api],
          [catalogApiRef, catalogApi],
        ]}
      >
        <DeliveryPageContent />
      </TestApiProvider>,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );
    await userEvent.click(
      await screen.findByRole('checkbox', { name: 'Waiting for my approval' }),
    );
    expect(
      await screen.findByText('Nothing is waiting for your approval.'),
    ).toBeInTheDocument();
  });
});
