import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { Deployment } from '../domain/executions';
import { Ledger } from './Ledger';
import { applyDatabaseMigrations } from './migrations';

jest.setTimeout(120_000);

const COMPONENT = 'component:default/payments-api';
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('DeploymentStore', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });

  describe.each(databases.eachSupportedId())(
    'on %p',
    (databaseId: TestDatabaseId) => {
      let ledger: Ledger;
      let n = 0;

      beforeAll(async () => {
        const knex = await databases.init(databaseId);
        await applyDatabaseMigrations(knex);
        ledger = new Ledger(knex);
        await ledger.artifacts.recordArtifact(
          {
            id: 'a1',
            componentRef: COMPONENT,
            digest: DIGEST,
            imageRepository: 'ghcr.io/acme/payments-api',
            tags: [],
            commitSha: 'c0ffee',
          },
          'service:ci',
          1,
        );
      });

      /** An approved promotion into `environment`, and (optionally) its execution. */
      async function approved(environment: string, withDeployment = true) {
        const id = `p-${databaseId}-${++n}`;
        await ledger.promotions.insertPromotion(
          {
            id,
            componentRef: COMPONENT,
            environment,
            ladder: 'standard',
            artifactId: 'a1',
            kind: 'normal',
            state: 'approved',
            requestedBy: 'user:default/alice',
            gates: [],
            requiredApprovals: 0,
            createdAt: 100 + n,
            updatedAt: 100 + n,
          },
          true,
        );
        const deployment: Deployment = {
          promotionId: id,
          componentRef: COMPONENT,
          environment,
          executor: 'kubernetes',
          phase: 'queued',
          attempt: 0,
          targetDigest: DIGEST,
          memo: {},
          nextRunAt: 1000,
          createdAt: 1000,
          updatedAt: 1000,
        };
        if (withDeployment) {
          expect(await ledger.deployments.insert(deployment)).toBe(true);
        }
        return { id, deployment };
      }

      it('starts one execution per promotion, and finds approved promotions without one', async () => {
        const { id, deployment } = await approved('dev');
        expect(await ledger.deployments.insert(deployment)).toBe(false);
        const waiting = await approved('staging', false);
        const found = await ledger.deployments.withoutDeployment(
          ['approved'],
          [
            { ladder: 'standard', environment: 'staging' },
            { ladder: 'standard', environment: 'dev' },
          ],
          10,
        );
        expect(found.map(p => p.id)).toEqual([waiting.id]);
        expect(
          await ledger.deployments.withoutDeployment(
            ['approved'],
            [{ ladder: 'other', environment: 'staging' }],
            10,
          ),
        ).toEqual([]);
        expect((await ledger.deployments.get(id))!.phase).toBe('queued');
      });

      it('lets exactly one of many concurrent claims hold an execution', async () => {
        const { id } = await approved('production');
        const claims = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            ledger.deployments.claim(id, `replica-${i}`, 2000, 60_000),
          ),
        );
        expect(claims.filter(Boolean)).toHaveLength(1);
        const holder = (await ledger.deployments.get(id))!;
        expect(holder.claimedBy).toMatch(/^replica-\d$/);
        expect(holder.leaseExpiresAt).toBe(62_000);
        // Not due for anyone else while the lease runs.
        expect(
          (await ledger.deployments.due(3000, 50)).map(d => d.promotionId),
        ).not.toContain(id);
      });

      it("hands an execution over once its lease ran out, and refuses the old holder's write", async () => {
        const { id } = await approved('qa');
        expect(
          await ledger.deployments.claim(id, 'dead-replica', 2000, 1000),
        ).toBe(true);
        expect(await ledger.deployments.claim(id, 'other', 2500, 1000)).toBe(
          false,
        );
        // The lease ran out at 3000: the execution is due again, and taken over.
        expect(
          (await ledger.deployments.due(3001, 50)).map(d => d.promotionId),
        ).toContain(id);
        expect(await ledger.deployments.claim(id, 'other', 3001, 1000)).toBe(
          true,
        );
        // The replica that lost it cannot record its step.
        expect(
          await ledger.deployments.update(
            id,
            'dead-replica',
            { phase: 'deploying', nextRunAt: 4000 },
            3002,
          ),
        ).toBe(false);
        expect(
          await ledger.deployments.update(
            id,
            'other',
            {
              phase: 'deploying',
              attempt: 0,
              memo: {
                actedAt: 3001,
                workloads: [{ name: 'api', container: 'app' }],
              },
              progress: { message: 'set the image', since: 3001 },
              nextRunAt: 4000,
            },
            3002,
          ),
        ).toBe(true);
        const after = (await ledger.deployments.get(id))!;
        expect(after).toMatchObject({
          phase: 'deploying',
          claimedBy: undefined,
          leaseExpiresAt: undefined,
          nextRunAt: 4000,
          memo: {
            actedAt: 3001,
            workloads: [{ name: 'api', container: 'app' }],
          },
          progress: { message: 'set the image', since: 3001 },
        });
      });

      it('keeps the steps in order, and never claims a finished execution', async () => {
        const { id } = await approved('perf');
        await ledger.deployments.addStep(id, {
          at: 1,
          action: 'acted',
          message: 'set',
        });
        await ledger.deployments.addStep(id, {
          at: 2,
          action: 'released',
          message: 'done',
        });
        expect((await ledger.deployments.steps(id)).map(s => s.action)).toEqual(
          ['acted', 'released'],
        );
        expect(await ledger.deployments.claim(id, 'r', 5000, 1000)).toBe(true);
        await ledger.deployments.update(
          id,
          'r',
          { phase: 'finished', nextRunAt: 5000 },
          5000,
        );
        expect((await ledger.deployments.get(id))!.finishedAt).toBe(5000);
        expect(await ledger.deployments.claim(id, 'r', 9000, 1000)).toBe(false);
        expect(
          (await ledger.deployments.due(9000, 50)).map(d => d.promotionId),
        ).not.toContain(id);
      });
    },
  );
});
