import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMockDirectory } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import yaml from 'yaml';
import { createKubernetesOverlaysAction, UNBUILT_DIGEST } from './overlays';
import { kubectl } from '../testUtils/kubectl';

const BASE = {
  'deploy/base/kustomization.yaml': yaml.stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['deployment.yaml'],
  }),
  'deploy/base/deployment.yaml': yaml.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'orders',
      labels: { 'backstage.io/kubernetes-id': 'orders' },
    },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': 'orders' } },
      template: {
        metadata: {
          labels: {
            'app.kubernetes.io/name': 'orders',
            'backstage.io/kubernetes-id': 'orders',
          },
        },
        spec: { containers: [{ name: 'orders', image: 'app' }] },
      },
    },
  }),
};

const ENVIRONMENTS = [
  { name: 'dev', namespace: 'orders-dev', cluster: 'local' },
  { name: 'staging', namespace: 'orders-staging', cluster: 'local' },
  { name: 'production', namespace: 'orders-production' },
];

describe('delivery:kubernetes:overlays', () => {
  const workspace = createMockDirectory();
  const action = createKubernetesOverlaysAction();
  const input = {
    name: 'orders',
    kubernetesId: 'orders',
    image: 'ghcr.io/acme/orders',
    environments: ENVIRONMENTS,
  };

  beforeEach(() => workspace.setContent(BASE));

  const read = (path: string) =>
    yaml.parse(readFileSync(join(workspace.path, path), 'utf8'));

  it('writes an overlay per environment and one for previews', async () => {
    const ctx = createMockActionContext({
      input,
      workspacePath: workspace.path,
    });

    await action.handler(ctx);

    expect(ctx.output).toHaveBeenCalledWith('overlays', [
      {
        environment: 'dev',
        path: 'deploy/overlays/dev',
        namespace: 'orders-dev',
      },
      {
        environment: 'staging',
        path: 'deploy/overlays/staging',
        namespace: 'orders-staging',
      },
      {
        environment: 'production',
        path: 'deploy/overlays/production',
        namespace: 'orders-production',
      },
      { environment: 'preview', path: 'deploy/overlays/preview' },
    ]);
    expect(read('deploy/overlays/dev/kustomization.yaml')).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: 'orders-dev',
      resources: ['../../base'],
      labels: [
        {
          pairs: { 'app.kubernetes.io/environment': 'dev' },
          includeTemplates: true,
        },
      ],
      images: [
        { name: 'app', newName: 'ghcr.io/acme/orders', digest: UNBUILT_DIGEST },
      ],
      replicas: [{ name: 'orders', count: 1 }],
    });
    expect(read('deploy/overlays/production/kustomization.yaml')).toMatchObject(
      {
        resources: ['../../base', 'pdb.yaml'],
        replicas: [{ name: 'orders', count: 2 }],
      },
    );
    expect(read('deploy/overlays/production/pdb.yaml')).toMatchObject({
      kind: 'PodDisruptionBudget',
      metadata: { labels: { 'backstage.io/kubernetes-id': 'orders' } },
      spec: {
        minAvailable: 1,
        selector: { matchLabels: { 'backstage.io/kubernetes-id': 'orders' } },
      },
    });
    expect(
      read('deploy/overlays/preview/kustomization.yaml').namespace,
    ).toBeUndefined();
    expect(
      readFileSync(
        join(workspace.path, 'deploy/overlays/preview/kustomization.yaml'),
        'utf8',
      ),
    ).toContain('kustomize edit set namespace <namespace>');
  });

  it('honours replicas, the target folder and no preview', async () => {
    workspace.setContent({
      'k8s/base/kustomization.yaml': BASE['deploy/base/kustomization.yaml'],
      'k8s/base/deployment.yaml': BASE['deploy/base/deployment.yaml'],
    });
    const ctx = createMockActionContext({
      input: {
        ...input,
        replicas: { dev: 2, production: 1 },
        preview: false,
        targetPath: 'k8s',
      },
      workspacePath: workspace.path,
    });

    await action.handler(ctx);

    expect(read('k8s/overlays/dev/kustomization.yaml').replicas).toEqual([
      { name: 'orders', count: 2 },
    ]);
    expect(read('k8s/overlays/dev/pdb.yaml').kind).toBe('PodDisruptionBudget');
    expect(read('k8s/overlays/production/kustomization.yaml')).toMatchObject({
      resources: ['../../base'],
      replicas: [{ name: 'orders', count: 1 }],
    });
    expect(workspace.content({ path: 'k8s/overlays' })).not.toHaveProperty(
      'preview',
    );
  });

  it('refuses to write overlays without a base, or outside the workspace', async () => {
    workspace.setContent({});
    await expect(
      action.handler(
        createMockActionContext({ input, workspacePath: workspace.path }),
      ),
    ).rejects.toThrow(
      'No kustomize base at deploy/base/kustomization.yaml; fetch the skeleton (fetch:template) before this step',
    );
    await expect(
      action.handler(
        createMockActionContext({
          input: { ...input, targetPath: '../elsewhere' },
          workspacePath: workspace.path,
        }),
      ),
    ).rejects.toThrow(/outside/);
  });

  it('refuses replicas for an environment the ladder does not have', async () => {
    await expect(
      action.handler(
        createMockActionContext({
          input: { ...input, replicas: { prod: 3 } },
          workspacePath: workspace.path,
        }),
      ),
    ).rejects.toThrow(
      'replicas names prod, which the ladder does not have (dev, staging, production)',
    );
  });

  // The overlays are only useful if kustomize builds them.
  (kubectl ? describe : describe.skip)('with kustomize', () => {
    it('writes overlays that kustomize builds into the namespace, by digest', async () => {
      await action.handler(
        createMockActionContext({ input, workspacePath: workspace.path }),
      );
      const objects = yaml
        .parseAllDocuments(
          execFileSync(
            kubectl!,
            ['kustomize', join(workspace.path, 'deploy/overlays/production')],
            { encoding: 'utf8' },
          ),
        )
        .map(d => d.toJS());
      const deployment = objects.find(o => o.kind === 'Deployment');
      expect(deployment.metadata.namespace).toBe('orders-production');
      expect(deployment.spec.replicas).toBe(2);
      expect(deployment.spec.template.metadata.labels).toMatchObject({
        'app.kubernetes.io/environment': 'production',
        'backstage.io/kubernetes-id': 'orders',
      });
      expect(deployment.spec.template.spec.containers[0].image).toBe(
        `ghcr.io/acme/orders@${UNBUILT_DIGEST}`,
      );
      expect(objects.map(o => o.kind).sort()).toEqual([
        'Deployment',
        'PodDisruptionBudget',
      ]);
    });
  });
});
