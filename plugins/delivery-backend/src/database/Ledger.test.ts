import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { Promotion } from '../domain/types';
import { Ledger } from './Ledger';
import { applyDatabaseMigrations } from './migrations';

jest.setTimeout(120_000);

const COMPONENT = 'component:default/payments-api';
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function artifactInput(n: number, overrides: object = {}) {
  return {
    id: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    componentRef: COMPONENT,
    digest: digest(n),
    imageRepository: 'ghcr.io/acme/payments-api',
    tags: [`1.0.${n}`],
    commitSha: `c${n}`.padEnd(40, '0'),
    commitTime: 1_700_000_000_000 + n,
    branch: 'main',
    buildId: `${n}`,
    buildUrl: `https://ci.example.com/builds/${n}`,
    sizeBytes: 100_000_000 + n,
    baseImage: 'gcr.io/distroless/nodejs22@sha256:abc',
    ...overrides,
  };
}

function promotion(
  id: string,
  artifactId: string,
  overrides: Partial<Promotion> = {},
): Promotion {
  return {
    id,
    componentRef: COMPONENT,
    environment: 'staging',
    ladder: 'standard',
    artifactId,
    kind: 'normal',
    state: 'awaiting-approval',
    requestedBy: 'service:ci',
    gates: [
      { gate: 'approvals', verdict: 'pending', message: 'needs 1 approval' },
    ],
    requiredApprovals: 1,
    createdAt: 1000,
    updatedAt: 1000,
    ...overrides,
  };
}

