import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { deliveryApiRef } from '../../api';
import {
  componentRef,
  fakeDeliveryApi,
  pendingPromotion,
} from '../../testing/fixtures';
import { PromotionHistory } from './PromotionHistory';

// Rendering a whole test app and typing into it is slow on a busy 2-core machine.
jest.setTimeout(30_000);

describe('PromotionHistory', () => {
  it('shows each promotion with its gates, approvals and rollout, and filters on the server', async () => {
    const { api } = fakeDeliveryApi();
    api.listPromotions.mockResolvedValue({
      items: [
        pendingPromotion({
          state: 'failed',
          outcome: 'verification failed: error rate 12% exceeds 5%',
          approvals: {
            required: 1,
            received: 1,
            decisions: [
              {
                by: 'user:default/carol',
                decision: 'approve',
                comment: 'ok',
                at: new Date().toISOString(),
              },
            ],
          },
          events: [
            {
              type: 'deploying',
              reportedBy: 'github-actions',
              at: new Date().toISOString(),
            },
            {
              type: 'verifying',
              reportedBy: 'github-actions',
              at: new Date().toISOString(),
              metrics: { errorRate: 0.12, restarts: 1, p95LatencyMs: 420 },
            },
          ],
        }),
      ],
    });
    await renderInTestApp(
      <TestApiProvider apis={[[deliveryApiRef, api]]}>
        <PromotionHistory
          componentRef={componentRef}
          environments={[
            { name: 'dev', title: 'Development' },
            { name: 'production', title: 'Production' },
          ]}
          version={0}
        />
      </TestApiProvider>,
    );

    await userEvent.click(
      await screen.findByRole('button', { name: 'production failed 1.43.0' }),
    );
    expect(
      screen.getByText(
        'Outcome: verification failed: error rate 12% exceeds 5%',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText(/Approved by carol .*: ok/)).toBeInTheDocument();
    expect(
      screen.getByText(/verifying .* — error rate 12%, 1 restarts, p95 420 ms/),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('Gates')).toHaveTextContent(
      'approvals: needs 1 approval',
    );

    await userEvent.click(screen.getByRole('button', { name: /Outcome/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Refused, failed, rejected' }),
    );
    await waitFor(() =>
      expect(api.listPromotions).toHaveBeenLastCalledWith(
        {
          component: componentRef,
          environment: undefined,
          state: ['refused', 'failed', 'rejected', 'errored'],
        },
        { limit: 10, cursor: undefined },
      ),
    );
  });
});
