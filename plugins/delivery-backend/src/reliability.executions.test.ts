/*
 * The reliability suite, executions: two real backend processes
 * (replica.ts) on one PostgreSQL database carry a promotion out with the
 * kubernetes executor against the real test API server, and the one that
 * holds the execution is killed with SIGKILL in the middle of it. The test
 * plays the kubelet (pods reported running). Needs PostgreSQL and the test
 * cluster (CI has both); skipped, saying so, without.
 */
import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mockCredentials } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import {
  admin,
  deployComponent,
  kubernetesConfig,
  runPods,
  testCluster,
  uniqueName,
} from './kubernetes/testing/testCluster';
import {
  freePort,
  replicaDatabase,
  startReplica,
} from './service/__testUtils__/replicaProcess';

jest.setTimeout(600_000);

const PG = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
if (!PG || !testCluster) {
  // eslint-disable-next-line no-console
  console.warn(
    'Execution reliability suite skipped: it needs PostgreSQL (BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING) and the test cluster (DELIVERY_TEST_KUBECONFIG), as .ci/run sets them',
  );
}
const describeOnPostgresAndCluster =
  PG && testCluster ? describe : describe.skip;

const COMPONENT = 'component:default/checkout';
const REPOSITORY = 'ghcr.io/acme/checkout';
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, 'd')}`;
const ci = mockCredentials.service.header();
const LEASE_MS = 4_000;

describeOnPostgresAndCluster(
  'a replica killed in the middle of an execution',
  () => {
    const database = replicaDatabase(
      PG!,
      `delivery_exe_${randomBytes(4).toString('hex')}_`,
    );
    const namespace = uniqueName('rel-exec');
    const replicas: {
      url: string;
      child: ChildProcess;
      stderr: () => string;
    }[] = [];
    let db: Knex;

    const call = async (
      replica: number,
      method: string,
      path: string,
      body?: unknown,
    ) => {
      const res = await fetch(`${replicas[replica].url}/api/delivery${path}`, {
        method,
        headers: { authorization: ci, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };

    beforeAll(async () => {
      await admin().core.createNamespace({
        body: { metadata: { name: namespace } },
      });
      // What runs before: build 1.
      await deployComponent(namespace, {
        kubernetesId: 'checkout',
        image: `${REPOSITORY}@${digest(1)}`,
        replicas: 1,
      });
      await runPods(namespace, 'app=checkout');
      const options = async () => ({
        port: await freePort(),
        database: database.connection,
        kubernetes: kubernetesConfig(),
        delivery: {
          execution: { interval: '1s', lease: `${LEASE_MS / 1000}s` },
          ladders: {
            standard: {
              environments: [
                {
                  name: 'dev',
                  cluster: 'test',
                  namespace,
                  executor: {
                    type: 'kubernetes',
                    rolloutTimeout: '3m',
                    verificationWindow: '2s',
                  },
                },
              ],
            },
          },
        },
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: 'checkout',
              annotations: { 'backstage.io/kubernetes-id': 'checkout' },
            },
            spec: {
              type: 'service',
              owner: 'team-shop',
              lifecycle: 'production',
            },
          },
        ],
        groups: {},
      });
      replicas.push(await startReplica(await options()));
      replicas.push(await startReplica(await options()));
      db = database.knex();
    });

    afterAll(async () => {
      await database.drop(replicas);
      await admin()
        .core.deleteNamespace({ name: namespace })
        .catch(() => undefined);
    });

    /** Waits for a condition, checked every 250 ms. */
    async function until<T>(
      what: string | (() => Promise<string>),
      check: () => Promise<T | undefined>,
    ) {
      // Backstage's scheduler janitor frees the dead replica's task each minute.
      const deadline = Date.now() + 150_000;
      for (;;) {
        const value = await check();
        if (value !== undefined) return value;
        if (Date.now() > deadline)
          throw new Error(
            `Timed out waiting for ${
              typeof what === 'string' ? what : await what()
            }`,
          );
        await new Promise(r => setTimeout(r, 250));
      }
    }

    it('the other replica takes the execution over once its lease has passed and Backstage frees the dead replica’s task, and finishes it: one release, nothing left active', async () => {
      const recorded = await call(0, 'POST', '/artifacts', {
        component: COMPONENT,
        digest: digest(2),
        imageRepository: REPOSITORY,
        commitSha: randomBytes(20).toString('hex'),
      });
      expect(recorded.status).toBe(201);
      const requested = await call(1, 'POST', '/promotions', {
        component: COMPONENT,
        digest: digest(2),
        environment: 'dev',
      });
      expect(requested).toMatchObject({
        status: 201,
        body: { state: 'approved' },
      });
      const id = requested.body.id as string;

      // The execution is claimed and the new image applied; no pod of it
      // runs yet (the kubelet is this test), so it waits for the rollout.
      const claim = await until(
        'the execution to be claimed while deploying',
        async () => {
          const row = await db('delivery_deployments')
            .where('promotion_id', id)
            .first();
          const promotion = await db('delivery_promotions')
            .where('id', id)
            .first();
          return row?.claimed_by && promotion.state === 'deploying'
            ? row
            : undefined;
        },
      );
      const holder = replicas.findIndex(r =>
        String(claim.claimed_by).includes(`:${r.child.pid}:`),
      );
      expect(holder).toBeGreaterThanOrEqual(0);
      replicas[holder].child.kill('SIGKILL');
      await new Promise(r => replicas[holder].child.once('exit', r));

      // The new pods start; the surviving replica must notice, after the lease.
      const survivor = 1 - holder;
      const done = await until(
        async () =>
          `the promotion to end: ${JSON.stringify(
            await db('delivery_deployments').where('promotion_id', id).first(),
          )}\n${replicas[survivor].stderr()}`,
        async () => {
          await runPods(namespace, 'app=checkout');
          const { body } = await call(survivor, 'GET', `/promotions/${id}`);
          return ['succeeded', 'failed', 'errored'].includes(body.state)
            ? body
            : undefined;
        },
      );
      expect(done.state).toBe('succeeded');
      const row = await db('delivery_deployments')
        .where('promotion_id', id)
        .first();
      expect(String(row.claimed_by ?? '')).not.toContain(
        `:${replicas[holder].child.pid}:`,
      );

      // Released once; nothing stays active.
      const releases = await db('delivery_releases').where({
        component_ref: COMPONENT,
        environment: 'dev',
      });
      expect(releases).toHaveLength(1);
      expect(releases[0].promotion_id).toBe(id);
      const events = await db('delivery_rollout_events')
        .where({ promotion_id: id })
        .orderBy('id');
      expect(events.filter(e => e.type === 'succeeded')).toHaveLength(1);
      expect(
        await db('delivery_promotions').whereNotNull('active_lock'),
      ).toEqual([]);
      // And the cluster runs build 2.
      const deployment = await admin().apps.readNamespacedDeployment({
        name: 'checkout',
        namespace,
      });
      expect(deployment.spec!.template.spec!.containers[0].image).toBe(
        `${REPOSITORY}@${digest(2)}`,
      );
    });
  },
);
