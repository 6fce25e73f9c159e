import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMockDirectory } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import yaml from 'yaml';
import {
  createInspectRepositoryAction,
  createPlanOnboardingAction,
} from './onboarding';

const CATALOG_INFO = `# Owned by the orders team; keep this comment.
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: orders
  annotations:
    github.com/project-slug: acme/orders # the repository
spec:
  type: service
  owner: team-orders
  lifecycle: production
`;

const EXISTING = {
  'package.json': JSON.stringify({
    name: 'orders',
    main: 'server.js',
    scripts: { test: 'node --test' },
  }),
  'server.js': 'require("node:http").createServer().listen(8080)',
  'catalog-info.yaml': CATALOG_INFO,
  '.github/workflows/ci.yml': 'on: push\njobs: {}\n',
  'k8s/deployment.yaml': yaml.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'orders' },
  }),
};

const RENDERED = {
  'catalog-info.yaml': 'apiVersion: backstage.io/v1alpha1\nkind: Component\n',
  '.github/workflows/build.yaml': 'name: Build\n',
  '.github/workflows/deploy.yaml': 'name: Deploy\n',
  '.github/workflows/ci.yml': 'name: would clash\n',
  '.github/actions/delivery-cli/action.yml': 'name: Delivery CLI\n',
  'deploy/base/kustomization.yaml': 'resources: []\n',
  'deploy/overlays/dev/kustomization.yaml': 'resources: [../../base]\n',
  Dockerfile: 'FROM scratch\n',
};

const ANNOTATIONS = {
  'backstage.io/kubernetes-id': 'orders',
  'delivery.backstage.io/ladder': 'regulated',
};

