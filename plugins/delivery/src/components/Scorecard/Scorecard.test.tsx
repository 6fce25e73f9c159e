import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import { deliveryApiRef } from '../../api';
import { componentRef, fakeDeliveryApi } from '../../testing/fixtures';
import { ComponentScorecard, ScorecardSummaryCard } from './Scorecard';

jest.setTimeout(30_000);

describe('ComponentScorecard', () => {
  it('lists each check with its status in words, its reason, and a fix link when it fails', async () => {
    const { api } = fakeDeliveryApi();
    await renderInTestApp(
      <TestApiProvider apis={[[deliveryApiRef, api]]}>
        <ComponentScorecard componentRef={componentRef} />
      </TestApiProvider>,
    );

    expect(
      await screen.findByText('1 of 2 applicable checks pass'),
    ).toBeInTheDocument();
    expect(api.getScorecard).toHaveBeenCalledWith(componentRef);
    const failing = screen.getByRole('listitem', {
      name: 'Production releases carry verified signature and provenance',
    });
    expect(failing).toHaveTextContent(
      'Production releases carry verified signature and provenance — fails',
    );
    expect(failing).toHaveTextContent(
      'the production release has no passed provenance evidence',
    );
    expect(
      within(failing).getByRole('link', { name: /^How to fix/ }),
    ).toHaveAttribute('href', 'https://docs.example.com/signing');
    const passing = screen.getByRole('listitem', {
      name: 'Releases go through the ladder without skipping',
    });
    expect(passing).toHaveTextContent('— passes');
    expect(
      within(passing).queryByRole('link', { name: /^How to fix/ }),
    ).not.toBeInTheDocument();
    expect(
      screen.getByRole('listitem', {
        name: 'Production incidents were restored within the target',
      }),
    ).toHaveTextContent('— not applicable');
  });
});

describe('ScorecardSummaryCard', () => {
  it('shows the share passing each check and ranks the owners', async () => {
    const { api } = fakeDeliveryApi();
    await renderInTestApp(
      <TestApiProvider apis={[[deliveryApiRef, api]]}>
        <ScorecardSummaryCard scope={{ owner: undefined }} />
      </TestApiProvider>,
    );

    expect(
      await screen.findByText('Scorecards of 4 components'),
    ).toBeInTheDocument();
    const checks = screen.getByRole('table', { name: 'Checks passing' });
    expect(
      within(checks).getByRole('row', { name: /ladder without skipping/ }),
    ).toHaveTextContent('3 of 4 (75 %)');
    expect(
      within(checks).getByRole('row', { name: /restored within the target/ }),
    ).toHaveTextContent('not applicable yet');
    expect(
      within(screen.getByRole('table', { name: 'Owners' }))
        .getAllByRole('row')
        .map(r => r.textContent),
    ).toEqual([
      'OwnerFail no check',
      'team-storefront2 of 2 (100 %)',
      'team-payments1 of 2 (50 %)',
    ]);
  });
});
