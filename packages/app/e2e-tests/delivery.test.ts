import { expect, Page, test } from '@playwright/test';
import {
  entityTabs as tabs,
  openDeliveryTab,
  screenshots,
  signInAsGuest,
} from './helpers';

// The tests start from the demo ledger of examples/delivery-demo.yaml, on
// their own fresh servers (see playwright.config.ts), and run in order.
test.describe.configure({ mode: 'serial' });

test('the Delivery tab shows the ladder, and a second approver moves a promotion on', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/payments-api');
  await expect(
    page.getByRole('heading', { name: 'Payments API' }),
  ).toBeVisible();
  await openDeliveryTab(page);
  await expect(page).toHaveURL(
    /\/catalog\/default\/component\/payments-api\/delivery$/,
  );

  await expect(
    page.getByRole('heading', {
      name: 'Delivery · Regulated (payments) ladder',
    }),
  ).toBeVisible();
  const dev = page.getByRole('region', { name: 'Development' });
  const staging = page.getByRole('region', { name: 'Staging' });
  const production = page.getByRole('region', { name: 'Production' });

  // Releases per environment: 1.43.0 in dev and staging; production was
  // rolled back to 1.41.0 after 1.42.0 misbehaved.
  await expect(dev.getByText('1.43.0', { exact: true })).toBeVisible();
  await expect(staging.getByText('1.43.0', { exact: true })).toBeVisible();
  await expect(production.getByText('1.41.0', { exact: true })).toBeVisible();
  await expect(production.getByText('rollback', { exact: true })).toBeVisible();
  await expect(
    production.getByLabel(/^unit-test passed; 412 passed, 0 failed/),
  ).toBeVisible();
  // The next candidate for dev is blocked, and says why.
  await expect(
    dev.getByText(/latest unit-test \(14 of 412 tests failed\) failed/),
  ).toBeVisible();
  await expect(
    dev.getByRole('button', { name: 'Promote to Development' }),
  ).toBeDisabled();

  // 1.43.0 waits for a second approval in production; alice gave the first.
  await expect(production.getByText('Awaiting approval')).toBeVisible();
  await expect(
    production.getByText(/1 of 2 approvals \(✓ alice\)/),
  ).toBeVisible();
  await page.screenshot({
    path: `${screenshots}/delivery-tab.png`,
    fullPage: true,
  });

  // Guest is an approver: the pending approval is among their notifications.
  const notifications = await page.context().newPage();
  await notifications.goto('/notifications');
  await expect(
    notifications.getByText(
      'Approval needed: payments-api 1.43.0 → Production',
    ),
  ).toBeVisible();
  await notifications.screenshot({
    path: `${screenshots}/delivery-notifications.png`,
  });
  // A second browser tab on the Delivery tab, which nobody reloads.
  const other = await page.context().newPage();
  await other.goto('/catalog/default/component/payments-api/delivery');
  const otherProduction = other.getByRole('region', { name: 'Production' });
  await expect(otherProduction.getByText('Awaiting approval')).toBeVisible();

  await page.bringToFront();
  await production.getByRole('button', { name: 'Approve' }).click();
  const dialog = page.getByRole('dialog', {
    name: /Approve the promotion of 1\.43\.0 to Production/,
  });
  await expect(dialog.getByText('This changes production.')).toBeVisible();
  await dialog.getByLabel('Comment').fill('Second pair of eyes: LGTM');
  await dialog.getByRole('button', { name: 'Approve' }).click();

  // The view moves on without a reload.
  await expect(dialog).toBeHidden();
  await expect(production.getByText('Approved', { exact: true })).toBeVisible();
  await expect(production.getByRole('button', { name: 'Approve' })).toHaveCount(
    0,
  );
  // The other tab follows within a couple of seconds (the delivery signal),
  // and the notification says nothing is needed any more.
  await expect(
    otherProduction.getByText('Approved', { exact: true }),
  ).toBeVisible({ timeout: 3_000 });
  await notifications.reload();
  await expect(
    notifications.getByText(
      'No approval needed any more: payments-api 1.43.0 → Production',
    ),
  ).toBeVisible();
  await other.close();
  await notifications.close();
  const history = page.getByRole('button', {
    name: 'production approved 1.43.0',
  });
  await expect(history).toBeVisible();
  await history.click();
  await expect(
    page.getByText(/Approved by guest .*: Second pair of eyes: LGTM/),
  ).toBeVisible();
  await page.screenshot({
    path: `${screenshots}/delivery-tab-approved.png`,
    fullPage: true,
  });

  // The golden-path scorecard, with the demo's custom runbook check.
  const checks = page.getByRole('list', { name: 'Scorecard checks' });
  await expect(
    checks.getByRole('listitem', { name: 'Has a runbook' }),
  ).toContainText('Has a runbook — passes');
  await expect(
    checks.getByRole('listitem', {
      name: 'Releases go through the ladder without skipping',
    }),
  ).toContainText('— passes');
  // The newest build (1.44.0-rc.1) was never scanned.
  await expect(
    checks.getByRole('listitem', {
      name: 'Images are pinned by digest and within the vulnerability policy',
    }),
  ).toContainText('— fails');
});

