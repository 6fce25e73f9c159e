/*
 * The reliability suite, previews: two real backend processes (replica.ts) on
 * one PostgreSQL database, both with the preview reaper, against the real
 * test API server behind a proxy that records every request. Needs
 * PostgreSQL and the test cluster (CI has both); skipped, saying so, without.
 */
import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { Knex } from 'knex';
import { FaultProxy, startFaultProxy } from './kubernetes/testing/faultProxy';
import {
  admin,
  kubernetesConfig,
  testCluster,
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
    'Preview reliability suite skipped: it needs PostgreSQL (BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING) and the test cluster (DELIVERY_TEST_KUBECONFIG), as .ci/run sets them',
  );
}
const describeOnPostgresAndCluster =
  PG && testCluster ? describe : describe.skip;

const COMPONENTS = 20;
const PER_COMPONENT = 10;
const ci = mockCredentials.service.header();

const component = (c: number): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: `web-${c}` },
  spec: { type: 'website', owner: 'team-web', lifecycle: 'production' },
});

describeOnPostgresAndCluster('two replicas reaping previews', () => {
  const database = replicaDatabase(
    PG!,
    `delivery_prv_${randomBytes(4).toString('hex')}_`,
  );
  // The namespaces' prefix: this run's own, at most 20 characters.
  const namespacePrefix = `rel${randomBytes(3).toString('hex')}`;
  const replicas: { url: string; child: ChildProcess }[] = [];
  let proxy: FaultProxy;
  let db: Knex;

  beforeAll(async () => {
    proxy = await startFaultProxy(testCluster!.url);
    const options = async () => ({
      port: await freePort(),
      database: database.connection,
      kubernetes: kubernetesConfig(proxy.url),
      delivery: {
        ladders: { standard: { environments: [{ name: 'dev' }] } },
        previews: {
          cluster: 'test',
          namespacePrefix,
          maxPerComponent: PER_COMPONENT,
          reaperInterval: '1s',
        },
      },
      entities: Array.from({ length: COMPONENTS }, (_, c) => component(c)),
      groups: {},
    });
    // One after the other, as in reliability.test.ts.
    replicas.push(await startReplica(await options()));
    replicas.push(await startReplica(await options()));
    db = database.knex();
  });

  afterAll(async () => {
    await database.drop(replicas);
    await proxy?.close();
    const { core } = admin();
    const list = await core.listNamespace();
    await Promise.all(
      list.items
        .map(n => n.metadata!.name!)
        .filter(name => name.startsWith(namespacePrefix))
        .map(name => core.deleteNamespace({ name }).catch(() => undefined)),
    );
  });

  it('200 expired previews: each namespace deleted exactly once, counted at the API server', async () => {
    // 200 previews, asked of both replicas, ten at a time.
    const asks = Array.from({ length: COMPONENTS * PER_COMPONENT }, (_, i) => ({
      component: `component:default/web-${i % COMPONENTS}`,
      pullRequest: 1000 + i,
      ttl: '4h',
    }));
    const namespaces: string[] = [];
    for (let i = 0; i < asks.length; i += 10) {
      const answers = await Promise.all(
        asks.slice(i, i + 10).map(async (body, j) => {
          const res = await fetch(
            `${replicas[(i + j) % 2].url}/api/delivery/previews`,
            {
              method: 'POST',
              headers: {
                authorization: ci,
                'content-type': 'application/json',
              },
              body: JSON.stringify(body),
            },
          );
          return { status: res.status, body: await res.json() };
        }),
      );
      for (const a of answers) {
        expect(a).toMatchObject({ status: 201, body: { state: 'ready' } });
        namespaces.push(a.body.namespace);
      }
    }
    expect(new Set(namespaces).size).toBe(200);

    // All of them expire at once (the replicas' clocks cannot be moved).
    const before = proxy.log().length;
    await db('delivery_previews')
      .whereIn('namespace', namespaces)
      .update({ expires_at: Date.now() - 60_000 });

    // Both replicas' reapers run every second until every preview is gone.
    const deadline = Date.now() + 240_000;
    let left = namespaces.length;
    while (left > 0 && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 1000));
      left = Number(
        (
          await db('delivery_previews')
            .whereIn('namespace', namespaces)
            .whereNot('state', 'deleted')
            .count({ n: '*' })
        )[0].n,
      );
    }
    expect(left).toBe(0);

    const deletes = new Map<string, number>();
    for (const { method, path } of proxy.log().slice(before)) {
      const name = /^\/api\/v1\/namespaces\/([^/?]+)(\?|$)/.exec(path)?.[1];
      if (method === 'DELETE' && name) {
        deletes.set(name, (deletes.get(name) ?? 0) + 1);
      }
    }
    expect([...deletes.keys()].sort()).toEqual([...namespaces].sort());
    expect([...deletes.values()].every(n => n === 1)).toBe(true);
    // And the API server has none of them left but terminating ones.
    const { core } = admin();
    const live = (await core.listNamespace()).items.filter(
      n =>
        namespaces.includes(n.metadata!.name!) &&
        n.status?.phase !== 'Terminating',
    );
    expect(live).toEqual([]);
  });
});