describe('onboarding an existing repository', () => {
  const workspace = createMockDirectory();

  async function inspect(files: Record<string, string>, stack?: string) {
    workspace.setContent({ repository: files });
    const ctx = createMockActionContext({
      workspacePath: workspace.path,
      input: { path: 'repository', ...(stack ? { stack } : {}) },
    });
    await createInspectRepositoryAction().handler(ctx as any);
    return Object.fromEntries(
      (ctx.output as jest.Mock).mock.calls.map(([k, v]) => [k, v]),
    );
  }

  it('detects the stack, its tests, workflows and manifests', async () => {
    expect(await inspect(EXISTING)).toMatchObject({
      stack: 'node',
      detectedFrom: 'package.json',
      dockerfile: false,
      hasTests: true,
      nodeMain: 'server.js',
      workflows: ['.github/workflows/ci.yml'],
      manifests: ['k8s/deployment.yaml'],
      catalogInfo: true,
    });
    expect(
      await inspect({
        'go.mod': 'module github.com/acme/stock\n\ngo 1.22\n',
        'main.go': 'package main',
        'main_test.go': 'package main',
        'package.json': '{}',
      }),
    ).toMatchObject({
      stack: 'go',
      goModule: 'github.com/acme/stock',
      hasTests: true,
    });
    expect(
      await inspect({ Dockerfile: 'FROM scratch', 'app.py': '' }),
    ).toMatchObject({ stack: 'dockerfile', dockerfile: true, hasTests: false });
    // The npm default script is no test.
    expect(
      await inspect({
        'package.json': JSON.stringify({
          scripts: { test: 'echo "Error: no test specified" && exit 1' },
        }),
      }),
    ).toMatchObject({ stack: 'node', hasTests: false, nodeMain: 'index.js' });
  });

  it('says what is missing when the stack cannot be built', async () => {
    await expect(inspect({ 'README.md': '# hi' })).rejects.toThrow(
      'none of go.mod, package.json or a Dockerfile',
    );
    await expect(inspect({ 'package.json': '{}' }, 'go')).rejects.toThrow(
      'no go.mod at its root',
    );
  });

  it('adds only what the repository lacks, annotates its catalog-info.yaml and describes the pull request', async () => {
    workspace.setContent({
      repository: {
        ...EXISTING,
        'deploy/base/deployment.yaml': 'kind: Deployment\n',
      },
      changes: RENDERED,
    });
    const ctx = createMockActionContext({
      workspacePath: workspace.path,
      input: {
        repositoryPath: 'repository',
        changesPath: 'changes',
        componentRef: 'component:default/orders',
        annotations: ANNOTATIONS,
        ladder: 'regulated',
        environments: [
          { name: 'dev', requiredEvidence: ['unit-test'] },
          {
            name: 'production',
            requiredEvidence: [
              'unit-test',
              'contract-test',
              'signature (verified)',
            ],
          },
        ],
      },
    });
    const info = jest.spyOn(ctx.logger, 'info');
    await createPlanOnboardingAction().handler(ctx as any);
    const output = Object.fromEntries(
      (ctx.output as jest.Mock).mock.calls.map(([k, v]) => [k, v]),
    );
    expect(output.added).toEqual([
      '.github/actions/delivery-cli/action.yml',
      '.github/workflows/build.yaml',
      '.github/workflows/deploy.yaml',
      'Dockerfile',
    ]);
    expect(output.modified).toEqual(['catalog-info.yaml']);
    // Its workflow, and the overlays whose folder it already uses.
    expect(output.skipped).toEqual([
      '.github/workflows/ci.yml',
      'deploy/base/kustomization.yaml',
      'deploy/overlays/dev/kustomization.yaml',
    ]);

    const changes = join(workspace.path, 'changes');
    expect(existsSync(join(changes, '.github/workflows/ci.yml'))).toBe(false);
    expect(existsSync(join(changes, 'deploy'))).toBe(true);
    expect(existsSync(join(changes, 'deploy/base/kustomization.yaml'))).toBe(
      false,
    );
    // The catalog-info keeps its comments and gains the annotations.
    const catalogInfo = readFileSync(
      join(changes, 'catalog-info.yaml'),
      'utf8',
    );
    expect(catalogInfo).toContain(
      '# Owned by the orders team; keep this comment.',
    );
    expect(catalogInfo).toContain(
      'github.com/project-slug: acme/orders # the repository',
    );
    expect(yaml.parse(catalogInfo).metadata.annotations).toEqual({
      'github.com/project-slug': 'acme/orders',
      ...ANNOTATIONS,
    });
    // The repository copy is gone: the workspace holds the change only.
    expect(existsSync(join(workspace.path, 'repository'))).toBe(false);

    const description: string = output.description;
    expect(description).toContain('Stack: Node.js (from `package.json`)');
    expect(description).toContain('- `Dockerfile`');
    expect(description).toContain(
      '- `.github/workflows/ci.yml`: not added, the repository has its own',
    );
    expect(description).toContain(
      '- `k8s/deployment.yaml`: existing Kubernetes manifest, unchanged',
    );
    expect(description).toContain(
      'requires evidence this pipeline does not record yet: `contract-test`',
    );
    expect(description).not.toMatch(/does not record yet:.*signature/);
    // The dry run's log shows the diff of what changes.
    const logged = info.mock.calls.map(c => String(c[0])).join('\n');
    expect(logged).toContain('+++ b/catalog-info.yaml');
    expect(logged).toContain('+    delivery.backstage.io/ladder: regulated');
    expect(logged).toContain('new file: .github/workflows/build.yaml');
  });

  it('leaves a catalog-info.yaml alone when it does not define the component', async () => {
    workspace.setContent({
      repository: {
        ...EXISTING,
        'catalog-info.yaml': CATALOG_INFO.replace(
          'name: orders',
          'name: billing',
        ),
      },
      changes: { 'catalog-info.yaml': 'kind: Component\n' },
    });
    const ctx = createMockActionContext({
      workspacePath: workspace.path,
      input: {
        repositoryPath: 'repository',
        changesPath: 'changes',
        componentRef: 'component:default/orders',
        annotations: ANNOTATIONS,
        ladder: 'standard',
        prune: false,
      },
    });
    await createPlanOnboardingAction().handler(ctx as any);
    expect(ctx.output).toHaveBeenCalledWith('skipped', ['catalog-info.yaml']);
    expect(ctx.output).toHaveBeenCalledWith(
      'description',
      expect.stringContaining(
        'without a Component named orders: add the annotations where the component is defined',
      ),
    );
    expect(
      readFileSync(
        join(workspace.path, 'repository/catalog-info.yaml'),
        'utf8',
      ),
    ).toContain('name: billing');
  });
});
