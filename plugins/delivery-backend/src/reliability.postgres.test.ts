/*
 * The reliability suite, database outage: two real backend processes
 * (replica.ts) on a PostgreSQL server of the test's own, which is stopped as
 * a crash would stop it and started again in the middle of an evidence
 * ingest. The clients retry the way the CLI does (the same Idempotency-Key
 * until an answer). Needs Debian's PostgreSQL 15 binaries (CI has them);
 * skipped, saying so, without.
 */
import { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  ownPostgresUnavailable,
  startOwnPostgres,
} from './service/__testUtils__/ownPostgres';
import {
  freePort,
  replicaDatabase,
  startReplica,
} from './service/__testUtils__/replicaProcess';

jest.setTimeout(600_000);

const unavailable = ownPostgresUnavailable();
if (unavailable) {
  // eslint-disable-next-line no-console
  console.warn(
    `Database outage suite skipped: it runs a PostgreSQL of its own from Debian's postgresql-15 package (${unavailable})`,
  );
}
const describeWithOwnPostgres = unavailable ? describe.skip : describe;

const COMPONENT = 'component:default/payments-api';
const RECORDS = 1_000;
const CLIENTS = 32;
const ci = mockCredentials.service.header();

describeWithOwnPostgres(
  'PostgreSQL restarted during an evidence ingest',
  () => {
    let postgres: Awaited<ReturnType<typeof startOwnPostgres>>;
    let database: ReturnType<typeof replicaDatabase>;
    const replicas: {
      url: string;
      child: ChildProcess;
      stderr: () => string;
    }[] = [];

    beforeAll(async () => {
      postgres = await startOwnPostgres(await freePort());
      database = replicaDatabase(
        postgres.url,
        `delivery_pgr_${randomBytes(4).toString('hex')}_`,
      );
      for (let i = 0; i < 2; i++) {
        replicas.push(
          await startReplica({
            port: await freePort(),
            database: database.connection,
            delivery: {
              ladders: { standard: { environments: [{ name: 'dev' }] } },
              // A request whose answer was lost with the database is run
              // again after this long.
              idempotency: { lease: '3s' },
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
          }),
        );
      }
    });

    afterAll(async () => {
      await database?.drop(replicas);
      await postgres?.stop();
    });

    /** One request, sent until it is answered, as the CLI retries. */
    async function untilAnswered(
      path: string,
      body: unknown,
      tally: { attempts: number; failures: Map<string, number> },
    ) {
      const key = randomUUID();
      for (let attempt = 0; ; attempt++) {
        tally.attempts++;
        let outcome: string;
        try {
          const res = await fetch(
            `${replicas[attempt % 2].url}/api/delivery${path}`,
            {
              method: 'POST',
              headers: {
                authorization: ci,
                'content-type': 'application/json',
                'idempotency-key': key,
              },
              body: JSON.stringify(body),
              signal: AbortSignal.timeout(15_000),
            },
          );
          // Every answer is the API's JSON, errors included.
          const text = await res.text();
          let answer: any;
          try {
            answer = JSON.parse(text);
          } catch {
            throw new Error(`${path}: ${res.status} answered ${text}`);
          }
          if (res.ok) return answer;
          // Only these are worth a retry; anything else is the test's failure.
          if (res.status !== 409 && res.status < 500) {
            throw new Error(`${path}: ${res.status} ${JSON.stringify(answer)}`);
          }
          outcome = String(res.status);
        } catch (error) {
          if (String(error).includes(`${path}:`)) throw error;
          outcome = (error as Error).name;
        }
        tally.failures.set(outcome, (tally.failures.get(outcome) ?? 0) + 1);
        await new Promise(r => setTimeout(r, 100 + Math.random() * 400));
      }
    }

    it('1,000 evidence posts from 32 retrying clients over both replicas, restarted after a third: each recorded once', async () => {
      const tally = { attempts: 0, failures: new Map<string, number>() };
      const artifact = await untilAnswered(
        '/artifacts',
        {
          component: COMPONENT,
          digest: `sha256:${randomBytes(32).toString('hex')}`,
          imageRepository: 'ghcr.io/acme/payments-api',
          commitSha: randomBytes(20).toString('hex'),
        },
        tally,
      );
      const url = (i: number) => `https://ci.example.com/runs/${i}`;
      const answered = new Map<string, string>();
      let next = 0;
      let restarted: Promise<void> | undefined;
      const client = async () => {
        while (next < RECORDS) {
          const i = next++;
          const evidence = await untilAnswered(
            `/artifacts/${artifact.id}/evidence`,
            { kind: 'unit-test', result: 'passed', url: url(i) },
            tally,
          );
          answered.set(url(i), evidence.id);
          if (answered.size === Math.floor(RECORDS / 3)) {
            restarted = postgres.restart(2_000);
          }
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, client));
      await restarted;

      // The outage was real: requests failed while the database was away.
      expect(restarted).toBeDefined();
      expect(
        [...tally.failures.values()].reduce((a, b) => a + b, 0),
      ).toBeGreaterThan(0);
      // Each record once, and it is the one its client was answered with.
      const rows = await database
        .knex()('delivery_evidence')
        .where({ artifact_id: artifact.id })
        .select('id', 'url');
      expect(rows).toHaveLength(RECORDS);
      expect(new Map(rows.map(r => [r.url, Number(r.id)]))).toEqual(answered);
      // eslint-disable-next-line no-console
      console.log(
        `database outage: ${RECORDS} records, ${
          tally.attempts
        } requests, failures ${JSON.stringify(
          Object.fromEntries(tally.failures),
        )}`,
      );
      // Both replicas are still serving.
      for (const { url: replica } of replicas) {
        const res = await fetch(
          `${replica}/api/delivery/artifacts/${artifact.id}`,
          { headers: { authorization: ci } },
        );
        expect(res.status).toBe(200);
      }
    });
  },
);
