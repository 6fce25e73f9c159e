/*
 * The reliability suite: two real backend processes (replica.ts) on one
 * PostgreSQL database, driven over HTTP the way CI and people use them.
 * PostgreSQL is required; without it (no
 * BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING) the suite is skipped,
 * saying so. CI always has it.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { mockCredentials } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import type { ReplicaOptions } from './service/__testUtils__/replica';
import {
  freePort,
  replicaDatabase,
  startReplica,
} from './service/__testUtils__/replicaProcess';

jest.setTimeout(600_000);

const PG = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
if (!PG) {
  // eslint-disable-next-line no-console
  console.warn(
    'Reliability suite skipped: it needs PostgreSQL (set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING, as .ci/run does)',
  );
}
const describeOnPostgres = PG ? describe : describe.skip;

const COMPONENT = 'component:default/payments-api';
/** On a one-environment ladder that needs an approval. */
const GUARDED = 'component:default/ledger-worker';
const ci = mockCredentials.service.header();
const user = (name: string) =>
  mockCredentials.user.header(`user:default/${name}`);

describeOnPostgres('two replicas on one PostgreSQL', () => {
  const database = replicaDatabase(
    PG!,
    `delivery_rel_${randomBytes(4).toString('hex')}_`,
  );
  const replicas: { url: string; child: ChildProcess }[] = [];
  let db: Knex;

  const call = async (
    replica: number,
    method: string,
    path: string,
    options: { body?: unknown; auth?: string; key?: string } = {},
  ) => {
    const res = await fetch(`${replicas[replica].url}/api/delivery${path}`, {
      method,
      headers: {
        authorization: options.auth ?? ci,
        'content-type': 'application/json',
        ...(options.key ? { 'idempotency-key': options.key } : {}),
      },
      body:
        options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    const options = async (): Promise<ReplicaOptions> => ({
      port: await freePort(),
      database: database.connection,
      delivery: {
        defaultLadder: 'standard',
        ladders: {
          standard: {
            environments: [{ name: 'dev' }, { name: 'production' }],
          },
          guarded: {
            environments: [
              {
                name: 'production',
                approvals: { count: 1, groups: ['group:default/platform'] },
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
            name: 'ledger-worker',
            annotations: { 'delivery.backstage.io/ladder': 'guarded' },
          },
          spec: {
            type: 'service',
            owner: 'team-payments',
            lifecycle: 'production',
          },
          relations: [
            { type: 'ownedBy', targetRef: 'group:default/team-payments' },
          ],
        },
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'payments-api' },
          spec: {
            type: 'service',
            owner: 'team-payments',
            lifecycle: 'production',
          },
          relations: [
            { type: 'ownedBy', targetRef: 'group:default/team-payments' },
          ],
        },
      ],
      groups: {
        'user:default/carol': ['group:default/platform'],
        'user:default/alice': ['group:default/team-payments'],
      },
    });
    // One after the other: on an empty database, two first starts at once
    // race to create Backstage's own migration tables (knex's lock table)
    // and one fails; Kubernetes would restart it.
    replicas.push(await startReplica(await options()));
    replicas.push(await startReplica(await options()));
    db = database.knex();
  });

  afterAll(async () => {
    await database.drop(replicas);
  });

  async function recordBuild(n: number, component = COMPONENT) {
    const digest = `sha256:${n.toString(16).padStart(64, '0')}`;
    const { status, body } = await call(0, 'POST', '/artifacts', {
      body: {
        component,
        digest,
        imageRepository: 'ghcr.io/acme/payments-api',
        commitSha: randomBytes(20).toString('hex'),
      },
    });
    expect(status).toBe(201);
    return { digest, id: body.id as string };
  }

  it('200 concurrent promotion requests over both replicas: exactly one active, the rest 409, no 5xx', async () => {
    const { digest } = await recordBuild(1);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call(i % 2, 'POST', '/promotions', {
          body: { component: COMPONENT, digest, environment: 'dev' },
        }),
      ),
    );
    const statuses = answers.map(a => a.status);
    expect(statuses.filter(s => s >= 500)).toEqual([]);
    expect(statuses.filter(s => s === 201)).toHaveLength(1);
    expect(statuses.filter(s => s === 409)).toHaveLength(199);
    const active = await db('delivery_promotions')
      .where({ component_ref: COMPONENT, environment: 'dev' })
      .whereNotNull('active_lock');
    expect(active).toHaveLength(1);
    expect(active[0].state).toBe('approved');
  });

  it('an approval and an abort racing on two replicas: one wins, or they apply in order', async () => {
    const { digest } = await recordBuild(2, GUARDED);
    for (let round = 0; round < 10; round++) {
      const requested = await call(0, 'POST', '/promotions', {
        body: { component: GUARDED, digest, environment: 'production' },
      });
      expect(requested.status).toBe(201);
      const id = requested.body.id;
      expect(requested.body.state).toBe('awaiting-approval');
      const [approve, abort] = await Promise.all([
        call(0, 'POST', `/promotions/${id}/approve`, {
          auth: user('carol'),
          body: { comment: 'ok' },
        }),
        call(1, 'POST', `/promotions/${id}/abort`, {
          auth: user('alice'),
          body: { reason: 'not today' },
        }),
      ]);
      expect([approve.status, abort.status].filter(s => s >= 500)).toEqual([]);
      const row = await db('delivery_promotions').where({ id }).first();
      const approvals = await db('delivery_approvals').where({
        promotion_id: id,
      });
      // One wins, or they apply in order; never an approval recorded on an
      // aborted promotion without its 200, never both lost.
      expect([
        // abort first: the approval comes too late
        {
          approve: 409,
          abort: 200,
          state: 'aborted',
          approvals: 0,
          active: false,
        },
        // approval, then abort (an approved promotion may still be aborted)
        {
          approve: 200,
          abort: 200,
          state: 'aborted',
          approvals: 1,
          active: false,
        },
        // approval first, the abort refused
        {
          approve: 200,
          abort: 409,
          state: 'approved',
          approvals: 1,
          active: true,
        },
      ]).toContainEqual({
        approve: approve.status,
        abort: abort.status,
        state: row.state,
        approvals: approvals.length,
        active: row.active_lock !== null,
      });
      if (row.state === 'approved') {
        // Leave the environment free for the next round.
        await call(0, 'POST', `/promotions/${id}/abort`, {
          auth: user('alice'),
          body: { reason: 'next round' },
        });
      }
    }
  });

  it('evidence ingest with client retries on both replicas records each once', async () => {
    const { id } = await recordBuild(3);
    const posts = Array.from({ length: 300 }, (_, i) => ({
      key: randomUUID(),
      body: { kind: 'unit-test', result: i % 7 === 0 ? 'failed' : 'passed' },
    }));
    // Every post sent twice at once (a retry after a timeout), one to each
    // replica, 32 at a time.
    const statuses: number[] = [];
    for (let i = 0; i < posts.length; i += 16) {
      const batch = posts.slice(i, i + 16);
      const answers = await Promise.all(
        batch.flatMap(p => [
          call(0, 'POST', `/artifacts/${id}/evidence`, p),
          call(1, 'POST', `/artifacts/${id}/evidence`, p),
        ]),
      );
      statuses.push(...answers.map(a => a.status));
    }
    expect(statuses.filter(s => ![201, 409].includes(s))).toEqual([]);
    const count = async () =>
      Number(
        (
          await db('delivery_evidence')
            .where({ artifact_id: id })
            .count({ n: '*' })
        )[0].n,
      );
    expect(await count()).toBe(posts.length);
    // Retried again later, on the other replica: the first answers, no rows.
    const again = await Promise.all(
      posts
        .slice(0, 50)
        .map((p, i) => call(i % 2, 'POST', `/artifacts/${id}/evidence`, p)),
    );
    expect(again.map(a => a.status)).toEqual(Array(50).fill(201));
    expect(await count()).toBe(posts.length);
  });
});

