import { ResponseError } from '@backstage/errors';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { act, screen, waitFor, within } from '@testing-library/react';
import { signalApiRef, SignalApi } from '@backstage/plugin-signals-react';
import userEvent from '@testing-library/user-event';
import { SWRConfig } from 'swr';
import { deliveryApiRef, DeliveryApi } from '../../api';
import { shortDigest } from '../common/format';
import {
  artifact,
  conflict,
  entity,
  fakeDeliveryApi,
  overview,
  pendingPromotion,
} from '../../testing/fixtures';
import { EntityDeliveryContent } from './EntityDeliveryContent';

// Rendering a whole test app and typing into it is slow on a busy 2-core machine.
jest.setTimeout(30_000);

/** A signal API the test drives: it records subscriptions and delivers messages. */
function fakeSignals() {
  const subscribers = new Map<string, Array<(message: any) => void>>();
  const signalApi: SignalApi = {
    subscribe(channel, onMessage) {
      const list = subscribers.get(channel) ?? [];
      list.push(onMessage as (message: any) => void);
      subscribers.set(channel, list);
      return {
        unsubscribe: () =>
          subscribers.set(
            channel,
            (subscribers.get(channel) ?? []).filter(s => s !== onMessage),
          ),
      };
    },
  };
  const send = (channel: string, message: any) =>
    act(() => (subscribers.get(channel) ?? []).forEach(s => s(message)));
  return { signalApi, send, subscribers };
}

function render(
  api: DeliveryApi,
  options: { deny?: boolean; signalApi?: SignalApi; path?: string } = {},
) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [deliveryApiRef, api],
        ...(options.signalApi
          ? [[signalApiRef, options.signalApi] as const]
          : []),
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
      {/* usePermission caches decisions in SWR; each test starts afresh. */}
      <SWRConfig value={{ provider: () => new Map() }}>
        <EntityProvider entity={entity}>
          <EntityDeliveryContent />
        </EntityProvider>
      </SWRConfig>
    </TestApiProvider>,
    {
      config: { backend: { baseUrl: 'http://backstage:7007' } },
      ...(options.path ? { initialRouteEntries: [options.path] } : {}),
    },
  );
}

