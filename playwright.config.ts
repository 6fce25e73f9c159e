import { defineConfig } from '@playwright/test';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * End-to-end tests in Debian's Chromium (no Playwright browser download).
 * `make e2e` (part of `make test`) installs Chromium with apt when missing,
 * then starts a fresh backend and frontend dev server on their own ports
 * (app-config.e2e.yaml), so that the tests begin from the demo data every
 * time and do not meet a running `make start`.
 */
// With the test cluster of scripts/kube-test-cluster.sh (DELIVERY_TEST_KUBECONFIG,
// always set in CI), the portal also reads live state from it and manages
// preview namespaces in it, through the configuration the script writes, and
// analyses releases with Prometheus as `make start-kubernetes` does
// (app-config.prometheus.yaml; the e2e config moves it to its own port).
const kubeconfig = process.env.DELIVERY_TEST_KUBECONFIG;
const clusterConfig =
  kubeconfig && join(dirname(kubeconfig), 'app-config.yaml');
const withCluster = Boolean(clusterConfig && existsSync(clusterConfig));
const CONFIG = [
  resolve(__dirname, 'app-config.yaml'),
  ...(withCluster
    ? [resolve(__dirname, 'app-config.prometheus.yaml'), clusterConfig!]
    : []),
  resolve(__dirname, 'app-config.e2e.yaml'),
]
  .map(file => `--config ${file}`)
  .join(' ');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'packages/app/e2e-tests',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'e2e-test-report/html' }],
  ],
  outputDir: 'e2e-test-report/results',
  webServer: [
    {
      // GitHub for the portal (app-config.e2e.yaml): examples/onboarding's
      // repositories, read-only.
      command: 'node scripts/github-stand-in.mjs --port 7018',
      url: 'http://127.0.0.1:7018/repos/acme/legacy-orders/commits/main/status',
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `yarn backstage-cli repo start backend ${CONFIG}`,
      url: 'http://localhost:7017/.backstage/health/v1/readiness',
      reuseExistingServer: false,
      timeout: 180_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `yarn backstage-cli repo start app ${CONFIG}`,
      url: 'http://localhost:3017',
      reuseExistingServer: false,
      timeout: 600_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: { BROWSER: 'none' },
    },
  ],
  use: {
    baseURL: 'http://localhost:3017',
    viewport: { width: 1440, height: 900 },
    actionTimeout: 30_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    },
  },
  projects: [{ name: 'chromium' }],
});