/** A Redis of its own for a test, on a free port (Debian's redis-server). */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>(resolve => {
      const socket = connect(port, '127.0.0.1')
        .on('connect', () => {
          socket.end();
          resolve(true);
        })
        .on('error', () => resolve(false));
    });
    if (up) return child;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`redis-server did not start on ${port}`);
}

describeOnPostgres('two replicas sharing Redis as their cache', () => {
  const database = replicaDatabase(
    PG!,
    `delivery_rel_${randomBytes(4).toString('hex')}_`,
  );
  const replicas: {
    url: string;
    child: ChildProcess;
    stderr: () => string;
  }[] = [];
  let redisPort: number;
  let redis: ChildProcess;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    const options = async (): Promise<ReplicaOptions> => ({
      port: await freePort(),
      database: database.connection,
      cache: { store: 'redis', connection: `redis://127.0.0.1:${redisPort}` },
      delivery: {
        ladders: { standard: { environments: [{ name: 'dev' }] } },
        // Organisation-wide figures go through the cache too.
        metrics: { organisationCacheTtl: '1m' },
      },
      entities: [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'payments-api' },
          spec: {
            type: 'service',
            owner: 'team-payments',
            lifecycle: 'production',
          },
        },
      ],
      groups: {},
    });
    replicas.push(await startReplica(await options()));
    replicas.push(await startReplica(await options()));
  });

  afterAll(async () => {
    redis?.kill('SIGKILL');
    await database.drop(replicas);
  });

  /** The reads that go through the cache, on both replicas, with their time. */
  async function reads() {
    const started = Date.now();
    const answers = await Promise.all(
      replicas.flatMap(({ url }) =>
        [
          `/overview?component=${encodeURIComponent(COMPONENT)}`,
          '/metrics/dora',
          `/scorecards?component=${encodeURIComponent(COMPONENT)}`,
        ].map(async path => {
          try {
            const res = await fetch(`${url}/api/delivery${path}`, {
              headers: { authorization: ci },
              signal: AbortSignal.timeout(20_000),
            });
            return `${res.status} ${path}`;
          } catch (error) {
            const replica = replicas.find(r => r.url === url)!;
            return `${error} ${path}: replica exit ${
              replica.child.exitCode
            }\n${replica.stderr()}`;
          }
        }),
      ),
    );
    return { answers, ms: Date.now() - started };
  }

  it('keeps answering while Redis is down, and uses it again when it is back', async () => {
    const ok = (answers: string[]) =>
      answers.filter(a => !a.startsWith('200 '));
    expect(ok((await reads()).answers)).toEqual([]);

    redis.kill('SIGKILL');
    await new Promise(r => setTimeout(r, 500));
    const down = await reads();
    expect(ok(down.answers)).toEqual([]);

    // Without waiting for a cache that does not answer.
    expect(down.ms).toBeLessThan(5_000);

    redis = await startRedis(redisPort);
    await new Promise(r => setTimeout(r, 2000));
    expect(ok((await reads()).answers)).toEqual([]);
    // The organisation's DORA figures are cached in it again.
    const keys = execFileSync(
      'redis-cli',
      ['-p', String(redisPort), '--scan', '--pattern', 'delivery:*'],
      { encoding: 'utf8' },
    ).trim();
    // (Backstage's Redis store keeps keys base64-encoded per plugin.)
    expect(
      keys
        .split('\n')
        .map(k =>
          Buffer.from(k.replace(/^delivery:/, ''), 'base64').toString(),
        ),
    ).toContain('metrics:v1:dora:30');
  });
});
