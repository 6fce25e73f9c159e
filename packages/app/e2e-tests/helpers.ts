import { expect, Page } from '@playwright/test';

/** Where the tests leave screenshots (kept with the HTML report). */
export const screenshots = 'e2e-test-report/screenshots';

/** Signs in as the guest user of app-config.yaml (a member of team-payments). */
export async function signInAsGuest(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(
    page.getByRole('heading', { name: 'Delivery for Backstage Catalog' }),
  ).toBeVisible();
}
