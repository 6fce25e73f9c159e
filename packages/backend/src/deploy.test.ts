import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  Namespace,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import {
  ClusterRole,
  ClusterRoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import yaml from 'yaml';
import { kubectl, ROOT } from './templates/__testUtils__/testing';

// The deployable portal: packages/backend/Dockerfile (linted: CI has no
// container engine to build it) and examples/deploy (rendered with kustomize,
// every object validated against the Kubernetes schemas).
describe('the deployable portal', () => {
  const VALIDATORS: Record<string, new (o: any) => { validate(): void }> = {
    Namespace,
    ServiceAccount,
    Secret,
    Service,
    Deployment,
    PodDisruptionBudget,
    ClusterRole,
    ClusterRoleBinding,
  };

  it('renders examples/deploy into valid objects: two replicas on health probes, secrets for PostgreSQL and Redis, RBAC, a disruption budget', () => {
    if (!kubectl) return;
    const objects = yaml
      .parseAllDocuments(
        execFileSync(kubectl, ['kustomize', join(ROOT, 'examples/deploy')], {
          encoding: 'utf8',
        }),
      )
      .map(d => d.toJS());
    for (const object of objects) {
      const Model = VALIDATORS[object.kind];
      expect([object.kind, Boolean(Model)]).toEqual([object.kind, true]);
      new Model(object).validate();
    }
    const deployment = objects.find(o => o.kind === 'Deployment');
    expect(deployment.metadata.namespace).toBe('backstage');
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template;
    expect(pod.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
    });
    expect(pod.spec.serviceAccountName).toBe('backstage-delivery');
    expect(
      objects.some(
        o =>
          o.kind === 'ServiceAccount' &&
          o.metadata.name === 'backstage-delivery',
      ),
    ).toBe(true);
    const [container] = pod.spec.containers;
    expect(container.image).toMatch(/@sha256:[a-f0-9]{64}$/);
    expect(container.readinessProbe.httpGet.path).toBe(
      '/.backstage/health/v1/readiness',
    );
    expect(container.livenessProbe.httpGet.path).toBe(
      '/.backstage/health/v1/liveness',
    );
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);

    // Every variable the configuration reads comes from a secret.
    const env = new Map<string, any>(
      container.env.map((e: any) => [e.name, e.valueFrom?.secretKeyRef]),
    );
    const read = ['app-config.yaml', 'app-config.production.yaml'].flatMap(f =>
      [...readFileSync(join(ROOT, f), 'utf8').matchAll(/\$\{([A-Z_]+)\}/g)].map(
        m => m[1],
      ),
    );
    expect(read).toEqual(
      expect.arrayContaining(['POSTGRES_HOST', 'REDIS_URL']),
    );
    for (const name of new Set(read)) {
      expect([name, env.get(name)?.name]).toEqual([name, expect.any(String)]);
    }
    expect(env.get('POSTGRES_PASSWORD').name).toBe('backstage-postgres');
    expect(env.get('REDIS_URL').name).toBe('backstage-redis');
    const production = yaml.parse(
      readFileSync(join(ROOT, 'app-config.production.yaml'), 'utf8'),
    );
    expect(production.backend.database.client).toBe('pg');
    expect(production.backend.cache).toEqual({
      store: 'redis',
      connection: '${REDIS_URL}',
    });

    const pdb = objects.find(o => o.kind === 'PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(
      deployment.spec.selector.matchLabels,
    );
    const service = objects.find(o => o.kind === 'Service');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  it('builds the image in stages, on digest-pinned bases, running the backend with the production configuration as non-root', () => {
    const dockerfile = DockerfileParser.parse(
      readFileSync(join(ROOT, 'packages/backend/Dockerfile'), 'utf8'),
    );
    const froms = dockerfile.getFROMs();
    expect(froms.length).toBeGreaterThanOrEqual(3);
    for (const from of froms) {
      expect(from.getImageDigest()).toMatch(/^sha256:[a-f0-9]{64}$/);
    }
    const instructions = dockerfile.getInstructions();
    const final = instructions.slice(
      instructions.indexOf(froms[froms.length - 1]),
    );
    const user = final.filter(i => i.getKeyword() === 'USER').pop()!;
    expect(user.getArgumentsContent()).toMatch(/^[1-9]\d*(:\d+)?$/);
    const text = (keyword: string) =>
      final
        .filter(i => i.getKeyword() === keyword)
        .map(i => i.getArgumentsContent())
        .join('\n');
    expect(text('RUN')).toContain('yarn workspaces focus --all --production');
    expect(text('COPY')).toContain('/app/packages/backend/dist/bundle/');
    expect(text('COPY')).toContain('app-config.production.yaml');
    const cmd = JSON.parse(text('CMD'));
    expect(cmd).toEqual([
      'node',
      '.',
      '--config',
      '../../app-config.yaml',
      '--config',
      '../../app-config.production.yaml',
    ]);
    // The build stage builds the backend, whose bundle carries the frontend.
    expect(
      instructions
        .filter(i => i.getKeyword() === 'RUN')
        .map(i => i.getArgumentsContent())
        .join('\n'),
    ).toContain('yarn build:backend');
    const backend = JSON.parse(
      readFileSync(join(ROOT, 'packages/backend/package.json'), 'utf8'),
    );
    expect(backend.dependencies.app).toBeDefined();
    expect(backend.dependencies['@backstage/plugin-app-backend']).toBeDefined();
  });
});
