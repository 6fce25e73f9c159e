import {
  APIRequestContext,
  expect,
  request as playwrightRequest,
  test,
} from '@playwright/test';
import { readFileSync } from 'node:fs';
import { screenshots, signInAsGuest } from './helpers';

// Live state and preview namespaces, against the API server of
// scripts/kube-test-cluster.sh (see playwright.config.ts). Skipped, and
// says so, without one.
const kubeconfig = process.env.DELIVERY_TEST_KUBECONFIG;
test.skip(
  !kubeconfig,
  'no Kubernetes API server: run scripts/kube-test-cluster.sh start and set DELIVERY_TEST_KUBECONFIG',
);
test.describe.configure({ mode: 'serial' });

const BACKEND = 'http://localhost:7017/api/delivery';
const CI_TOKEN = 'local-ci-token-change-me';
const HAND_DEPLOYED = `sha256:${'e'.repeat(64)}`;

/** The test cluster's admin API, as the kubelet and as an operator. */
async function kubernetes(): Promise<APIRequestContext> {
  const text = readFileSync(kubeconfig!, 'utf8');
  const server = /server: (\S+)/.exec(text)![1];
  const token = /token: (\S+)/.exec(text)![1];
  return playwrightRequest.newContext({
    baseURL: server,
    ignoreHTTPSErrors: true,
    extraHTTPHeaders: { authorization: `Bearer ${token}` },
  });
}

async function ensure(kube: APIRequestContext, path: string, body: object) {
  const res = await kube.post(path, { data: body });
  expect([201, 409]).toContain(res.status());
}

/**
 * Runs checkout-web in `namespace` with two pods that run `digest`, one of
 * them restarted twice: creates the deployment, waits for the ReplicaSet
 * controller's pods, and reports their status as a kubelet would.
 */
async function runCheckoutWeb(
  kube: APIRequestContext,
  namespace: string,
  digest: string,
) {
  await ensure(kube, '/api/v1/namespaces', { metadata: { name: namespace } });
  const labels = {
    app: 'checkout-web',
    'backstage.io/kubernetes-id': 'checkout-web',
  };
  await ensure(kube, `/apis/apps/v1/namespaces/${namespace}/deployments`, {
    metadata: { name: 'checkout-web', labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'checkout-web' } },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: 'web', image: 'ghcr.io/acme/checkout-web' }],
        },
      },
    },
  });
  let pods: any[] = [];
  await expect
    .poll(async () => {
      const res = await kube.get(
        `/api/v1/namespaces/${namespace}/pods?labelSelector=app%3Dcheckout-web`,
      );
      pods = (await res.json()).items;
      return pods.length;
    })
    .toBe(2);
  for (const [index, pod] of pods.entries()) {
    const startedAt = new Date(Date.now() - 2 * 3600_000).toISOString();
    const res = await kube.put(
      `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/status`,
      {
        data: {
          ...pod,
          status: {
            phase: 'Running',
            startTime: startedAt,
            conditions: [{ type: 'Ready', status: 'True' }],
            containerStatuses: [
              {
                name: 'web',
                image: 'ghcr.io/acme/checkout-web',
                imageID: `ghcr.io/acme/checkout-web@${digest}`,
                ready: true,
                restartCount: index === 0 ? 2 : 0,
                started: true,
                state: { running: { startedAt } },
              },
            ],
          },
        },
      },
    );
    expect(res.status()).toBe(200);
  }
}

test('the Delivery tab shows what runs in the cluster, drift, and the preview environments', async ({
  page,
  request,
}) => {
  const ci = { authorization: `Bearer ${CI_TOKEN}` };
  const overview = await (
    await request.get(
      `${BACKEND}/overview?component=component:default/checkout-web`,
      { headers: ci },
    )
  ).json();
  const released = (name: string) =>
    overview.environments.find((e: any) => e.environment.name === name).release
      .artifact.digest;

  // dev runs its release; staging runs something deployed by hand.
  const kube = await kubernetes();
  await runCheckoutWeb(kube, 'checkout-web-dev', released('dev'));
  await runCheckoutWeb(kube, 'checkout-web-staging', HAND_DEPLOYED);

  // The pull request's pipeline asks for a preview.
  const created = await request.post(`${BACKEND}/previews`, {
    headers: ci,
    data: {
      component: 'component:default/checkout-web',
      pullRequest: 318,
      ttl: '1d',
    },
  });
  expect(created.status()).toBe(201);
  const preview = await created.json();
  const namespace = await kube.get(`/api/v1/namespaces/${preview.namespace}`);
  expect((await namespace.json()).metadata.labels).toMatchObject({
    'app.kubernetes.io/managed-by': 'backstage-delivery',
  });

  await signInAsGuest(page);
  await page.goto('/catalog/default/component/checkout-web/delivery');
  const dev = page.getByRole('region', { name: 'Development' });
  const staging = page.getByRole('region', { name: 'Staging' });
  // The backend caches live state briefly (delivery.kubernetes.cacheTtl,
  // 15 s): an earlier test that opened checkout-web may have left "nothing
  // runs" in the cache, so reload as a user would until the pods show.
  await expect(async () => {
    await page.reload();
    await expect(dev.getByText('2/2 ready · 2 restarts')).toBeVisible({
      timeout: 5_000,
    });
  }).toPass({ timeout: 60_000 });
  await expect(staging.getByRole('alert')).toContainText(
    `The cluster runs sha256:eeeeeeeeeeee…, not the release ${released(
      'staging',
    ).slice(0, 19)}…, since 2 hours ago.`,
  );
  await expect(
    page
      .getByRole('region', { name: 'Production' })
      .getByText(/Nothing of this component runs in checkout-web-production/),
  ).toBeVisible();

  const previews = page.getByRole('table', { name: 'Preview environments' });
  const row = previews.getByRole('row').filter({ hasText: preview.namespace });
  await expect(row.getByText('Ready')).toBeVisible();
  await expect(
    row.getByText(/^expires in 23 h 59 min|^expires in 1 d$/),
  ).toBeVisible();
  await page.screenshot({
    path: `${screenshots}/delivery-kubernetes.png`,
    fullPage: true,
  });

  await row
    .getByRole('button', { name: `Extend ${preview.namespace}` })
    .click();
  const extend = page.getByRole('dialog', {
    name: `Extend ${preview.namespace}`,
  });
  await extend.getByLabel('Keep for').click();
  await page.getByRole('option', { name: '3 days' }).click();
  await extend.getByRole('button', { name: 'Extend' }).click();
  await expect(extend).toBeHidden();
  await expect(row.getByText(/^expires in (2 d 23 h|3 d)$/)).toBeVisible();

  await row
    .getByRole('button', { name: `Destroy ${preview.namespace}` })
    .click();
  const destroy = page.getByRole('dialog', {
    name: `Destroy ${preview.namespace}?`,
  });
  await destroy.getByRole('button', { name: 'Destroy' }).click();
  await expect(destroy).toBeHidden();
  await expect(row.getByText('Deleting')).toBeVisible();
  // Kubernetes is deleting the namespace.
  await expect
    .poll(async () => {
      const res = await kube.get(`/api/v1/namespaces/${preview.namespace}`);
      return (
        res.status() === 404 ||
        Boolean((await res.json()).metadata.deletionTimestamp)
      );
    })
    .toBe(true);
  await kube.dispose();
});
