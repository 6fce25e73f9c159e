import { createApp } from '@backstage/app-defaults';
import { FlatRoutes } from '@backstage/core-app-api';
import { createApiFactory } from '@backstage/core-plugin-api';
import {
  CatalogEntityPage,
  CatalogIndexPage,
  catalogPlugin,
  EntityLayout,
} from '@backstage/plugin-catalog';
import {
  catalogApiRef,
  starredEntitiesApiRef,
} from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { render, screen, within } from '@testing-library/react';
import { Route } from 'react-router-dom';
import { deliveryApiRef } from './api';
import {
  deliveryPlugin,
  EntityDeliveryCard,
  EntityDeliveryContent,
} from './plugin';
import { entity, fakeDeliveryApi } from './testing/fixtures';

// A whole legacy app boots in this test: slow on a busy 2-core machine.
jest.setTimeout(60_000);

/**
 * The legacy frontend exports, mounted as a legacy app mounts them: an app
 * from `createApp`, the catalog's routes, and its `EntityLayout` with the
 * card on the overview and the tab as an `EntityLayout.Route`.
 */
function renderLegacyApp(path: string) {
  const { api } = fakeDeliveryApi();
  const app = createApp({
    apis: [
      createApiFactory(deliveryApiRef, api),
      createApiFactory(permissionApiRef, {
        authorize: async () => ({ result: AuthorizeResult.ALLOW }),
        authorizeConditional: async () => ({ result: AuthorizeResult.ALLOW }),
      } as any),
      createApiFactory(catalogApiRef, catalogApiMock({ entities: [entity] })),
      createApiFactory(starredEntitiesApiRef, {
        toggleStarred: async () => {},
        starredEntitie$: () => ({
          subscribe: () => ({ unsubscribe: () => {}, closed: true }),
          [Symbol.observable]() {
            return this;
          },
        }),
      } as any),
    ],
    plugins: [catalogPlugin, deliveryPlugin],
    configLoader: async () => [
      {
        context: 'test',
        data: {
          app: { title: 'Legacy app', baseUrl: 'http://localhost' },
          backend: { baseUrl: 'http://localhost:7007' },
        },
      },
    ],
  });
  const AppProvider = app.getProvider();
  const AppRouter = app.getRouter();
  window.history.pushState({}, '', path);
  render(
    <AppProvider>
      <AppRouter>
        <FlatRoutes>
          <Route path="/catalog" element={<CatalogIndexPage />} />
          <Route
            path="/catalog/:namespace/:kind/:name"
            element={<CatalogEntityPage />}
          >
            <EntityLayout>
              <EntityLayout.Route path="/" title="Overview">
                <EntityDeliveryCard />
              </EntityLayout.Route>
              <EntityLayout.Route path="/delivery" title="Delivery">
                <EntityDeliveryContent />
              </EntityLayout.Route>
            </EntityLayout>
          </Route>
        </FlatRoutes>
      </AppRouter>
    </AppProvider>,
  );
  return api;
}

describe('the delivery plugin in a legacy app', () => {
  it('shows the Delivery card on the entity overview', async () => {
    const api = renderLegacyApp('/catalog/default/component/payments-api');
    expect(await screen.findByRole('tab', { name: 'Delivery' })).toBeVisible();
    // The card, with its link into the tab that the legacy route mounts.
    expect(
      await screen.findByText(
        /1\.43\.0 to Production is awaiting your approval/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Review it' })).toHaveAttribute(
      'href',
      '/catalog/default/component/payments-api/delivery',
    );
    expect(api.getOverview).toHaveBeenCalledWith(
      'component:default/payments-api',
    );
  });

  it('shows the environment ladder on the Delivery tab', async () => {
    renderLegacyApp('/catalog/default/component/payments-api/delivery');
    const production = await screen.findByRole(
      'region',
      { name: 'Production' },
      { timeout: 20_000 },
    );
    expect(
      within(production).getByRole('button', { name: 'Approve' }),
    ).toBeInTheDocument();
  });
});
