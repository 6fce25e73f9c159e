import { expect, test } from '@playwright/test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

/** The template's files, as the Template Editor reads them from a directory. */
function templateFiles(dir: string): { path: string; text: string }[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory()
      ? templateFiles(path).map(f => ({ ...f, path: `${name}/${f.path}` }))
      : [{ path: name, text: readFileSync(path, 'utf8') }];
  });
}

// The Template Editor's "Load Template Directory" opens a native directory
// picker, which a headless browser cannot show: the test puts the template
// into the origin's private file system and hands the editor that directory.
test('the template editor previews the template with a dry run', async ({
  page,
}) => {
  const files = templateFiles(
    resolve(__dirname, '../../../templates/containerised-service'),
  );
  await signInAsGuest(page);
  await page.evaluate(async contents => {
    const root = await navigator.storage.getDirectory();
    for (const { path, text } of contents) {
      const parts = path.split('/');
      let dir = root;
      for (const part of parts.slice(0, -1)) {
        dir = await dir.getDirectoryHandle(part, { create: true });
      }
      const file = await dir.getFileHandle(parts[parts.length - 1], {
        create: true,
      });
      const writable = await file.createWritable();
      await writable.write(text);
      await writable.close();
    }
  }, files);
  await page.addInitScript(() => {
    (window as any).showDirectoryPicker = () =>
      navigator.storage.getDirectory();
  });
  await page.goto('/create/edit');
  await page.getByText('Load Template Directory').click();
  await expect(page.getByText('template.yaml')).toBeVisible();

  await page.getByLabel('Name').fill('orders-api');
  await page.getByRole('textbox', { name: 'Owner' }).fill('platform');
  await page
    .getByRole('option', { name: /platform/i })
    .first()
    .click();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('textbox', { name: 'Owner' }).fill('acme');
  await page.keyboard.press('Tab');
  await page.getByRole('textbox', { name: 'Repository' }).fill('orders-api');
  await page.keyboard.press('Tab');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();

  await expect(page.getByText('Dry-run results')).toBeVisible();
  for (const name of ['deploy', 'overlays', 'production']) {
    await page.getByText(name, { exact: true }).last().click();
  }
  await page.getByText('kustomization.yaml', { exact: true }).last().click();
  await expect(
    page.getByText('namespace: orders-api-production'),
  ).toBeVisible();
  await page.screenshot({ path: `${screenshots}/template-editor-dry-run.png` });
});
