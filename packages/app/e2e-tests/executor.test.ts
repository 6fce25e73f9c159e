import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  APIRequestContext,
  expect,
  request as playwrightRequest,
  test,
} from '@playwright/test';
import { openDeliveryTab, screenshots, signInAsGuest } from './helpers';

// Pressing Promote deploys: the standard ladder is carried out by the
// kubernetes executor on the test cluster of scripts/kube-test-cluster.sh
// (its app-config.yaml), and scripts/demo-cluster.mjs seeds product-catalog's
// workloads and plays the kubelet, as `make start-kubernetes` does.
const kubeconfig = process.env.DELIVERY_TEST_KUBECONFIG;
test.skip(
  !kubeconfig,
  'no Kubernetes API server: run scripts/kube-test-cluster.sh start and set DELIVERY_TEST_KUBECONFIG',
);

const BACKEND = 'http://localhost:7017';
const CI = { authorization: 'Bearer local-ci-token-change-me' };
const DIGEST = `sha256:${'fe'.repeat(32)}`;
const COMPONENT = 'component:default/product-catalog';

async function kubernetes(): Promise<APIRequestContext> {
  const text = readFileSync(kubeconfig!, 'utf8');
  return playwrightRequest.newContext({
    baseURL: /server: (\S+)/.exec(text)![1],
    ignoreHTTPSErrors: true,
    extraHTTPHeaders: {
      authorization: `Bearer ${/token: (\S+)/.exec(text)![1]}`,
    },
  });
}

let helper: ChildProcess | undefined;
test.afterAll(() => {
  helper?.kill();
});

test('pressing Promote deploys the build into the cluster and the ladder follows it to release', async ({
  page,
  request,
}) => {
  test.setTimeout(240_000);
  helper = spawn(
    process.execPath,
    [
      resolve(__dirname, '../../../scripts/demo-cluster.mjs'),
      '--kubeconfig',
      kubeconfig!,
      '--backend',
      BACKEND,
      '--component',
      'product-catalog',
    ],
    { stdio: 'inherit' },
  );
  const kube = await kubernetes();
  const deployment =
    '/apis/apps/v1/namespaces/product-catalog-dev/deployments/product-catalog';
  // The helper runs what the demo released in dev, ready.
  await expect
    .poll(
      async () =>
        (
          await (await kube.get(deployment)).json()
        ).status?.availableReplicas,
      {
        timeout: 60_000,
      },
    )
    .toBe(2);

  // CI records a new build with its unit tests.
  const recorded = await request.post(`${BACKEND}/api/delivery/artifacts`, {
    headers: CI,
    data: {
      component: COMPONENT,
      digest: DIGEST,
      imageRepository: 'ghcr.io/acme/product-catalog',
      tags: ['0.8.0'],
      commitSha: 'f'.repeat(40),
      sizeBytes: 95_000_000,
    },
  });
  expect(recorded.status()).toBe(201);
  const artifact = await recorded.json();
  expect(
    (
      await request.post(
        `${BACKEND}/api/delivery/artifacts/${artifact.id}/evidence`,
        {
          headers: CI,
          data: {
            kind: 'unit-test',
            result: 'passed',
            summary: { tests: { passed: 120, failed: 0 } },
          },
        },
      )
    ).status(),
  ).toBe(201);

  await signInAsGuest(page);
  await page.goto('/catalog/default/component/product-catalog');
  await openDeliveryTab(page);
  const dev = page.getByRole('region', { name: 'Development' });
  // The new build is the next candidate for dev, and every gate passes.
  await expect(dev.getByText(/^0\.8\.0 sha256:fefefefefefe/)).toBeVisible();
  await expect(dev.getByText('All gates pass')).toBeVisible();
  await dev.getByRole('button', { name: 'Promote to Development' }).click();
  const dialog = page.getByRole('dialog', {
    name: 'Promote 0.8.0 to Development',
  });
  await dialog.getByRole('button', { name: 'Promote' }).click();
  await expect(
    page.getByText(
      'Promotion to Development approved; the portal deploys it now',
    ),
  ).toBeVisible();

  // The executor's progress shows on the ladder without a reload.
  const progress = dev.getByRole('status');
  await expect(progress).toContainText(/Rolling out|Verifying/, {
    timeout: 60_000,
  });
  await page.screenshot({
    path: `${screenshots}/delivery-executor-rollout.png`,
  });

  // Released: the column says so, and the cluster runs the new digest.
  await expect(dev.getByText('Under way')).toHaveCount(0, { timeout: 90_000 });
  await expect(dev.getByText('0.8.0', { exact: true })).toBeVisible();
  const running = await (await kube.get(deployment)).json();
  expect(running.spec.template.spec.containers[0].image).toBe(
    `ghcr.io/acme/product-catalog@${DIGEST}`,
  );
  const promotions = await (
    await request.get(
      `${BACKEND}/api/delivery/promotions?component=${COMPONENT}&environment=dev&limit=1`,
      { headers: CI },
    )
  ).json();
  expect(promotions.items[0]).toMatchObject({
    state: 'succeeded',
    deployment: { executor: 'kubernetes', phase: 'finished' },
  });
  await page.screenshot({
    path: `${screenshots}/delivery-executor-released.png`,
    fullPage: true,
  });
});
