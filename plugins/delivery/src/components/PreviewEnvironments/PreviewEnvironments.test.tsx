import { ResponseError } from '@backstage/errors';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { SWRConfig } from 'swr';
import { DeliveryApi, deliveryApiRef } from '../../api';
import { useDeliveryPermissions } from '../../hooks/useDeliveryPermissions';
import {
  componentRef,
  entity,
  fakeDeliveryApi,
  preview,
} from '../../testing/fixtures';
import { lifetimeText, PreviewEnvironments } from './PreviewEnvironments';

jest.setTimeout(30_000);

function Previews() {
  const permissions = useDeliveryPermissions(componentRef);
  return (
    <PreviewEnvironments
      entity={entity}
      componentRef={componentRef}
      permissions={permissions}
      version={0}
    />
  );
}

function render(api: DeliveryApi, options: { deny?: boolean } = {}) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [deliveryApiRef, api],
        [
          permissionApiRef,
          mockApis.permission({
            authorize: options.deny
              ? AuthorizeResult.DENY
              : AuthorizeResult.ALLOW,
          }),
        ],
      ]}
    >
      <SWRConfig value={{ provider: () => new Map() }}>
        <Previews />
      </SWRConfig>
    </TestApiProvider>,
    { config: { backend: { baseUrl: 'http://backstage:7007' } } },
  );
}

function rowOf(text: string) {
  return screen.getByText(text).closest('tr')! as HTMLElement;
}

describe('PreviewEnvironments', () => {
  it('lists live previews with their pull request, namespace, state and time left', async () => {
    const { api } = fakeDeliveryApi();
    await render(api);

    await screen.findByRole('table', { name: 'Preview environments' });
    const pr = rowOf('preview-payments-api-pr42-1a2b3c');
    expect(within(pr).getByText('PR #42').closest('a')).toHaveAttribute(
      'href',
      'https://github.com/acme/payments-api/pull/42',
    );
    expect(within(pr).getByText('Ready')).toBeInTheDocument();
    expect(within(pr).getByText('expires in 5 h 1 min')).toBeInTheDocument();
    expect(
      within(pr).getByText(/3 hours ago by github-actions/),
    ).toBeInTheDocument();

    const failed = rowOf('preview-payments-api-feature-fast-refunds-4d5e6f');
    expect(
      within(failed).getByText('feature/fast-refunds'),
    ).toBeInTheDocument();
    expect(within(failed).getByText('Failed')).toBeInTheDocument();
    expect(
      within(failed).getByText('dev-eu: no answer within 3000 ms'),
    ).toBeInTheDocument();
    // A failed preview can be cleaned up, not extended.
    expect(within(failed).queryByRole('button', { name: /Extend/ })).toBeNull();
    expect(
      within(failed).getByRole('button', { name: /Destroy/ }),
    ).toBeEnabled();

    expect(screen.queryByText('preview-payments-api-pr17-0f0f0f')).toBeNull();
    await userEvent.click(screen.getByLabelText('Show deleted'));
    const old = await screen.findByText('preview-payments-api-pr17-0f0f0f');
    expect(within(old.closest('tr')!).getByText('Deleted')).toBeInTheDocument();
    expect(
      within(old.closest('tr')!).getByText('deleted 1 day ago'),
    ).toBeInTheDocument();
    expect(api.listPreviews).toHaveBeenLastCalledWith(componentRef, {
      includeDeleted: true,
      limit: 10,
      cursor: undefined,
    });
  });

  it('extends a preview by the lifetime chosen', async () => {
    const { api } = fakeDeliveryApi();
    await render(api);

    await screen.findByRole('table', { name: 'Preview environments' });
    await userEvent.click(
      screen.getByRole('button', {
        name: 'Extend preview-payments-api-pr42-1a2b3c',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(
      within(dialog).getByText(/It now expires in 5 h 1 min/),
    ).toBeInTheDocument();
    await userEvent.click(within(dialog).getByLabelText('Keep for'));
    await userEvent.click(
      await screen.findByRole('option', { name: '3 days' }),
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Extend' }),
    );

    await waitFor(() =>
      expect(api.extendPreview).toHaveBeenCalledWith('pv-42', '3d'),
    );
    expect(await screen.findByText(/now expires at/)).toBeInTheDocument();
    const pr = rowOf('preview-payments-api-pr42-1a2b3c');
    expect(await within(pr).findByText('expires in 3 d')).toBeInTheDocument();
  });

  it('destroys a preview after confirmation', async () => {
    const { api } = fakeDeliveryApi();
    await render(api);

    await screen.findByRole('table', { name: 'Preview environments' });
    await userEvent.click(
      screen.getByRole('button', {
        name: 'Destroy preview-payments-api-pr42-1a2b3c',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(
      within(dialog).getByText(
        /everything in it are deleted from cluster dev-eu/,
      ),
    ).toBeInTheDocument();
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Destroy' }),
    );

    await waitFor(() =>
      expect(api.destroyPreview).toHaveBeenCalledWith('pv-42'),
    );
    const pr = rowOf('preview-payments-api-pr42-1a2b3c');
    expect(await within(pr).findByText('Deleting')).toBeInTheDocument();
    expect(within(pr).getByText('being deleted')).toBeInTheDocument();
  });

  it('disables extend and destroy, saying why, without the permission', async () => {
    const { api } = fakeDeliveryApi();
    await render(api, { deny: true });

    await screen.findByRole('table', { name: 'Preview environments' });
    const extend = await screen.findByRole('button', {
      name: 'Extend preview-payments-api-pr42-1a2b3c',
    });
    await waitFor(() => expect(extend).toBeDisabled());
    expect(extend).toHaveAttribute(
      'aria-description',
      'You may not extend or destroy preview environments for this component (permission delivery.preview.manage)',
    );
  });

  it('says how pipelines create previews when there are none', async () => {
    const { api, state } = fakeDeliveryApi();
    state.previews = [];
    await render(api);

    expect(
      await screen.findByText(/No live preview environments of payments-api/),
    ).toBeInTheDocument();
    // The snippet is syntax-highlighted, so its text is split across elements.
    await waitFor(() =>
      expect(document.body.textContent).toContain(
        'curl -X POST http://backstage:7007/api/delivery/previews',
      ),
    );
  });

  it('says when the portal has no previews configured', async () => {
    const { api } = fakeDeliveryApi();
    api.listPreviews.mockImplementation(async () => {
      throw await ResponseError.fromResponse(
        new Response(
          JSON.stringify({
            error: { name: 'NotImplementedError', message: 'not configured' },
            request: { method: 'GET', url: '/api/delivery/previews' },
            response: { statusCode: 501 },
          }),
          { status: 501, headers: { 'content-type': 'application/json' } },
        ) as any,
      );
    });
    await render(api);

    expect(
      await screen.findByText(
        /Preview environments are not set up on this portal/,
      ),
    ).toBeInTheDocument();
    expect(screen.queryByLabelText('Show deleted')).toBeNull();
  });

  it('words lifetimes by state', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    expect(
      lifetimeText(preview({ expiresAt: '2026-11-27T11:59:00Z' }), now),
    ).toBe('expired; the reaper deletes it shortly');
    expect(lifetimeText(preview({ state: 'expiring' }), now)).toBe(
      'being deleted',
    );
    expect(
      lifetimeText(
        preview({ state: 'failed', updatedAt: '2026-11-27T10:00:00Z' }),
        now,
      ),
    ).toBe('failed 2 hours ago');
  });
});
