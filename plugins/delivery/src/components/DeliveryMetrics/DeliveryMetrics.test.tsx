import { ResponseError } from '@backstage/errors';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DeliveryApi, deliveryApiRef } from '../../api';
import { doraMetrics, fakeDeliveryApi } from '../../testing/fixtures';
import { DeliveryMetrics } from './DeliveryMetrics';

jest.setTimeout(30_000);

function render(
  api: DeliveryApi,
  scope = { component: 'component:default/payments-api' },
) {
  return renderInTestApp(
    <TestApiProvider apis={[[deliveryApiRef, api]]}>
      <DeliveryMetrics scope={scope} />
    </TestApiProvider>,
  );
}

const key = (title: string) => screen.getByRole('group', { name: title });

describe('DeliveryMetrics', () => {
  it('shows the four keys with what they are made of and their definitions', async () => {
    const { api } = fakeDeliveryApi();
    await render(api);

    await screen.findByRole('group', { name: 'Deployment frequency' });
    expect(api.getDoraMetrics).toHaveBeenCalledWith({
      component: 'component:default/payments-api',
      days: 30,
    });
    expect(key('Deployment frequency')).toHaveTextContent(
      '2.8 per week12 production releases in 30 daysDaily (high)',
    );
    expect(key('Lead time for changes')).toHaveTextContent(
      '3 h 20 minmedian; p90 1 d 2 h, over 12 releases',
    );
    expect(key('Change failure rate')).toHaveTextContent(
      '15.4 %2 of 13 production changes failed',
    );
    expect(key('Time to restore')).toHaveTextContent(
      '45 minmedian over 1 restored of 2 incidents; 1 still open',
    );
    expect(key('Lead time for changes')).toHaveTextContent(
      'From the commit time of the exact artifact released.',
    );
    expect(
      screen.getByRole('img', { name: 'Production releases per day' }),
    ).toBeInTheDocument();

    // The pipeline: time to each environment, refusals by gate, waits, evidence.
    const toEnvironment = screen.getByRole('table', {
      name: 'Build to environment',
    });
    expect(
      within(toEnvironment).getByRole('row', { name: /production/ }),
    ).toHaveTextContent('production (12)1 d 1 h2 d');
    expect(screen.getByText('9 of 60 requests (15 %)')).toBeInTheDocument();
    expect(
      within(screen.getByRole('table', { name: 'Refusals by gate' }))
        .getAllByRole('row')
        .map(r => r.textContent),
    ).toEqual(['Soak time5', 'Required evidence3', 'Deploy window1']);
    expect(screen.getByText('1 h 30 min')).toBeInTheDocument();
    expect(
      within(
        screen.getByRole('table', { name: 'Evidence failures' }),
      ).getByRole('row', { name: /unit-test/ }),
    ).toHaveTextContent('unit-test5 of 50 (10 %)');
    expect(
      screen.getByRole('img', { name: 'Change failure rate (%)' }),
    ).toBeInTheDocument();
  });

  it('asks again for another window, by weeks beyond a month', async () => {
    const { api } = fakeDeliveryApi();
    await render(api, { owner: 'group:default/team-payments' } as any);
    await screen.findByRole('group', { name: 'Deployment frequency' });

    await userEvent.click(screen.getByLabelText('Window'));
    await userEvent.click(screen.getByRole('option', { name: 'Last 90 days' }));

    await waitFor(() =>
      expect(api.getDoraMetrics).toHaveBeenLastCalledWith({
        owner: 'group:default/team-payments',
        days: 90,
      }),
    );
    expect(
      await screen.findByRole('img', { name: 'Production releases per week' }),
    ).toBeInTheDocument();
    expect(key('Deployment frequency')).toHaveTextContent('Weekly (medium)');
  });

  it('says so when nothing reached production, with dashes instead of numbers', async () => {
    const { api } = fakeDeliveryApi();
    const empty = doraMetrics(30);
    api.getDoraMetrics.mockResolvedValue({
      ...empty,
      deploymentFrequency: {
        deployments: 0,
        perDay: 0,
        perWeek: 0,
        band: 'none',
      },
      leadTime: { samples: 0 },
      changeFailureRate: { changes: 0, failures: 0 },
      timeToRestore: { incidents: 0, restored: 0, open: 0 },
      series: empty.series.map(b => ({
        start: b.start,
        deployments: 0,
        changes: 0,
        failures: 0,
      })),
    });
    await render(api);

    expect(
      await screen.findByText(/No production changes in the last 30 days/),
    ).toBeInTheDocument();
    expect(
      within(key('Deployment frequency')).getByText('—'),
    ).toBeInTheDocument();
    expect(
      within(key('Lead time for changes')).getByText('—'),
    ).toBeInTheDocument();
    expect(key('Deployment frequency')).toHaveTextContent('No releases');
    expect(screen.queryByRole('img')).not.toBeInTheDocument();
  });

  it("shows the backend's error", async () => {
    const { api } = fakeDeliveryApi();
    api.getDoraMetrics.mockRejectedValue(
      await ResponseError.fromResponse(
        new Response(
          JSON.stringify({
            error: {
              name: 'InputError',
              message:
                'Give one of component, owner or system, not component and owner',
            },
          }),
          { status: 400, headers: { 'content-type': 'application/json' } },
        ) as any,
      ),
    );
    await render(api);
    expect(
      await screen.findByText(/Give one of component, owner or system/),
    ).toBeInTheDocument();
  });
});