describe('EntityDeliveryContent', () => {
  it('shows the ladder: releases, evidence, what is under way and what is next', async () => {
    const { api } = fakeDeliveryApi();
    await render(api);

    const dev = await screen.findByRole('region', { name: 'Development' });
    expect(within(dev).getAllByText('1.43.0')[0]).toBeInTheDocument();
    expect(
      within(dev).getByText('commit c0ffee14').closest('a'),
    ).toHaveAttribute(
      'href',
      `https://github.com/acme/payments-api/commit/${'c0ffee143'.padEnd(
        40,
        '0',
      )}`,
    );
    expect(within(dev).getByText('build 143').closest('a')).toHaveAttribute(
      'href',
      'https://ci.example.com/builds/143',
    );
    expect(
      within(dev).getByLabelText(
        /image-scan passed; vulnerabilities: 0 critical, 1 high, 4 medium/,
      ),
    ).toBeInTheDocument();
    expect(
      within(dev).getByLabelText(
        /provenance passed; verified by the portal, signed by https:\/\/github.com\/acme\/payments-api\/.github\/workflows\/build.yaml@refs\/heads\/main \(https:\/\/token.actions.githubusercontent.com\), built by https:\/\/github.com\/actions\/runner\/github-hosted/,
      ),
    ).toBeInTheDocument();
    // The next candidate is blocked, with the reason in words.
    expect(
      within(dev).getByText(
        /dev requires unit-test: latest unit-test \(14 of 412 tests failed\) failed/,
      ),
    ).toBeInTheDocument();
    expect(
      within(dev).getByRole('button', { name: 'Promote to Development' }),
    ).toBeDisabled();

    const production = screen.getByRole('region', { name: 'Production' });
    expect(within(production).getByText('rollback')).toBeInTheDocument();
    expect(
      within(production).getByText('Awaiting approval'),
    ).toBeInTheDocument();
    expect(
      within(production).getByText('0 of 1 approvals'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('img', { name: 'Nothing waiting for Staging' }),
    ).toBeInTheDocument();

    expect(
      await screen.findByRole('table', { name: 'Builds' }),
    ).toBeInTheDocument();
    expect(screen.getByText('unit failed')).toBeInTheDocument();
    expect(
      await screen.findByRole('button', {
        name: 'production awaiting-approval 1.43.0',
      }),
    ).toBeInTheDocument();
    // Who is behind the change, and so may not approve it.
    expect(
      screen.getByText(
        'Behind it, and so not an approver: bob (pushed or started the run, commit author)',
      ),
    ).toBeInTheDocument();
    // One overview call, one page of builds, one page of history.
    expect(api.getOverview).toHaveBeenCalledTimes(1);
    expect(api.listArtifacts).toHaveBeenCalledTimes(1);
    expect(api.listPromotions).toHaveBeenCalledTimes(1);
  });

  it('shows what runs in each cluster, drift from the release, and why a cluster is unknown', async () => {
    const { api } = fakeDeliveryApi();
    await render(api);

    const dev = await screen.findByRole('region', { name: 'Development' });
    expect(within(dev).getByText('2/2 ready · 1 restart')).toBeInTheDocument();
    expect(within(dev).queryByRole('alert')).toBeNull();

    const staging = screen.getByRole('region', { name: 'Staging' });
    expect(
      within(staging).getByText('1/3 ready · 7 restarts'),
    ).toBeInTheDocument();
    expect(
      within(staging).getByText(
        'Available: MinimumReplicasUnavailable — Deployment does not have minimum availability.',
      ),
    ).toBeInTheDocument();
    // The watch of staging is down: read instead, and it says why.
    expect(within(staging).getByLabelText('Not watched')).toHaveTextContent(
      'Read from the cluster, not watched: the watch of pods in payments-api-staging broke: socket hang up',
    );
    expect(within(dev).queryByLabelText('Not watched')).toBeNull();
    const drift = within(staging).getByRole('alert');
    expect(drift).toHaveTextContent(
      `The cluster runs sha256:dddddddddddd…, not the release ${shortDigest(
        artifact('1.43.0', 143).digest,
      )}, since 3 hours ago.`,
    );

    const production = screen.getByRole('region', { name: 'Production' });
    expect(
      within(production).getByText(
        /Live state unknown: timeout: prod-eu: no answer within 3000 ms/,
      ),
    ).toBeInTheDocument();
  });

  it('approves a pending promotion with a comment and updates the view', async () => {
    const { api } = fakeDeliveryApi();
    await render(api);

    const production = await screen.findByRole('region', {
      name: 'Production',
    });
    await userEvent.click(
      within(production).getByRole('button', { name: 'Approve' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(
      within(dialog).getByText('This changes production.'),
    ).toBeInTheDocument();
    await userEvent.type(within(dialog).getByLabelText('Comment'), 'LGTM', {
      delay: null,
    });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve' }),
    );

    expect(api.approve).toHaveBeenCalledWith(
      '11111111-0000-4000-8000-000000000001',
      'LGTM',
    );
    await waitFor(() =>
      expect(
        within(screen.getByRole('region', { name: 'Production' })).getByText(
          'Approved',
        ),
      ).toBeInTheDocument(),
    );
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(api.getOverview).toHaveBeenCalledTimes(2);
  });

  it('shows the reasons when the portal refuses a promotion', async () => {
    const { api } = fakeDeliveryApi();
    const o = overview();
    o.environments[0].candidate!.decision = 'approved';
    o.environments[0].candidate!.gates = [
      { gate: 'ladder', verdict: 'passed', message: 'ok' },
    ];
    api.getOverview.mockResolvedValue(o);
    api.requestPromotion.mockImplementation(() =>
      conflict(
        'Promotion of sha256:aa… to dev refused: [quarantine] it was quarantined by carol 1 min ago: CVE',
      ),
    );
    await render(api);

    const dev = await screen.findByRole('region', { name: 'Development' });
    await userEvent.click(
      within(dev).getByRole('button', { name: 'Promote to Development' }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Promote' }),
    );

    // Shown as the API worded it, visible at once (not behind an expander).
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Promotion of sha256:aa… to dev refused: [quarantine] it was quarantined by carol 1 min ago: CVE',
    );
    expect(api.requestPromotion).toHaveBeenCalledWith({
      component: 'component:default/payments-api',
      digest: o.environments[0].candidate!.artifact.digest,
      environment: 'dev',
      kind: 'normal',
      reason: undefined,
    });
  });

  it('offers a hotfix only where the backend says one would pass, and requests it with a reason', async () => {
    const { api } = fakeDeliveryApi();
    const o = overview();
    const candidate = o.environments[0].candidate!;
    candidate.gates = [
      {
        gate: 'window',
        verdict: 'failed',
        message: 'dev is frozen until Mon 4 Jan 00:00 UTC (Year end)',
      },
    ];
    api.getOverview.mockResolvedValue(o);
    await render(api);
    let dev = await screen.findByRole('region', { name: 'Development' });
    // Refused, but the backend says a hotfix would not pass either.
    expect(
      within(dev).queryByRole('button', { name: 'Request hotfix' }),
    ).not.toBeInTheDocument();

    candidate.hotfixAllowed = true;
    await userEvent.click(
      screen.getByRole('button', { name: 'Refresh delivery' }),
    );
    dev = await screen.findByRole('region', { name: 'Development' });
    await userEvent.click(
      await within(dev).findByRole('button', { name: 'Request hotfix' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent(
      "A hotfix overrides Development's deploy windows and freezes",
    );
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'checkout outage',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Request hotfix' }),
    );
    await waitFor(() =>
      expect(api.requestPromotion).toHaveBeenCalledWith({
        component: 'component:default/payments-api',
        digest: candidate.artifact.digest,
        environment: 'dev',
        kind: 'hotfix',
        reason: 'checkout outage',
      }),
    );
  });

  it('follows a promotion the executor carries out, and reloads the lists once it is released', async () => {
    const { api } = fakeDeliveryApi();
    const rolling = overview();
    const production = rolling.environments[2];
    production.activePromotion = pendingPromotion({
      state: 'deploying',
      approvals: { required: 1, received: 1, decisions: [] },
      viewer: undefined,
      deployment: {
        executor: 'kubernetes',
        phase: 'deploying',
        attempt: 0,
        progress: {
          message:
            'set ghcr.io/acme/payments-api@sha256:… on deployment/payments-api (container app)',
          waitingFor: 'payments-api: 1 of 3 replicas updated',
          since: new Date(Date.now() - 90_000).toISOString(),
          replicas: { desired: 3, updated: 1, ready: 1, available: 1 },
          links: [
            {
              title: 'commit abc1234',
              url: 'https://github.com/acme/payments-api/commit/abc1234',
            },
          ],
        },
      },
    });
    const released = overview();
    released.environments[2].activePromotion = undefined;
    released.environments[2].release!.artifact = artifact('1.43.0', 143);
    api.getOverview.mockResolvedValueOnce(rolling).mockResolvedValue(released);
    await render(api);

    const column = await screen.findByRole('region', { name: 'Production' });
    const status = within(column).getByRole('status', {
      name: 'Rolling out by the Kubernetes executor',
    });
    expect(status).toHaveTextContent(
      'set ghcr.io/acme/payments-api@sha256:… on deployment/payments-api (container app)',
    );
    expect(status).toHaveTextContent(
      'Waiting for payments-api: 1 of 3 replicas updated (1 min)',
    );
    expect(
      within(status).getByLabelText('1 of 3 replicas updated, 1 available'),
    ).toBeInTheDocument();
    expect(
      within(status).getByText('commit abc1234').closest('a'),
    ).toHaveAttribute(
      'href',
      'https://github.com/acme/payments-api/commit/abc1234',
    );
    const listed = api.listArtifacts.mock.calls.length;

    // No reload by the user: the tab refreshes while something is under way.
    await waitFor(
      () =>
        expect(
          within(
            screen.getByRole('region', { name: 'Production' }),
          ).queryByRole('status'),
        ).not.toBeInTheDocument(),
      { timeout: 6000 },
    );
    await waitFor(() =>
      expect(api.listArtifacts.mock.calls.length).toBeGreaterThan(listed),
    );
  });

  it('refreshes when the backend signals a change of the component, without polling', async () => {
    const { api } = fakeDeliveryApi();
    const pending = overview();
    const approved = overview();
    approved.environments[2].activePromotion = {
      ...approved.environments[2].activePromotion!,
      state: 'deploying',
    };
    api.getOverview.mockResolvedValueOnce(pending).mockResolvedValue(approved);
    const signals = fakeSignals();
    await render(api, { signalApi: signals.signalApi });
    const column = await screen.findByRole('region', { name: 'Production' });
    expect(within(column).getByText('Awaiting approval')).toBeInTheDocument();
    expect(
      signals.subscribers.get('delivery:component:default/payments-api'),
    ).toHaveLength(1);
    const calls = api.getOverview.mock.calls.length;

    // Someone approves in another tab; the backend signals the change.
    await signals.send('delivery:component:default/payments-api', {
      componentRef: 'component:default/payments-api',
      type: 'promotion',
      state: 'deploying',
    });
    await waitFor(() =>
      expect(
        within(screen.getByRole('region', { name: 'Production' })).getByText(
          'Deploying',
        ),
      ).toBeInTheDocument(),
    );
    expect(api.getOverview.mock.calls.length).toBe(calls + 1);
    // With signals, a promotion under way is not polled.
    await new Promise(r => setTimeout(r, 3500));
    expect(api.getOverview.mock.calls.length).toBe(calls + 1);
  });

  it('brings the promotion a notification links to into view', async () => {
    const { api } = fakeDeliveryApi();
    const pending = overview().environments[2].activePromotion!;
    const scrolled: string[] = [];
    // jsdom does not scroll: record what the tab brings into view.
    Element.prototype.scrollIntoView = function record(this: Element) {
      scrolled.push(this.id);
    };
    try {
      await render(api, { path: `/?promotion=${pending.id}` });
      await waitFor(() =>
        expect(scrolled).toEqual([`promotion-${pending.id}`]),
      );
      expect(document.activeElement?.id).toBe(`promotion-${pending.id}`);
    } finally {
      delete (Element.prototype as any).scrollIntoView;
    }
  });

  it('shows the steps of an Argo Rollout under way, and promotes it a step', async () => {
    const { api } = fakeDeliveryApi();
    const o = overview();
    o.environments[2].activePromotion = pendingPromotion({
      state: 'deploying',
      viewer: undefined,
      deployment: {
        executor: 'kubernetes',
        phase: 'deploying',
        attempt: 0,
        progress: {
          message:
            'set ghcr.io/acme/payments-api@sha256:… on rollout/payments-api (container app)',
          waitingFor:
            'rollout/payments-api: paused at step 2 of 4, 20% on the new version (CanaryPauseStep); promote it to go on',
          since: new Date().toISOString(),
          rollouts: [
            {
              name: 'payments-api',
              strategy: 'canary',
              phase: 'Paused',
              step: 2,
              steps: 4,
              weight: 20,
              paused: true,
              pauseReasons: ['CanaryPauseStep'],
              aborted: false,
              stable: false,
            },
          ],
        },
      },
    });
    api.getOverview.mockResolvedValue(o);
    await render(api);

    const column = await screen.findByRole('region', { name: 'Production' });
    expect(
      within(column).getByText(
        'rollout/payments-api: canary, step 2 of 4, 20% on the new version, paused (CanaryPauseStep)',
      ),
    ).toBeInTheDocument();
    expect(
      within(column).getByLabelText('20% on the new version'),
    ).toBeInTheDocument();
    await userEvent.click(
      within(column).getByRole('button', { name: 'Promote step' }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Promote step' }),
    );
    await waitFor(() =>
      expect(api.actOnRollout).toHaveBeenCalledWith(
        '11111111-0000-4000-8000-000000000001',
        'promote',
      ),
    );
    expect(
      within(column).getByRole('button', { name: 'Abort rollout' }),
    ).toBeEnabled();
  });

  it('says why the viewer cannot approve', async () => {
    const { api } = fakeDeliveryApi();
    const o = overview();
    o.environments[2].activePromotion!.viewer = {
      canApprove: false,
      reason:
        'user:default/guest requested this promotion and cannot approve or reject it',
    };
    api.getOverview.mockResolvedValue(o);
    await render(api);

    const approve = within(
      await screen.findByRole('region', { name: 'Production' }),
    ).getByRole('button', {
      name: 'Approve',
    });
    expect(approve).toBeDisabled();
    expect(approve).toHaveAttribute(
      'aria-description',
      'user:default/guest requested this promotion and cannot approve or reject it',
    );
  });

  it('disables actions the permission policy denies, saying which permission', async () => {
    const { api } = fakeDeliveryApi();
    await render(api, { deny: true });

    const staging = await screen.findByRole('region', { name: 'Staging' });
    await waitFor(() =>
      expect(
        within(staging).getByRole('button', { name: 'Roll back to 1.41.0' }),
      ).toHaveAttribute(
        'aria-description',
        'You may not roll back for this component (permission delivery.promotion.rollback)',
      ),
    );
  });

  it('explains how CI records the first build when there are none', async () => {
    const { api } = fakeDeliveryApi({
      component: 'component:default/payments-api',
      ladder: { name: 'standard', title: 'Standard' },
      environments: overview().environments.map(e => ({
        environment: e.environment,
      })),
    });
    await render(api);

    expect(
      await screen.findByText('No builds recorded yet'),
    ).toBeInTheDocument();
    // The snippet is syntax-highlighted, so its text is split across elements.
    await waitFor(() =>
      expect(document.body.textContent).toContain(
        'curl -X POST http://backstage:7007/api/delivery/artifacts',
      ),
    );
    expect(document.body.textContent).toContain(
      '"component": "component:default/payments-api"',
    );
  });

  it('says so when the viewer may not read the ledger', async () => {
    const { api } = fakeDeliveryApi();
    const body = JSON.stringify({
      error: {
        name: 'NotAllowedError',
        message: 'Missing permission delivery.ledger.read',
      },
      request: { method: 'GET', url: '/' },
      response: { statusCode: 403 },
    });
    api.getOverview.mockRejectedValue(
      await ResponseError.fromResponse(
        new Response(body, {
          status: 403,
          headers: { 'content-type': 'application/json' },
        }) as any,
      ),
    );
    await render(api);

    expect(
      await screen.findByText(/You may not see this component's delivery/),
    ).toBeInTheDocument();
  });
});
