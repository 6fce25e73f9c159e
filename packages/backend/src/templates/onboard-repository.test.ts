import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import yaml from 'yaml';
import {
  buildOverlays,
  expectCliFromThePortal,
  expectGoldenDockerfile,
  expectValidComponent,
  formLadders,
  kubectl,
  LADDERS,
  lintWorkflows,
  recordedBaseImage,
  ROOT,
  startScaffolder,
} from './__testUtils__/testing';
import { expectDeployWorkflow } from './__testUtils__/serviceTemplate';

jest.setTimeout(240_000);

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Dev',
      GIT_AUTHOR_EMAIL: 'dev@acme.example',
      GIT_COMMITTER_NAME: 'Dev',
      GIT_COMMITTER_EMAIL: 'dev@acme.example',
    },
  });

/**
 * The pull request's files: the dry run's workspace holds only the folder
 * the pull request is made from (the repository's copy is pruned).
 */
function pullRequestFiles(all: Map<string, string>): Map<string, string> {
  expect([...all.keys()].filter(p => !p.startsWith('changes/'))).toEqual([]);
  return new Map(
    [...all].map(([path, content]) => [
      path.replace(/^changes\//, ''),
      content,
    ]),
  );
}

const FIXTURES = mkdtempSync(join(tmpdir(), 'stand-in-fixtures-'));

/** A real Git repository on disk, owner/repo, with these files committed on main. */
function repository(name: string, files: Record<string, string>): string {
  const dir = join(FIXTURES, name);
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'The service as it is');
  return dir;
}

/**
 * GitHub, as the scaffolder reads a repository (commit status, then the
 * tarball of that commit): scripts/github-stand-in.mjs serving the real Git
 * repositories of FIXTURES; it prints each request it answers.
 */
function standIn() {
  const requests: string[] = [];
  let child: ChildProcess;
  return {
    requests,
    start: () =>
      new Promise<string>((done, fail) => {
        child = spawn(
          process.execPath,
          [
            join(ROOT, 'scripts/github-stand-in.mjs'),
            '--port',
            '0',
            '--fixtures',
            FIXTURES,
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        child.on('exit', code =>
          fail(new Error(`the stand-in exited with ${code}`)),
        );
        createInterface({ input: child.stdout! }).on('line', line => {
          const listening = /^github-stand-in: (\S+)/.exec(line);
          if (listening) done(listening[1]);
          else requests.push(line);
        });
      }),
    stop: () => child.kill(),
  };
}

const CATALOG_INFO = `# The orders team's service. Keep this comment.
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: legacy-orders
  description: Orders, since 2019
spec:
  type: service
  lifecycle: production
  owner: group:default/team-payments
`;

const NODE_REPO = {
  'package.json': JSON.stringify(
    {
      name: 'legacy-orders',
      main: 'server.js',
      scripts: { test: 'node --test' },
    },
    null,
    2,
  ),
  'server.js':
    'require("node:http").createServer((q, s) => s.end("ok")).listen(process.env.PORT);\n',
  Dockerfile: `FROM node:22-alpine@sha256:${'a'.repeat(
    64,
  )}\nCOPY . .\nUSER node\nCMD ["node", "server.js"]\n`,
  'catalog-info.yaml': CATALOG_INFO,
  '.github/workflows/ci.yml':
    'name: CI\non: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: npm test\n',
  '.github/workflows/deploy.yaml':
    'name: Their deploy\non: workflow_dispatch\njobs:\n  deploy:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: ./deploy.sh\n',
  'k8s/deployment.yaml': yaml.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'legacy-orders' },
    spec: {},
  }),
};

const GO_REPO = {
  'go.mod': 'module github.com/acme/stock\n\ngo 1.19\n',
  'main.go': 'package main\n\nfunc main() {}\n',
  'main_test.go':
    'package main\n\nimport "testing"\n\nfunc TestNothing(t *testing.T) {}\n',
};

