import { expect, Page, test } from '@playwright/test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  fillRepository,
  pickPlatformOwner,
  screenshots,
  signInAsGuest,
  templateCard,
} from './helpers';

// The golden-path template in the portal: its form validates, and its delivery
// steps run in the real backend (the ladder comes from the delivery plugin,
// with the scaffolder's own service credentials). GitHub is the read-only
// stand-in of app-config.e2e.yaml, so the run stops at publishing, after
// those steps.
test('the containerised service template validates its form and runs its delivery steps', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/create');
  await templateCard(page, 'Containerised service (Node.js / TypeScript)')
    .getByRole('button', { name: 'Choose' })
    .click();

  // The service: a name that cannot be a Kubernetes name is refused.
  await page.getByLabel('Name').fill('Orders API');
  await pickPlatformOwner(page);
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
  await fillRepository(page, 'acme', 'orders-api');
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
    page.getByText(/The GitHub stand-in .* only reads repositories/).first(),
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

test('the Create page offers the three golden paths, and the Go service form reaches its review', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/create');
  for (const [title, description] of [
    [
      'Containerised service (Node.js / TypeScript)',
      /TypeScript on Node\.js 22/,
    ],
    ['Go service', /Go \(standard library only\)/],
    [
      'Onboard an existing repository',
      /Nothing in the repository is\s+overwritten/,
    ],
  ] as const) {
    const card = templateCard(page, title);
    await expect(card).toBeVisible();
    await expect(card.getByText(description)).toBeVisible();
  }
  await page.screenshot({
    path: `${screenshots}/create-golden-paths.png`,
    fullPage: true,
  });

  await templateCard(page, 'Go service')
    .getByRole('button', { name: 'Choose' })
    .click();
  await page.getByLabel('Name').fill('stock-api');
  await pickPlatformOwner(page);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Environment ladder').click();
  await page.getByRole('option', { name: /Regulated/ }).click();
  // A CLI package must be pinned to a version.
  await page
    .getByLabel('Delivery CLI package (optional)')
    .fill('@acme/delivery-cli');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(
    page.getByText(/'Delivery CLI package \(optional\)' must match pattern/),
  ).toBeVisible();
  await page.getByLabel('Delivery CLI package (optional)').fill('');
  await page.getByRole('button', { name: 'Next' }).click();
  await fillRepository(page, 'acme', 'stock-api');
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(
    page.getByRole('row', { name: /Environment ladder\s+Regulated/ }),
  ).toBeVisible();
  await page.screenshot({ path: `${screenshots}/create-go-service.png` });
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
// into the origin's private file system (emptied first) and hands the editor
// that directory.
async function loadIntoTemplateEditor(page: Page, template: string) {
  const files = templateFiles(
    resolve(__dirname, '../../../templates', template),
  );
  await signInAsGuest(page);
  await page.evaluate(async contents => {
    const root = await navigator.storage.getDirectory();
    for await (const name of (root as any).keys()) {
      await root.removeEntry(name, { recursive: true });
    }
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
}

test('the template editor previews the template with a dry run', async ({
  page,
}) => {
  await loadIntoTemplateEditor(page, 'containerised-service');
  await page.getByLabel('Name').fill('orders-api');
  await pickPlatformOwner(page);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await fillRepository(page, 'acme', 'orders-api');
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

// Onboarding reads github.com/acme/legacy-orders (examples/onboarding, served
// by the stand-in); the dry run shows the pull request's files and what it
// leaves alone.
test("the onboarding template's dry run shows the pull request's files", async ({
  page,
}) => {
  await loadIntoTemplateEditor(page, 'onboard-repository');
  await fillRepository(page, 'acme', 'legacy-orders');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Catalog entry').click();
  await page.getByRole('option', { name: 'Create its catalog entry' }).click();
  await page.getByLabel('Name').fill('legacy-orders');
  await pickPlatformOwner(page);
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByLabel('Health check path')).toHaveValue('/healthz');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();

  await expect(page.getByText('Dry-run results')).toBeVisible();
  await page.getByText('changes', { exact: true }).last().click();
  await expect(
    page.getByText('catalog-info.yaml', { exact: true }).last(),
  ).toBeVisible();
  await expect(
    page.getByText('Dockerfile', { exact: true }).last(),
  ).toBeVisible();
  for (const name of ['.github', 'workflows']) {
    await page.getByText(name, { exact: true }).last().click();
  }
  await page.getByText('build.yaml', { exact: true }).last().click();
  await expect(page.getByText('name: Delivery build')).toBeVisible();
  // Its own CI workflow is not in the change.
  await expect(page.getByText('ci.yml', { exact: true })).toHaveCount(0);
  await page.screenshot({ path: `${screenshots}/onboarding-dry-run.png` });

  // The pull request's description: what it adds and leaves alone.
  await page.getByRole('tab', { name: 'Output' }).click();
  await expect(
    page.getByText('existing Kubernetes manifest, unchanged'),
  ).toBeVisible();
  await expect(page.getByText('existing workflow, unchanged')).toBeVisible();
  // The log: each file the pull request adds (a diff for those it changes).
  await page.getByRole('tab', { name: 'Log' }).click();
  await page.getByText('Keep what the repository lacks').click();
  await expect(
    page.getByText('new file: .github/workflows/build.yaml'),
  ).toBeVisible();
  await page.screenshot({
    path: `${screenshots}/onboarding-dry-run-log.png`,
  });
});
