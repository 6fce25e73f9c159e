import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { shortDigest } from '../../domain/describe';
import {
  admin,
  describeWithCluster,
  imagesOf,
  runPods,
  uniqueName,
} from '../../kubernetes/testing/testCluster';
import { GitServer, startGitServer } from '../../scm/__testUtils__/gitServer';
import {
  CI,
  createHarness,
  digest,
  leastPrivilegeToken,
  REPOSITORY,
} from './__testUtils__/harness';

jest.setTimeout(180_000);

const run = promisify(execFile);
const TOKEN = 'git-token';
const OVERLAY = 'deploy/overlays/dev/kustomization.yaml';

/** The layout the Node template renders: a base and an overlay per environment. */
function files(namespace: string) {
  return {
    'deploy/base/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
    'deploy/base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  labels: { app: checkout, backstage.io/kubernetes-id: checkout }
spec:
  replicas: 2
  selector: { matchLabels: { app: checkout } }
  template:
    metadata:
      labels: { app: checkout, backstage.io/kubernetes-id: checkout }
    spec:
      containers:
        - name: app
          image: app
`,
    [OVERLAY]: `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${namespace}
resources:
  - ../../base
images:
  - name: app
    newName: ${REPOSITORY}
    digest: ${digest(1)}
`,
  };
}

describeWithCluster(
  'the gitops executor with a real Git remote and cluster',
  () => {
    const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
    const dev = uniqueName('gitops-dev');
    let git: GitServer;
    let repository: string;
    let token: string;

    /**
     * Plays Argo CD: renders the overlay on main and applies it, without
     * blocking (the Git server runs in this process).
     */
    async function sync() {
      const work = mkdtempSync(join(tmpdir(), 'gitops-sync-'));
      const auth = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
      try {
        await run(
          'git',
          ['clone', '--quiet', '--depth', '1', repository, work],
          {
            env: {
              ...process.env,
              GIT_CONFIG_COUNT: '1',
              GIT_CONFIG_KEY_0: 'http.extraHeader',
              GIT_CONFIG_VALUE_0: `Authorization: Basic ${auth}`,
            },
          },
        );
        const overlay = join(work, 'deploy/overlays/dev');
        await run(
          'sh',
          ['-c', `kubectl kustomize "${overlay}" | kubectl apply -f -`],
          {
            env: {
              ...process.env,
              KUBECONFIG: process.env.DELIVERY_TEST_KUBECONFIG,
            },
          },
        );
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }

    beforeAll(async () => {
      token = await leastPrivilegeToken([dev]);
      git = await startGitServer(TOKEN);
      repository = git.createRepository('acme/checkout', files(dev));
      await sync();
    });
    afterAll(async () => {
      await git?.close();
      await admin()
        .core.deleteNamespace({ name: dev })
        .catch(() => undefined);
    });

    async function harness() {
      const h = await createHarness({
        knex: await databases.init('SQLITE_3'),
        token,
        environments: [
          {
            name: 'dev',
            cluster: 'test',
            namespace: dev,
            executor: {
              type: 'gitops',
              repository: `${git.url}/acme/{component}.git`,
              rolloutTimeout: '2m',
              verificationWindow: '1m',
            },
          },
        ],
        integrations: {
          github: [
            { host: git.host, token: TOKEN, apiBaseUrl: `${git.url}/api` },
          ],
        },
      });
      for (const n of [1, 2, 3]) await h.record(n);
      await h.released(1, 'dev');
      return h;
    }

    it('commits the digest into the overlay, waits for the cluster to run it, verifies, and releases', async () => {
      await runPods(dev, 'app=checkout');
      const h = await harness();
      const runner = h.execution('replica-a');
      const p = await h.promote(2, 'dev');
      await h.drive(
        [runner],
        async () => (await h.promotion(p.id)).promotion.state === 'deploying',
      );

      const [message] = git.log('acme/checkout');
      expect(message).toBe(
        [
          'Deploy checkout 1.0.2 to dev',
          '',
          `Promotion: ${p.id}`,
          'Requested-by: service:ci',
          `Digest: ${digest(2)}`,
        ].join('\n'),
      );
      expect(git.show('acme/checkout', 'main', OVERLAY)).toContain(
        `digest: ${digest(2)}`,
      );
      // Nothing runs it until the controller applies the commit.
      expect((await imagesOf(dev, 'checkout')).app).toBe(
        `${REPOSITORY}@${digest(1)}`,
      );
      expect(
        (await h.promotion(p.id)).deployment!.progress?.waitingFor,
      ).toBeUndefined();
      await h.drive([runner], async () =>
        Boolean(
          (
            await h.promotion(p.id)
          ).deployment!.progress?.waitingFor?.startsWith(
            'the GitOps controller to apply',
          ),
        ),
      );

      await h.drive(
        [runner],
        async () => (await h.promotion(p.id)).promotion.state === 'succeeded',
        {
          kubelet: async () => {
            await sync();
            await runPods(dev, 'app=checkout');
          },
          stepMs: 20_000,
        },
      );
      expect((await imagesOf(dev, 'checkout')).app).toBe(
        `${REPOSITORY}@${digest(2)}`,
      );
      expect((await h.promotion(p.id)).steps!.map(s => s.action)).toEqual([
        'acted',
        'rolled-out',
        'released',
      ]);
    });

    it('commits the previous digest back when the rollout fails, and stops on a quarantine', async () => {
      const h = await harness();
      await h.released(2, 'dev');
      const runner = h.execution('replica-a');
      const p = await h.promote(3, 'dev');
      // The controller applies it, but the pods never become ready.
      await h.drive(
        [runner],
        async () => (await h.promotion(p.id)).deployment?.phase === 'finished',
        {
          kubelet: sync,
          stepMs: 30_000,
        },
      );
      const view = await h.promotion(p.id);
      expect(view.promotion.state).toBe('failed');
      expect(git.log('acme/checkout')[0]).toMatch(
        new RegExp(
          `^Revert checkout in dev to ${shortDigest(
            digest(2),
          )}\\n\\nPromotion: ${p.id}`,
        ),
      );
      expect(git.show('acme/checkout', 'main', OVERLAY)).toContain(
        `digest: ${digest(2)}`,
      );

      const q = await h.promote(3, 'dev');
      await h.drive(
        [runner],
        async () => (await h.promotion(q.id)).promotion.state === 'deploying',
      );
      await h.services.artifacts.quarantine(q.artifactId, 'leaks tokens', CI);
      await h.drive(
        [runner],
        async () => (await h.promotion(q.id)).deployment?.phase === 'finished',
      );
      expect((await h.promotion(q.id)).promotion.outcome).toMatch(
        /\[quarantine\].*leaks tokens/,
      );
      expect(git.show('acme/checkout', 'main', OVERLAY)).toContain(
        `digest: ${digest(2)}`,
      );
    });
  },
);