test('the overview card shows the releases per environment', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/checkout-web');
  const card = page.getByRole('table', { name: 'Releases by environment' });
  await expect(
    card.getByRole('row', { name: /Production 2\.9\.0/ }),
  ).toBeVisible();
  await expect(
    card.getByRole('row', { name: /Staging 2\.10\.0/ }),
  ).toBeVisible();
  await page.screenshot({ path: `${screenshots}/delivery-card.png` });
});

test('the organisation page lists components and what waits for the viewer', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/delivery');
  const table = page.getByRole('table', { name: 'Components' });
  await expect(table.getByRole('link', { name: 'Checkout web' })).toBeVisible();
  await expect(table.getByRole('link', { name: 'Payments API' })).toBeVisible();
  await expect(table.getByRole('row', { name: /Payments API/ })).toContainText(
    'Rolled back',
  );
  await page.screenshot({ path: `${screenshots}/delivery-organisation.png` });

  // The organisation's delivery performance, from the demo ledger.
  await expect(
    page.getByRole('group', { name: 'Deployment frequency' }),
  ).toContainText('4 production releases in 30 days');
  await expect(
    page.getByRole('group', { name: 'Change failure rate' }),
  ).toContainText('1 of 4 production changes failed');
  await expect(
    page.getByRole('img', { name: 'Production releases per day' }),
  ).toBeVisible();
  await page
    .locator('.MuiCard-root', {
      hasText: 'Delivery performance: the organisation',
    })
    .screenshot({ path: `${screenshots}/delivery-metrics.png` });

  // Scorecards across the organisation: the runbook only payments-api has.
  const golden = page.locator('.MuiCard-root', {
    hasText: 'Scorecards of 4 components',
  });
  await expect(
    golden
      .getByRole('table', { name: 'Checks passing' })
      .getByRole('row', { name: /Has a runbook/ }),
  ).toContainText('1 of 4 (25 %)');
  await expect(golden.getByRole('table', { name: 'Owners' })).toBeVisible();
  await golden.screenshot({ path: `${screenshots}/delivery-scorecards.png` });

  // Nothing waits for guest any more: they approved the only pending promotion.
  await page.getByRole('checkbox', { name: 'Waiting for my approval' }).check();
  await expect(
    table.getByText('Nothing is waiting for your approval.'),
  ).toBeVisible();
});

test('a component that does not opt in has no Delivery tab', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/status-page');
  await expect(
    page.getByRole('heading', { name: 'Status page' }),
  ).toBeVisible();
  await expect(
    tabs(page).getByRole('link', { name: 'Overview' }),
  ).toBeVisible();
  await expect(tabs(page).getByRole('link', { name: 'Delivery' })).toHaveCount(
    0,
  );
  // Nor a Deployment group that would hold it.
  await expect(
    tabs(page).getByRole('tab', { name: /Delivery|Deployment/ }),
  ).toHaveCount(0);
});