describe('the onboard-repository template', () => {
  const repos = {
    'acme/legacy-orders': repository('acme/legacy-orders', NODE_REPO),
    'acme/stock': repository('acme/stock', GO_REPO),
  };
  const github = standIn();
  let scaffolder: Awaited<ReturnType<typeof startScaffolder>>;

  beforeAll(async () => {
    const apiBaseUrl = await github.start();
    scaffolder = await startScaffolder({
      config: {
        integrations: {
          github: [
            { host: 'github.com', apiBaseUrl, token: 'integration-token' },
          ],
        },
      },
    });
  });
  afterAll(() => github.stop());

  it('offers exactly the ladders the portal has', () => {
    expect([...formLadders('onboard-repository')].sort()).toEqual(
      Object.keys(LADDERS).sort(),
    );
  });

  describe('a Node.js service already in the catalog, with its own workflows and manifests', () => {
    let files: Map<string, string>;
    let log: string;
    let output: Record<string, any>;
    /** The pull request's files on disk. */
    let changes: string;

    beforeAll(async () => {
      github.requests.length = 0;
      const rendered = await scaffolder.render('onboard-repository', {
        repoUrl: 'github.com?owner=acme&repo=legacy-orders',
        branch: 'main',
        stack: 'auto',
        catalogEntry: 'existing',
        component: 'component:default/legacy-orders',
        ladder: 'regulated',
        port: 3000,
        healthPath: '/health',
      });
      log = rendered.log;
      files = pullRequestFiles(rendered.files);
      changes = join(rendered.dir, 'changes');
      output = rendered.result.output;
    });

    it('reads the repository through GitHub and runs every step, the pull request as a dry run', () => {
      const sha = git(repos['acme/legacy-orders'], 'rev-parse', 'main').trim();
      expect(github.requests).toEqual([
        'GET /repos/acme/legacy-orders/commits/main/status?per_page=0 Bearer integration-token',
        `GET /repos/acme/legacy-orders/tarball/${sha} Bearer integration-token`,
      ]);
      expect(log).not.toMatch(/Step .* failed/);
      expect(log).toContain(
        'Stack node (from package.json); has Dockerfile; has tests',
      );
      expect(log).toContain('Performing dry run of creating pull request');
    });

    it("holds only the pull request's files: nothing of the repository is overwritten", () => {
      expect([...files.keys()].sort()).toEqual([
        '.github/actions/delivery-cli/action.yml',
        '.github/workflows/build.yaml',
        '.github/workflows/preview.yaml',
        'catalog-info.yaml',
        'deploy/base/deployment.yaml',
        'deploy/base/kustomization.yaml',
        'deploy/base/service.yaml',
        'deploy/overlays/dev/kustomization.yaml',
        'deploy/overlays/preview/kustomization.yaml',
        'deploy/overlays/production/kustomization.yaml',
        'deploy/overlays/production/pdb.yaml',
        'deploy/overlays/staging/kustomization.yaml',
      ]);
      // Applied onto a clone of the repository, the change only adds files
      // and annotates catalog-info.yaml.
      const clone = mkdtempSync(join(tmpdir(), 'clone-'));
      git(clone, 'clone', '-q', repos['acme/legacy-orders'], '.');
      for (const [path, content] of files) {
        mkdirSync(dirname(join(clone, path)), { recursive: true });
        writeFileSync(join(clone, path), content);
      }
      const changed = git(
        clone,
        'status',
        '--porcelain',
        '--untracked-files=all',
      )
        .trimEnd()
        .split('\n')
        .filter(l => !l.startsWith('??'));
      expect(changed).toEqual([' M catalog-info.yaml']);
      for (const path of Object.keys(NODE_REPO).filter(
        p => p !== 'catalog-info.yaml',
      )) {
        expect(readFileSync(join(clone, path), 'utf8')).toBe(
          (NODE_REPO as Record<string, string>)[path],
        );
      }
      const diff = git(clone, 'diff', 'catalog-info.yaml');
      expect(diff.split('\n').filter(l => /^[-+][^-+]/.test(l))).toEqual([
        '+  annotations:',
        '+    github.com/project-slug: acme/legacy-orders',
        '+    backstage.io/kubernetes-id: legacy-orders',
        '+    delivery.backstage.io/ladder: regulated',
      ]);
    });

    it('annotates the existing catalog entry, which stays valid', async () => {
      const entity = await expectValidComponent(
        files.get('catalog-info.yaml')!,
      );
      expect(entity.metadata.annotations).toEqual({
        'github.com/project-slug': 'acme/legacy-orders',
        'backstage.io/kubernetes-id': 'legacy-orders',
        'delivery.backstage.io/ladder': 'regulated',
      });
      expect(files.get('catalog-info.yaml')).toContain(
        "# The orders team's service. Keep this comment.",
      );
    });

    it('names what it left alone and what the ladder still needs in the pull request description', () => {
      const description: string = output.text[0].content;
      for (const line of [
        '- `.github/workflows/deploy.yaml`: not added, the repository has its own',
        '- `.github/workflows/ci.yml`: existing workflow, unchanged',
        '- `k8s/deployment.yaml`: existing Kubernetes manifest, unchanged',
        '- `catalog-info.yaml`: the delivery annotations',
        'requires evidence this pipeline does not record yet: `integration-test`, `contract-test`',
      ]) {
        expect(description).toContain(line);
      }
      // The dry run's log shows the diff, as the template editor does.
      expect(log).toContain('+++ b/catalog-info.yaml');
      expect(log).toContain('new file: .github/workflows/build.yaml');
    });

    it('writes workflows for the stack that actionlint accepts, with the CLI from the portal', async () => {
      expect(await lintWorkflows(files)).toEqual([]);
      expectCliFromThePortal(files);
      const build = yaml.parse(files.get('.github/workflows/build.yaml')!);
      expect(Object.keys(build.jobs).sort()).toEqual([
        'build',
        'deploy',
        'evidence',
        'manifests',
        'request-next',
        'scan',
        'sign',
        'test',
      ]);
      expect(build.jobs.test.steps.map((s: any) => s.run).join('\n')).toContain(
        'npm test',
      );
      expect([build.jobs.evidence.needs].flat().sort()).toEqual([
        'build',
        'manifests',
        'test',
      ]);
      expect(JSON.stringify(build.jobs.evidence)).toContain('--kind unit-test');
      expect(build.env.COMPONENT).toBe('component:default/legacy-orders');
      // Its own Dockerfile is kept, and its final base is what the build records.
      expect(
        recordedBaseImage(
          build.jobs.build.steps.find(
            (st: any) => st.name === 'Record the build in the ledger',
          ).run,
          NODE_REPO.Dockerfile,
        ),
      ).toBe(`node:22-alpine@sha256:${'a'.repeat(64)}`);
    });

    it('writes overlays on the port and health path of the service, which kustomize builds', () => {
      const built = buildOverlays(join(changes, 'deploy'), [
        'dev',
        'staging',
        'production',
        'preview',
      ]);
      expect(built.size).toBe(kubectl ? 4 : 0);
      for (const objects of built.values()) {
        const deployment = objects.find(o => o.kind === 'Deployment');
        const [container] = deployment.spec.template.spec.containers;
        expect(container.ports).toEqual([
          { name: 'http', containerPort: 3000 },
        ]);
        expect(container.env).toEqual([{ name: 'PORT', value: '3000' }]);
        expect(container.readinessProbe.httpGet.path).toBe('/health');
        expect(container.image).toMatch(
          /^ghcr\.io\/acme\/legacy-orders@sha256:[a-f0-9]{64}$/,
        );
      }
    });
  });

  describe('a Go service new to the catalog, without a Dockerfile', () => {
    let files: Map<string, string>;

    beforeAll(async () => {
      files = pullRequestFiles(
        (
          await scaffolder.render('onboard-repository', {
            repoUrl: 'github.com?owner=acme&repo=stock',
            branch: 'main',
            stack: 'auto',
            catalogEntry: 'new',
            name: 'stock',
            description: 'Stock levels',
            owner: 'group:default/team-storefront',
            ladder: 'standard',
            port: 8080,
            healthPath: '/healthz',
          })
        ).files,
      );
    });

    it('adds a catalog entry, a golden Dockerfile for Go, and the workflows', async () => {
      const entity = await expectValidComponent(
        files.get('catalog-info.yaml')!,
      );
      expect(entity).toMatchObject({
        metadata: {
          name: 'stock',
          description: 'Stock levels',
          annotations: {
            'github.com/project-slug': 'acme/stock',
            'backstage.io/kubernetes-id': 'stock',
            'delivery.backstage.io/ladder': 'standard',
          },
          tags: ['go'],
        },
        spec: { owner: 'group:default/team-storefront' },
      });
      const build = yaml.parse(files.get('.github/workflows/build.yaml')!);
      expectGoldenDockerfile(
        files.get('Dockerfile')!,
        build.jobs.build.steps.find(
          (st: any) => st.name === 'Record the build in the ledger',
        ).run,
      );
      expect(await lintWorkflows(files)).toEqual([]);
      expectCliFromThePortal(files);
      expect(JSON.stringify(build.jobs.test)).toContain('go-junit-report');
      expect(JSON.stringify(build.jobs.evidence)).toContain(
        'evidence junit --component',
      );
      expectDeployWorkflow(files, LADDERS.standard);
    });
  });
});
