import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { SWRConfig } from 'swr';
import { deliveryApiRef } from '../../api';
import { useDeliveryPermissions } from '../../hooks/useDeliveryPermissions';
import { componentRef, entity, fakeDeliveryApi } from '../../testing/fixtures';
import { ArtifactsTable } from './ArtifactsTable';

// Rendering a whole test app and typing into it is slow on a busy 2-core machine.
jest.setTimeout(30_000);

function Table(props: { onChanged(): void }) {
  const permissions = useDeliveryPermissions(componentRef);
  return (
    <ArtifactsTable
      entity={entity}
      componentRef={componentRef}
      permissions={permissions}
      version={0}
      onChanged={props.onChanged}
    />
  );
}

describe('ArtifactsTable', () => {
  it('lists builds and opens one with all its evidence; quarantines it with a reason', async () => {
    const { api } = fakeDeliveryApi();
    api.quarantine.mockResolvedValue({} as any);
    const onChanged = jest.fn();
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [deliveryApiRef, api],
          [permissionApiRef, mockApis.permission()],
        ]}
      >
        <SWRConfig value={{ provider: () => new Map() }}>
          <Table onChanged={onChanged} />
        </SWRConfig>
      </TestApiProvider>,
    );

    const table = await screen.findByRole('table', { name: 'Builds' });
    const rows = within(table).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('1.44.0-rc.1');
    expect(rows[1]).toHaveTextContent('unit failed');
    expect(rows[2]).toHaveTextContent('3 passed');
    expect(rows[2]).toHaveTextContent('dev');

    await userEvent.click(
      within(rows[2]).getByRole('button', { name: 'Details of 1.43.0' }),
    );
    const drawer = await screen.findByRole('dialog', { name: 'Build details' });
    expect(
      await within(drawer).findByText('All evidence (3)'),
    ).toBeInTheDocument();
    expect(
      within(drawer).getByRole('table', { name: 'All evidence' }),
    ).toHaveTextContent('image-scan');
    // What the portal verified: signer, source and commit, builder, run, log entry.
    const verified = within(drawer).getByRole('region', {
      name: 'Verified provenance',
    });
    expect(verified).toHaveTextContent(
      'Signed byhttps://github.com/acme/payments-api/.github/workflows/build.yaml@refs/heads/main (https://token.actions.githubusercontent.com)',
    );
    expect(verified).toHaveTextContent(
      'Sourcegithub.com/acme/payments-api@c0ffee123456 (refs/heads/main)',
    );
    expect(verified).toHaveTextContent(
      'Builderhttps://github.com/actions/runner/github-hosted',
    );
    expect(verified).toHaveTextContent('Transparency logentry 152839447');
    expect(
      within(verified).getByRole('link', {
        name: /^github.com\/acme\/payments-api\/actions\/runs\/141\/attempts\/1/,
      }),
    ).toBeInTheDocument();
    expect(api.getArtifact).toHaveBeenCalledWith(
      '00000000-0000-4000-8000-000000000143',
    );

    await userEvent.click(
      within(drawer).getByRole('button', { name: 'Quarantine' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: /Quarantine 1\.43\.0/,
    });
    const confirm = within(dialog).getByRole('button', { name: 'Quarantine' });
    expect(confirm).toBeDisabled(); // a reason is required
    await userEvent.type(
      within(dialog).getByLabelText(/Reason/),
      'CVE-2026-1234',
      { delay: null },
    );
    await userEvent.click(confirm);
    expect(api.quarantine).toHaveBeenCalledWith(
      '00000000-0000-4000-8000-000000000143',
      'CVE-2026-1234',
    );
    expect(onChanged).toHaveBeenCalled();
  });
});
