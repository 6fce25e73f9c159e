/* eslint-disable jest/no-export -- shared by the templates' test files */
/*
 * The checks every new-service template passes (Node.js, Go): the same build
 * contract, on each ladder of the portal. Each template's test adds the
 * rendered service's own build and tests.
 */
import { inspect } from 'node:util';
import yaml from 'yaml';
import { nextWeekdayMorning, playPipeline, startPortal } from './pipeline';
import {
  APP_CONFIG,
  buildOverlays,
  cliActionScript,
  expectCliFromThePortal,
  expectGoldenDockerfile,
  expectValidComponent,
  formLadders,
  kubectl,
  LADDERS,
  lintWorkflows,
  Rendered,
  startScaffolder,
} from './testing';

export const FORM = {
  name: 'orders-api',
  // A description that breaks YAML if any value is not quoted.
  description: 'Orders: "quoted", #not-a-comment\n- not: a list & {x}',
  owner: 'group:default/team-payments',
  system: 'system:default/commerce',
  repoUrl: 'github.com?owner=Acme&repo=orders-api',
};

export function describeServiceTemplate(
  name: string,
  options: {
    /** catalog-info tags. */
    tags: string[];
    /** The rendered service's own build and tests, in its folder. */
    serviceChecks: (rendered: Rendered) => Promise<void>;
  },
) {
  let scaffolder: Awaited<ReturnType<typeof startScaffolder>>;

  beforeAll(async () => {
    scaffolder = await startScaffolder();
  });

  it('offers exactly the ladders the portal has', () => {
    expect([...formLadders(name)].sort()).toEqual(
      Object.keys(APP_CONFIG.delivery.ladders).sort(),
    );
  });

  it('refuses bad names and unpinned CLI packages in the form', async () => {
    for (const bad of ['Orders', 'orders_api', '-orders', 'x'.repeat(41)]) {
      const { status, body } = await scaffolder.dryRun(name, {
        ...FORM,
        name: bad,
        ladder: 'standard',
      });
      expect(status).toBe(400);
      expect(body.errors[0].property).toBe('instance.name');
    }
    const { status, body } = await scaffolder.dryRun(name, {
      ...FORM,
      ladder: 'standard',
      cliPackage: '@acme/delivery-cli',
    });
    expect(status).toBe(400);
    expect(body.errors[0].property).toBe('instance.cliPackage');
  });

  it('installs the CLI from a pinned package when the form names one', async () => {
    const { files } = await scaffolder.render(name, {
      ...FORM,
      ladder: 'standard',
      cliPackage: '@acme/delivery-cli@1.4.2',
    });
    const { script, packageDefault } = cliActionScript(files);
    expect(packageDefault).toBe('@acme/delivery-cli@1.4.2');
    expect(script).toContain('npm install --prefix');
    expect(files.get('README.md')).toContain(
      'package `@acme/delivery-cli@1.4.2` from your registry',
    );
  });

  // The service does not depend on the ladder: built and tested once; its
  // reports then feed the pipeline played below.
  let service: Rendered | undefined;
  it("writes a service that builds and passes its own tests, the pipeline's way", async () => {
    expect.hasAssertions();
    const rendered = await scaffolder.render(name, {
      ...FORM,
      ladder: 'standard',
    });
    await options.serviceChecks(rendered);
    service = rendered;
  });

  describe('its pipeline, against a portal that serves the CLI', () => {
    const renderedByLadder = new Map<string, Rendered>();
    let portal: Awaited<ReturnType<typeof startPortal>>;

    beforeAll(() => explained('starting the portal', startThePortal));
    afterAll(() => jest.useRealTimers());

    async function startThePortal() {
      for (const ladderName of Object.keys(LADDERS)) {
        renderedByLadder.set(
          ladderName,
          await scaffolder.render(name, {
            ...FORM,
            name: `orders-${ladderName}`,
            ladder: ladderName,
          }),
        );
      }
      // The portal's clock (Date only), moved over the soak times; a weekday
      // morning, inside the regulated production window.
      jest.useFakeTimers({
        advanceTimers: true,
        doNotFake: [
          'hrtime',
          'nextTick',
          'performance',
          'queueMicrotask',
          'setImmediate',
          'clearImmediate',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'clearTimeout',
        ],
        now: nextWeekdayMorning(),
      });
      portal = await startPortal(
        await Promise.all(
          [...renderedByLadder.values()].map(r =>
            expectValidComponent(r.files.get('catalog-info.yaml')!),
          ),
        ),
      );
    }

    it.each(Object.keys(LADDERS))(
      'takes its first build through the %s ladder, and the scorecard passes every applicable check',
      async ladderName => {
        if (!service)
          throw new Error('needs the reports of the service test above');
        const { scorecard, refusals } = await explained(
          'playing the pipeline',
          () =>
            playPipeline({
              portal,
              files: renderedByLadder.get(ladderName)!.files,
              service: service!.dir,
              advance: ms => jest.setSystemTime(Date.now() + ms),
              ladder: LADDERS[ladderName],
            }),
        );
        // Asked too early, the next environment refused (soak time); the
        // workflow notes it and does not fail.
        expect(refusals).toHaveLength(
          LADDERS[ladderName].environments.length - 1,
        );
        for (const refusal of refusals) {
          expect(refusal).toMatch(/: refused[\s\S]*✗ soak/);
        }
        const failing = scorecard.checks.filter(
          (c: any) => c.status === 'fail',
        );
        expect(failing).toEqual([]);
        expect(
          Object.fromEntries(
            scorecard.checks.map((c: any) => [c.id, c.status]),
          ),
        ).toMatchObject({
          'ladder-order': 'pass',
          'signed-releases': 'pass',
          'required-evidence': 'pass',
          'image-policy': 'pass',
          'catalog-annotations': 'pass',
        });
      },
    );
  });

  describe.each(Object.keys(LADDERS))('on the %s ladder', ladderName => {
    const ladder = LADDERS[ladderName];
    let rendered: Rendered;

    beforeAll(async () => {
      rendered = await scaffolder.render(name, {
        ...FORM,
        ladder: ladderName,
      });
    });

    it('runs every step, resolving the ladder through the delivery backend', () => {
      expect(rendered.log).toContain(
        `component:default/orders-api follows the ${ladderName} ladder: ${ladder.environments
          .map((e: any) => `${e.name} (namespace orders-api-${e.name})`)
          .join(' → ')}`,
      );
      expect(rendered.log).not.toMatch(/Step .* failed/);
      expect(rendered.result.steps.map(s => s.action)).toEqual([
        'delivery:ladder:resolve',
        'delivery:component:annotate',
        'fetch:template',
        'delivery:kubernetes:overlays',
        'publish:github',
        'catalog:register',
      ]);
    });

    it('writes a catalog-info.yaml that is a valid component with the delivery annotations', async () => {
      const entity = await expectValidComponent(
        rendered.files.get('catalog-info.yaml')!,
      );
      expect(entity).toMatchObject({
        metadata: {
          name: 'orders-api',
          description: FORM.description,
          annotations: {
            'github.com/project-slug': 'Acme/orders-api',
            'backstage.io/kubernetes-id': 'orders-api',
            'delivery.backstage.io/ladder': ladderName,
          },
          tags: options.tags,
        },
        spec: {
          type: 'service',
          owner: FORM.owner,
          system: FORM.system,
        },
      });
    });

    it('writes a multi-stage Dockerfile on digest-pinned bases that runs as non-root, whose base the build records', () => {
      const build = yaml.parse(
        rendered.files.get('.github/workflows/build.yaml')!,
      );
      expectGoldenDockerfile(
        rendered.files.get('Dockerfile')!,
        build.jobs.build.steps.find(
          (st: any) => st.name === 'Record the build in the ledger',
        ).run,
      );
      expect(rendered.files.get('.dockerignore')).toBeDefined();
    });

    it('writes an overlay per environment that kustomize builds into valid objects, by digest', () => {
      const overlays = [...rendered.files.keys()]
        .filter(p => /^deploy\/overlays\/[^/]+\/kustomization\.yaml$/.test(p))
        .map(p => p.split('/')[2])
        .sort();
      expect(overlays).toEqual(
        [...ladder.environments.map((e: any) => e.name), 'preview'].sort(),
      );
      const built = buildOverlays(`${rendered.dir}/deploy`, overlays);
      expect(built.size).toBe(kubectl ? overlays.length : 0);
      for (const [overlay, objects] of built) {
        expect(objects.map(o => o.kind).sort()).toEqual(
          overlay === 'production'
            ? ['Deployment', 'PodDisruptionBudget', 'Service']
            : ['Deployment', 'Service'],
        );
        for (const object of objects) {
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
        expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(
          true,
        );
        expect(deployment.spec.template.metadata.labels).toMatchObject({
          'backstage.io/kubernetes-id': 'orders-api',
          'app.kubernetes.io/environment': overlay,
        });
      }
    });

    it('writes workflows that actionlint accepts, with the build contract in parallel jobs', async () => {
      expect(await lintWorkflows(rendered.files)).toEqual([]);
      expectCliFromThePortal(rendered.files);
      const build = yaml.parse(
        rendered.files.get('.github/workflows/build.yaml')!,
      );
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
      expect(build.jobs.deploy.uses).toBe('./.github/workflows/deploy.yaml');
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
      expectDeployWorkflow(rendered.files, ladder);
    });

    it('writes a README that explains the pipeline and the ladder', () => {
      const readme = rendered.files.get('README.md')!;
      expect(readme).toContain('# orders-api');
      for (const env of ladder.environments) {
        expect(readme).toContain(
          `| \`${env.name}\` | \`orders-api-${env.name}\` |`,
        );
      }
      expect(readme).toContain(ladder.title);
      expect(readme).toContain('contract-test');
    });
  });
}

/**
 * The deploy workflow fits the executors: dispatched with a promotion it
 * takes that one over; otherwise it requests one. Previews are created and
 * destroyed with the pull request.
 */
export function expectDeployWorkflow(files: Map<string, string>, ladder: any) {
  const deploy = yaml.parse(files.get('.github/workflows/deploy.yaml')!);
  expect(deploy.on.workflow_dispatch.inputs.environment.options).toEqual(
    ladder.environments.map((e: any) => e.name),
  );
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
  const preview = yaml.parse(files.get('.github/workflows/preview.yaml')!);
  expect(Object.keys(preview.jobs).sort()).toEqual(['deploy', 'destroy']);
  expect(JSON.stringify(preview)).toContain('preview create');
  expect(JSON.stringify(preview)).toContain('preview destroy');
}

/**
 * Runs `fn`, rethrowing its error with all it holds (the causes, an
 * AggregateError's errors), which Jest's report leaves out: a refused
 * connection under load is reported as an empty message otherwise.
 */
async function explained<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw new Error(`${what}: ${inspect(error, { depth: 6 })}`);
  }
}
