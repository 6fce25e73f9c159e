import { expect, test } from '@playwright/test';
import { screenshots, signInAsGuest } from './helpers';

// The golden-path template in the portal: its form validates, and its delivery
// steps run in the real backend (the ladder comes from the delivery plugin,
// with the scaffolder's own service credentials). app-config.e2e.yaml gives
// GitHub no token, so the run stops at publishing, after those steps.
test('the containerised service template validates its form and runs its delivery steps', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/create');
  const card = page
    .getByRole('article')
    .filter({ hasText: 'Containerised service (Node.js / TypeScript)' });
  await card.getByRole('button', { name: 'Choose' }).click();

  // The service: a name that cannot be a Kubernetes name is refused.
  await page.getByLabel('Name').fill('Orders API');
  await page.getByRole('textbox', { name: 'Owner' }).fill('platform');
  await page
    .getByRole('option', { name: /platform/i })
    .first()
    .click();
  await page.getByRole('textbox', { name: 'System' }).click();
  await page.getByRole('option').first().click();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText(/'Name' must match pattern/)).toBeVisible();
  await page.getByLabel('Name').fill('orders-api');
  await page.getByLabel('Description').fill('Takes orders: "quoted" & #hash');
  await page.getByRole('button', { name: 'Next' }).click();

  // Delivery: the ladder.
  await expect(page.getByText('Environment ladder')).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();

  // Repository.
  await page.getByRole('textbox', { name: 'Owner' }).fill('acme');
  await page.keyboard.press('Tab');
  await page.getByRole('textbox', { name: 'Repository' }).fill('orders-api');
  await page.keyboard.press('Tab');
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(
    page.getByRole('row', { name: /Environment ladder\s+Standard/ }),
  ).toBeVisible();
  await page.screenshot({ path: `${screenshots}/create-service.png` });

  await page.getByRole('button', { name: 'Create' }).click();
  for (const step of [
    'Resolve the environment ladder',
    'Delivery annotations',
    'Render the skeleton',
    'Kubernetes overlays per environment',
  ]) {
    await expect(page.getByText(step, { exact: true })).toBeVisible();
  }
  await expect(
    page.getByText(/No token available for host: github\.com/).first(),
  ).toBeVisible();
  // The ladder step's log line, found with the log's search box.
  await page.getByPlaceholder('Search').fill('follows the standard ladder');
  await expect(
    page.getByText(
      'component:default/orders-api follows the standard ladder: dev (namespace orders-api-dev) → staging (namespace orders-api-staging) → production (namespace orders-api-production)',
      { exact: false },
    ),
  ).toBeVisible();
  await page.getByPlaceholder('Search').fill('');
  await expect(
    page.getByText('Finished step Kubernetes overlays per environment'),
  ).toBeVisible();
  await expect(
    page.getByText('Skipping step register because a previous step failed'),
  ).toBeVisible();
});