describe('Ledger stores', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });

  async function createStore(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    return new Ledger(knex);
  }

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    let store: Ledger;
    beforeAll(async () => {
      store = await createStore(databaseId);
    });

    it('records an artifact once and returns it again for the same payload', async () => {
      const first = await store.artifacts.recordArtifact(
        artifactInput(1),
        'service:ci',
        5000,
      );
      expect(first.created).toBe(true);
      expect(first.artifact).toEqual({
        ...artifactInput(1),
        createdBy: 'service:ci',
        createdAt: 5000,
      });

      const again = await store.artifacts.recordArtifact(
        {
          ...artifactInput(1),
          id: 'ignored-new-id',
          tags: ['1.0.1', 'stable'],
        },
        'service:ci',
        6000,
      );
      expect(again.created).toBe(false);
      expect(again.artifact.id).toBe(first.artifact.id);
      expect(again.artifact.createdAt).toBe(5000);
      expect(again.artifact.tags).toEqual(['1.0.1', 'stable']);
    });

    it('refuses a different payload for the same digest, naming the field, and writes nothing', async () => {
      await expect(
        store.artifacts.recordArtifact(
          {
            ...artifactInput(1),
            id: 'x',
            commitSha: 'f'.repeat(40),
            tags: ['new-tag'],
          },
          'service:ci',
          7000,
        ),
      ).rejects.toThrow(
        new ConflictError(
          `sha256:000000000000… is already recorded for ${COMPONENT} with commitSha "${
            artifactInput(1).commitSha
          }", not "ffffffffffffffffffffffffffffffffffffffff"; an artifact never changes, so record the new build under its own digest`,
        ),
      );
      const artifact = await store.artifacts.getArtifactByDigest(
        COMPONENT,
        digest(1),
      );
      expect(artifact!.tags).toEqual(['1.0.1', 'stable']);
    });

    it('never moves a tag to another digest', async () => {
      await expect(
        store.artifacts.recordArtifact(
          { ...artifactInput(2), tags: ['stable'] },
          'service:ci',
          8000,
        ),
      ).rejects.toThrow(
        `Tag stable of ${COMPONENT} already points to sha256:000000000000…; tags never move to another digest`,
      );
      expect(
        await store.artifacts.getArtifactByDigest(COMPONENT, digest(2)),
      ).toBeUndefined();
    });

    it('records the same new artifact concurrently exactly once', async () => {
      const results = await Promise.allSettled(
        [1, 2, 3, 4].map(i =>
          store.artifacts.recordArtifact(
            {
              ...artifactInput(3),
              id: `00000000-0000-4000-9000-00000000000${i}`,
            },
            'service:ci',
            9000,
          ),
        ),
      );
      const values = results.flatMap(r =>
        r.status === 'fulfilled' ? [r.value] : [],
      );
      expect(values.length).toBeGreaterThanOrEqual(1);
      expect(values.filter(v => v.created)).toHaveLength(1);
      expect(new Set(values.map(v => v.artifact.id)).size).toBe(1);
    });

    it('lists every component with a build, once each', async () => {
      for (const [n, ref] of [
        [70, 'component:default/aaa-first'],
        [71, 'component:default/zzz-last'],
        [72, 'component:default/aaa-first'],
        [73, 'component:other/middle'],
      ] as const) {
        await store.artifacts.recordArtifact(
          artifactInput(n, { componentRef: ref }),
          'service:ci',
          30_000 + n,
        );
      }
      const refs = await store.artifacts.componentRefs();
      expect(refs).toEqual([...new Set(refs)].sort());
      expect(refs).toEqual(
        expect.arrayContaining([
          'component:default/aaa-first',
          'component:default/zzz-last',
          'component:other/middle',
        ]),
      );
      const newest = await Promise.all(
        refs.map(componentRef =>
          store.artifacts.listArtifacts({ componentRef, limit: 1 }),
        ),
      );
      expect(newest.every(page => page.items.length === 1)).toBe(true);
    });

    it('pages artifacts newest first with a cursor', async () => {
      for (const n of [10, 11, 12, 13, 14]) {
        await store.artifacts.recordArtifact(
          artifactInput(n, { componentRef: 'component:default/pager' }),
          'service:ci',
          20_000 + n,
        );
      }
      const first = await store.artifacts.listArtifacts({
        componentRef: 'component:default/pager',
        limit: 2,
      });
      expect(first.items.map(a => a.buildId)).toEqual(['14', '13']);
      const second = await store.artifacts.listArtifacts({
        componentRef: 'component:default/pager',
        limit: 2,
        cursor: first.nextCursor,
      });
      expect(second.items.map(a => a.buildId)).toEqual(['12', '11']);
      const last = await store.artifacts.listArtifacts({
        componentRef: 'component:default/pager',
        limit: 2,
        cursor: second.nextCursor,
      });
      expect(last.items.map(a => a.buildId)).toEqual(['10']);
      expect(last.nextCursor).toBeUndefined();
    });

    it('keeps evidence append-only and reads the latest result per kind', async () => {
      const { artifact } = await store.artifacts.recordArtifact(
        artifactInput(20),
        'service:ci',
        1,
      );
      await store.evidence.addEvidence({
        artifactId: artifact.id,
        kind: 'unit-test',
        result: 'failed',
        summary: { tests: { passed: 9, failed: 1 } },
        reportedBy: 'service:ci',
        reportedAt: 10,
      });
      const latestTest = await store.evidence.addEvidence({
        artifactId: artifact.id,
        kind: 'unit-test',
        result: 'passed',
        summary: { tests: { passed: 10, failed: 0 } },
        reportedBy: 'service:ci',
        reportedAt: 20,
      });
      await store.evidence.addEvidence({
        artifactId: artifact.id,
        kind: 'image-scan',
        result: 'passed',
        summary: { vulnerabilities: { critical: 0, high: 2 } },
        url: 'https://scan',
        reportedBy: 'service:ci',
        reportedAt: 30,
      });

      expect(latestTest).toMatchObject({
        kind: 'unit-test',
        result: 'passed',
        status: 'reported',
        id: expect.any(Number),
      });
      const latest = (await store.evidence.latestEvidence([artifact.id])).get(
        artifact.id,
      )!;
      expect(latest.map(e => [e.kind, e.result, e.reportedAt])).toEqual([
        ['image-scan', 'passed', 30],
        ['unit-test', 'passed', 20],
      ]);
      expect(latest[0].summary).toEqual({
        vulnerabilities: { critical: 0, high: 2 },
      });
      expect(
        (await store.evidence.listEvidence(artifact.id)).map(e => e.result),
      ).toEqual(['failed', 'passed', 'passed']);
    });

    it('records evidence reported under one request key once, however often (and however concurrently) it is run', async () => {
      const { artifact } = await store.artifacts.recordArtifact(
        artifactInput(21),
        'service:ci',
        1,
      );
      const report = (reportedAt: number) =>
        store.evidence.addEvidence({
          artifactId: artifact.id,
          kind: 'integration-test',
          result: 'passed',
          reportedBy: 'service:ci',
          reportedAt,
          requestKey: 'a'.repeat(64),
        });
      const first = await report(10);
      const again = await Promise.all([report(20), report(30)]);
      expect(again).toEqual([first, first]);
      expect(
        (await store.evidence.listEvidence(artifact.id)).map(e => e.reportedAt),
      ).toEqual([10]);
    });

    it('allows one active quarantine per artifact', async () => {
      const { artifact } = await store.artifacts.recordArtifact(
        artifactInput(30),
        'service:ci',
        1,
      );
      expect(
        await store.artifacts.quarantine(
          artifact.id,
          'CVE',
          'user:default/carol',
          10,
        ),
      ).toBe(true);
      expect(
        await store.artifacts.quarantine(
          artifact.id,
          'again',
          'user:default/carol',
          11,
        ),
      ).toBe(false);
      expect(
        (await store.artifacts.activeQuarantines([artifact.id])).get(
          artifact.id,
        ),
      ).toMatchObject({ reason: 'CVE', quarantinedAt: 10 });
      expect(
        await store.artifacts.liftQuarantine(
          artifact.id,
          'fixed',
          'user:default/carol',
          20,
        ),
      ).toBe(true);
      expect(
        await store.artifacts.liftQuarantine(
          artifact.id,
          'fixed',
          'user:default/carol',
          21,
        ),
      ).toBe(false);
      expect(
        (await store.artifacts.activeQuarantines([artifact.id])).size,
      ).toBe(0);
      expect(
        await store.artifacts.quarantine(
          artifact.id,
          'again',
          'user:default/carol',
          30,
        ),
      ).toBe(true);
      expect(
        (await store.artifacts.listQuarantines(artifact.id)).map(
          q => q.liftReason,
        ),
      ).toEqual(['fixed', undefined]);
    });

    it('lets only one of many concurrent active promotions per environment in', async () => {
      const { artifact } = await store.artifacts.recordArtifact(
        artifactInput(40),
        'service:ci',
        1,
      );
      const ids = ['a', 'b', 'c', 'd', 'e', 'f'].map(x => `p40-${x}`);
      const inserted = await Promise.all(
        ids.map(id =>
          store.promotions.insertPromotion(promotion(id, artifact.id), true),
        ),
      );
      expect(inserted.filter(Boolean)).toHaveLength(1);
      // Inactive rows (refused promotions) never collide.
      expect(
        await store.promotions.insertPromotion(
          promotion('p40-refused-1', artifact.id, { state: 'refused' }),
          false,
        ),
      ).toBe(true);
      expect(
        await store.promotions.insertPromotion(
          promotion('p40-refused-2', artifact.id, { state: 'refused' }),
          false,
        ),
      ).toBe(true);
      // Another environment is independent.
      expect(
        await store.promotions.insertPromotion(
          promotion('p40-prod', artifact.id, { environment: 'production' }),
          true,
        ),
      ).toBe(true);

      const winner = ids[inserted.indexOf(true)];
      expect(
        (await store.promotions.activePromotion(COMPONENT, 'staging'))!.id,
      ).toBe(winner);
    });

    it('moves a promotion only from the expected state, once, under concurrency', async () => {
      const active = (await store.promotions.activePromotion(
        COMPONENT,
        'staging',
      ))!;
      const moved = await Promise.all(
        [1, 2, 3, 4].map(i =>
          store.promotions.transition(
            active.id,
            ['awaiting-approval'],
            i % 2 ? 'approved' : 'aborted',
            {
              now: 2000 + i,
              active: i % 2 === 1,
            },
          ),
        ),
      );
      expect(moved.filter(Boolean)).toHaveLength(1);
      const after = (await store.promotions.getPromotion(active.id))!;
      expect(['approved', 'aborted']).toContain(after.state);
      expect(
        await store.promotions.transition(
          active.id,
          ['awaiting-approval'],
          'rejected',
          {
            now: 3000,
            active: false,
          },
        ),
      ).toBe(false);

      // Once it ends, the environment is free for a new active promotion.
      await store.promotions.transition(
        active.id,
        ['approved', 'aborted'],
        'aborted',
        {
          now: 3100,
          active: false,
        },
      );
      expect((await store.promotions.getPromotion(active.id))!).toMatchObject({
        state: 'aborted',
        completedAt: 3100,
      });
      expect(
        await store.promotions.insertPromotion(
          promotion('p40-next', active.artifactId),
          true,
        ),
      ).toBe(true);
    });

    it('records one decision per approver', async () => {
      expect(
        await store.promotions.addApproval('p40-next', {
          approverRef: 'user:default/alice',
          decision: 'approve',
          createdAt: 1,
        }),
      ).toBe(true);
      expect(
        await store.promotions.addApproval('p40-next', {
          approverRef: 'user:default/alice',
          decision: 'reject',
          createdAt: 2,
        }),
      ).toBe(false);
      expect(
        await store.promotions.addApproval('p40-next', {
          approverRef: 'user:default/bob',
          decision: 'approve',
          comment: 'ok',
          createdAt: 3,
        }),
      ).toBe(true);
      expect(
        (await store.promotions.listApprovals(['p40-next'])).get('p40-next'),
      ).toEqual([
        {
          approverRef: 'user:default/alice',
          decision: 'approve',
          comment: undefined,
          createdAt: 1,
        },
        {
          approverRef: 'user:default/bob',
          decision: 'approve',
          comment: 'ok',
          createdAt: 3,
        },
      ]);
    });

    it('keeps one current release per environment and its history', async () => {
      const { artifact: a } = await store.artifacts.recordArtifact(
        artifactInput(50),
        'service:ci',
        1,
      );
      const { artifact: b } = await store.artifacts.recordArtifact(
        artifactInput(51),
        'service:ci',
        2,
      );
      await store.promotions.insertPromotion(
        promotion('r1', a.id, {
          environment: 'production',
          state: 'succeeded',
          completedAt: 100,
        }),
        false,
      );
      await store.promotions.insertPromotion(
        promotion('r2', b.id, {
          environment: 'production',
          state: 'rolled-back',
          completedAt: 200,
        }),
        false,
      );
      await store.releases.setRelease({
        componentRef: COMPONENT,
        environment: 'production',
        promotionId: 'r1',
        artifactId: a.id,
        releasedAt: 100,
        releasedBy: 'service:ci',
      });
      await store.releases.setRelease({
        componentRef: COMPONENT,
        environment: 'production',
        promotionId: 'r2',
        artifactId: b.id,
        releasedAt: 200,
        releasedBy: 'service:ci',
      });

      expect(
        (await store.releases.getReleases(COMPONENT)).map(r => [
          r.environment,
          r.promotionId,
        ]),
      ).toEqual([['production', 'r2']]);
      expect(
        (await store.releases.releasesOfArtifacts([a.id, b.id])).get(b.id),
      ).toHaveLength(1);
      expect(
        (
          await store.promotions.releaseHistory(COMPONENT, 'production', {
            limit: 10,
          })
        ).map(p => p.id),
      ).toEqual(['r1', 'r2']);
      expect(
        (
          await store.promotions.releaseHistory(COMPONENT, 'production', {
            artifactId: b.id,
            newestFirst: true,
            limit: 1,
          })
        )[0].state,
      ).toBe('rolled-back');
      expect(
        (await store.promotions.knownGood(COMPONENT, 'production', 10)).map(
          p => p.id,
        ),
      ).toEqual(['r1']);
      // The overview reads them for every environment in one query.
      await store.promotions.insertPromotion(
        promotion('r3', b.id, {
          environment: 'production',
          state: 'succeeded',
          completedAt: 300,
        }),
        false,
      );
      await store.promotions.insertPromotion(
        promotion('s1', b.id, {
          environment: 'staging',
          state: 'succeeded',
          completedAt: 150,
        }),
        false,
      );
      const byEnvironment = await store.promotions.knownGoodIn(
        COMPONENT,
        ['production', 'staging', 'dev'],
        10,
      );
      expect(
        Object.fromEntries(
          [...byEnvironment].map(([env, list]) => [env, list.map(p => p.id)]),
        ),
      ).toEqual({ production: ['r3', 'r1'], staging: ['s1'], dev: [] });
      expect(
        (await store.promotions.knownGoodIn(COMPONENT, ['production'], 1))
          .get('production')!
          .map(p => p.id),
      ).toEqual(['r3']);
    });

    it('filters and pages promotions', async () => {
      const page = await store.promotions.listPromotions(
        { componentRef: COMPONENT, states: ['refused'] },
        { limit: 1 },
      );
      expect(page.items.map(p => p.state)).toEqual(['refused']);
      expect(page.nextCursor).toBeDefined();
      const next = await store.promotions.listPromotions(
        { componentRef: COMPONENT, states: ['refused'] },
        { limit: 1, cursor: page.nextCursor },
      );
      expect(next.items).toHaveLength(1);
      expect(next.items[0].id).not.toBe(page.items[0].id);
      expect(next.nextCursor).toBeUndefined();
      expect(
        (
          await store.promotions.listPromotions(
            { environment: 'production', since: 1000, until: 1001 },
            { limit: 50 },
          )
        ).items.length,
      ).toBeGreaterThan(0);
      expect(
        (
          await store.promotions.listPromotions(
            { environment: 'production', since: 1001 },
            { limit: 50 },
          )
        ).items,
      ).toEqual([]);
    });
  });
});
