import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  TestApiProvider,
  renderInTestApp,
} from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { DeliveryApi, deliveryApiRef } from '../../api';
import { EntityDeliveryContent } from './EntityDeliveryContent';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    annotations: {
      'delivery.backstage.io/ladder': 'regulated',
      'backstage.io/kubernetes-id': 'payments',
    },
  },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};

function render(deliveryApi: DeliveryApi, subject: Entity = entity) {
  return renderInTestApp(
    <TestApiProvider apis={[[deliveryApiRef, deliveryApi]]}>
      <EntityProvider entity={subject}>
        <EntityDeliveryContent />
      </EntityProvider>
    </TestApiProvider>,
  );
}

describe('EntityDeliveryContent', () => {
  it("shows the component's ladder, Kubernetes id and the ledger it talks to", async () => {
    await render({
      getHealth: async () => ({
        status: 'ok',
        database: { client: 'pg', latencyMs: 1.5 },
      }),
    });

    expect(screen.getByText('regulated')).toBeInTheDocument();
    expect(screen.getByText('payments')).toBeInTheDocument();
    expect(await screen.findByText('connected')).toBeInTheDocument();
    expect(screen.getByText('pg')).toBeInTheDocument();
    expect(screen.getByText('1.5 ms')).toBeInTheDocument();
    expect(screen.getByText('No builds recorded yet')).toBeInTheDocument();
  });

  it('names the default ladder when the component does not pick one', async () => {
    await render(
      {
        getHealth: async () => ({
          status: 'ok',
          database: { client: 'pg', latencyMs: 1 },
        }),
      },
      {
        ...entity,
        metadata: {
          name: 'checkout',
          annotations: { 'backstage.io/kubernetes-id': 'checkout' },
        },
      },
    );

    expect(screen.getByText('default ladder')).toBeInTheDocument();
    expect(await screen.findByText('connected')).toBeInTheDocument();
  });

  it('shows the error the backend gave when the ledger is unreachable', async () => {
    const response = new Response(
      JSON.stringify({
        error: { name: 'Error', message: 'database is down' },
        request: { method: 'GET', url: '/api/delivery/health' },
        response: { statusCode: 503 },
      }),
      { status: 503, headers: { 'content-type': 'application/json' } },
    );
    const error = await ResponseError.fromResponse(response);

    await render({ getHealth: async () => Promise.reject(error) });

    expect(await screen.findByText(/database is down/)).toBeInTheDocument();
    expect(screen.queryByText('connected')).not.toBeInTheDocument();
  });
});
