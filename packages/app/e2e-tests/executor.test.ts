import { ChildProcess, execFileSync, spawn } from 'node:child_process';
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
// (its app-config.yaml: a native canary in dev), scripts/demo-cluster.mjs
// seeds product-catalog's workloads, plays the kubelet and serves their
// metrics, and a real Prometheus (scripts/prometheus.sh, on its own port)
// scrapes them for the analysis, as `make start-kubernetes` does.
const kubeconfig = process.env.DELIVERY_TEST_KUBECONFIG;
test.skip(
  !kubeconfig,
  'no Kubernetes API server: run scripts/kube-test-cluster.sh start and set DELIVERY_TEST_KUBECONFIG',
);

const BACKEND = 'http://localhost:7017';
const CI = { authorization: 'Bearer local-ci-token-change-me' };
const DIGEST = `sha256:${'fe'.repeat(32)}`;
const COMPONENT = 'component:default/product-catalog';
const ROOT = resolve(__dirname, '../../..');
const DOCS = `${ROOT}/docs/screenshots`;
/** The e2e Prometheus (app-config.e2e.yaml) and the demo metrics it scrapes. */
const PROMETHEUS_ENV = {
  ...process.env,
  DELIVERY_PROMETHEUS_PORT: '9097',
  DELIVERY_PROMETHEUS_DATA: `${ROOT}/e2e-test-report/prometheus`,
  DELIVERY_DEMO_METRICS: '127.0.0.1:9467',
  DELIVERY_BACKEND_ADDRESS: '127.0.0.1:7017',
};
const prometheus = (command: 'start' | 'stop') =>
  execFileSync(`${ROOT}/scripts/prometheus.sh`, [command], {
    env: PROMETHEUS_ENV,
    stdio: ['ignore', 'pipe', 'inherit'],
  });

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
  prometheus('stop');
});

test('pressing Promote deploys the build as a canary judged by Prometheus, the ladder follows it to release, and the release is compared before and after', async ({
  page,
  request,
}) => {
  test.setTimeout(360_000);
  prometheus('start');
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
      '--metrics-port',
      '9467',
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

  // The new build answers as fast as ever? No: 400 ms a request, under the
  // 500 ms threshold (the canary passes), but worse than the 120 ms before.
  await expect
    .poll(
      async () =>
        (
          await request
            .post(
              `http://127.0.0.1:9467/faults?digest=${DIGEST}&errorRatio=0.005&latency=0.4`,
            )
            .catch(() => undefined)
        )?.status(),
      { timeout: 30_000 },
    )
    .toBe(200);

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

  // The executor's progress shows on the ladder without a reload: a canary
  // of a quarter, then half of the pods, each step analysed with Prometheus.
  const progress = dev.getByRole('status');
  await expect(progress).toContainText(
    'deployment/product-catalog: canary, step 2 of 3, 50% on the new version',
    { timeout: 90_000 },
  );
  await expect
    .poll(
      async () =>
        (
          await (
            await request.get(
              `${BACKEND}/api/delivery/promotions?component=${COMPONENT}&environment=dev&limit=1`,
              { headers: CI },
            )
          ).json()
        ).items[0].deployment?.progress?.message ?? '',
      { timeout: 30_000, intervals: [250] },
    )
    .toMatch(
      /^analysis at canary step 2 passed: error-rate = 0\.5% \(at most 5%\).*p95-latency = 490 ms \(at most 500 ms\)/,
    );
  await page.screenshot({
    path: `${screenshots}/delivery-executor-rollout.png`,
  });
  await dev.screenshot({ path: `${DOCS}/delivery-canary.png` });

  // Released: the column says so, and the cluster runs the new digest.
  await expect(dev.getByText('Under way')).toHaveCount(0, {
    timeout: 120_000,
  });
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

  // Half a minute after it went live, the release is compared with what ran
  // before it: p95 latency went from 195 ms to 490 ms, worse.
  await expect
    .poll(
      async () =>
        (
          await (
            await request.get(
              `${BACKEND}/api/delivery/comparisons?component=${COMPONENT}&environment=dev&limit=1`,
              { headers: CI },
            )
          ).json()
        ).items[0]?.version,
      { timeout: 120_000, intervals: [2_000] },
    )
    .toBe('0.8.0');
  await page.reload();
  await expect(
    page.getByRole('heading', { name: '0.8.0 → dev' }),
  ).toBeVisible();
  await expect(page.getByText('made it worse')).toBeVisible();
  await expect(page.getByText('p95-latency: 195 ms → 490 ms')).toBeVisible();
  await page
    .getByText('Before and after each release')
    .scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${DOCS}/delivery-before-after.png` });

  // The organisation page lists it among the releases that made things worse.
  await page.goto('/delivery');
  const worse = page.getByRole('table', {
    name: 'Releases that made things worse',
  });
  await expect(
    worse.getByRole('link', { name: 'product-catalog' }),
  ).toBeVisible();
  await expect(
    worse.getByText('p95-latency: 195 ms → 490 ms (worse)'),
  ).toBeVisible();
  await worse.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${DOCS}/delivery-worse-releases.png` });
});
