import { expect, Page, test } from '@playwright/test';

const screenshots = 'e2e-test-report/screenshots';

async function signInAsGuest(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(
    page.getByRole('heading', { name: 'Delivery for Backstage Catalog' }),
  ).toBeVisible();
}

/** The tabs of an entity page. */
function tabs(page: Page) {
  return page.getByRole('navigation', { name: 'Content navigation' });
}

test('a delivery-enabled component has a Delivery tab showing its settings and the ledger', async ({
  page,
}) => {
  await signInAsGuest(page);

  await page.goto('/catalog/default/component/payments-api');
  await expect(
    page.getByRole('heading', { name: 'Payments API' }),
  ).toBeVisible();

  await tabs(page).getByRole('link', { name: 'Delivery' }).click();
  await expect(page).toHaveURL(
    /\/catalog\/default\/component\/payments-api\/delivery$/,
  );

  const settings = page
    .getByText('Delivery settings')
    .locator('xpath=ancestor::*[contains(@class,"MuiCard-root")][1]');
  await expect(settings.getByText('regulated')).toBeVisible();
  await expect(settings.getByText('payments-api').last()).toBeVisible();

  const ledger = page
    .getByText('Delivery ledger')
    .locator('xpath=ancestor::*[contains(@class,"MuiCard-root")][1]');
  await expect(ledger.getByText('connected')).toBeVisible();
  await expect(ledger.getByText('better-sqlite3')).toBeVisible();
  await expect(page.getByText('No builds recorded yet')).toBeVisible();

  await page.screenshot({
    path: `${screenshots}/delivery-tab.png`,
    fullPage: true,
  });
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
});
