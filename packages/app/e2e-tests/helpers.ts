import { expect, Page } from '@playwright/test';

/** Where the tests leave screenshots (kept with the HTML report). */
export const screenshots = 'e2e-test-report/screenshots';

/** Signs in as the guest user of app-config.yaml (a member of team-payments and team-storefront, not platform). */
export async function signInAsGuest(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(
    page.getByRole('heading', { name: 'Delivery for Backstage Catalog' }),
  ).toBeVisible();
}

/** The tabs of an entity page. */
export function entityTabs(page: Page) {
  return page.getByRole('navigation', { name: 'Content navigation' });
}

/**
 * Opens a component's Delivery tab as a user does: it sits in the
 * "Deployment" group of the entity page's tabs, beside the Kubernetes tab.
 */
export async function openDeliveryTab(page: Page) {
  await entityTabs(page).getByRole('button', { name: 'Deployment' }).click();
  await page
    .getByRole('menu', { name: 'Deployment' })
    .getByRole('menuitemradio', { name: 'Delivery' })
    .click();
}

/**
 * A template's card on the Create page: the innermost block that holds its
 * title and a Choose button.
 */
export function templateCard(page: Page, title: string) {
  return page
    .locator('div')
    .filter({ has: page.getByRole('heading', { name: title, exact: true }) })
    .filter({ has: page.getByRole('button', { name: 'Choose' }) })
    .last();
}

/** Picks the platform group in a template form's owner picker. */
export async function pickPlatformOwner(page: Page) {
  await page.getByRole('textbox', { name: 'Owner' }).fill('platform');
  await page
    .getByRole('option', { name: /platform/i })
    .first()
    .click();
}

/** Fills a template form's GitHub repository picker. */
export async function fillRepository(page: Page, owner: string, repo: string) {
  await page.getByRole('textbox', { name: 'Owner' }).fill(owner);
  await page.keyboard.press('Tab');
  await page.getByRole('textbox', { name: 'Repository' }).fill(repo);
  await page.keyboard.press('Tab');
}
