import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { Ledger } from './Ledger';
import { applyDatabaseMigrations } from './migrations';

jest.setTimeout(120_000);

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 9);
const CHECKOUT = 'component:default/checkout';
const ORDERS = 'component:default/orders';

/** Releases into production: checkout at T0, T0+1h, T0+2h (a hotfix, then rolled back), orders at T0+30 min; a staging release and a failed one. */
async function seed(ledger: Ledger) {
  let n = 0;
  const release = async (
    componentRef: string,
    at: number,
    extra: {
      environment?: string;
      state?: 'failed' | 'rolled-back';
      kind?: 'hotfix';
    } = {},
  ) => {
    n += 1;
    const artifactId = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    await ledger.artifacts.recordArtifact(
      {
        id: artifactId,
        componentRef,
        digest: `sha256:${String(n).padStart(64, '0')}`,
        imageRepository: 'ghcr.io/acme/app',
        tags: [],
        commitSha: `${n}`.padEnd(40, '0'),
      },
      'service:ci',
      at - 10 * MIN,
    );
    const id = `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    await ledger.promotions.insertPromotion(
      {
        id,
        componentRef,
        environment: extra.environment ?? 'production',
        ladder: 'standard',
        artifactId,
        kind: extra.kind ?? 'normal',
        state: extra.state ?? 'succeeded',
        requestedBy: 'service:ci',
        gates: [],
        requiredApprovals: 0,
        createdAt: at - 5 * MIN,
        updatedAt: at,
        completedAt: at,
      },
      false,
    );
    return { id, digest: `sha256:${String(n).padStart(64, '0')}` };
  };
  return {
    c1: await release(CHECKOUT, T0),
    o1: await release(ORDERS, T0 + 30 * MIN),
    c2: await release(CHECKOUT, T0 + 60 * MIN),
    staging: await release(CHECKOUT, T0 + 70 * MIN, { environment: 'staging' }),
    failed: await release(CHECKOUT, T0 + 80 * MIN, { state: 'failed' }),
    c3: await release(CHECKOUT, T0 + 120 * MIN, {
      kind: 'hotfix',
      state: 'rolled-back',
    }),
  };
}

describe('ComparisonStore', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });

  async function create(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    return new Ledger(knex);
  }

  it.each(databases.eachSupportedId())(
    'finds releases due for comparison, what ran before them, and lists comparisons newest first in pages, %p',
    async databaseId => {
      const ledger = await create(databaseId);
      const r = await seed(ledger);
      const production = [{ ladder: 'standard', environment: 'production' }];
      const window = { from: T0, to: T0 + 3 * 60 * MIN };

      // Live releases of production, oldest first; not staging, not failed.
      const due = await ledger.comparisons.due(production, window, 10);
      expect(due.map(d => d.promotionId)).toEqual([
        r.c1.id,
        r.o1.id,
        r.c2.id,
        r.c3.id,
      ]);
      expect(due[2]).toMatchObject({
        componentRef: CHECKOUT,
        environment: 'production',
        ladder: 'standard',
        digest: r.c2.digest,
        liveAt: T0 + 60 * MIN,
      });
      expect(await ledger.comparisons.previousDigest(due[2])).toBe(r.c1.digest);
      expect(await ledger.comparisons.previousDigest(due[0])).toBeUndefined();

      const comparison = (d: (typeof due)[number], worse: boolean) => ({
        promotionId: d.promotionId,
        componentRef: d.componentRef,
        environment: d.environment,
        digest: d.digest,
        liveAt: d.liveAt,
        windowMs: 30 * MIN,
        worse,
        metrics: [
          {
            name: 'error-rate',
            unit: 'ratio',
            failWhen: 'above' as const,
            threshold: 0.05,
            before: 0.01,
            after: worse ? 0.2 : 0.01,
            worse,
            points: [
              [d.liveAt - MIN, 0.01],
              [d.liveAt + MIN, worse ? 0.2 : 0.01],
            ] as Array<[number, number]>,
          },
        ],
        computedAt: d.liveAt + 31 * MIN,
      });
      for (const [i, d] of due.entries()) {
        await ledger.comparisons.insert(comparison(d, i % 2 === 0));
      }
      // Written once: a second insert for a release is ignored.
      await ledger.comparisons.insert(comparison(due[0], false));
      expect(await ledger.comparisons.due(production, window, 10)).toEqual([]);
      expect(await ledger.comparisons.get(r.c1.id)).toEqual({
        ...comparison(due[0], true),
        previousDigest: undefined,
      });

      const first = await ledger.comparisons.list({}, { limit: 3 });
      expect(first.items.map(c => c.promotionId)).toEqual([
        r.c3.id,
        r.c2.id,
        r.o1.id,
      ]);
      const second = await ledger.comparisons.list(
        {},
        { limit: 3, cursor: first.nextCursor },
      );
      expect(second.items.map(c => c.promotionId)).toEqual([r.c1.id]);
      expect(second.nextCursor).toBeUndefined();

      const worse = await ledger.comparisons.list(
        { worse: true },
        { limit: 10 },
      );
      expect(worse.items.map(c => c.promotionId)).toEqual([r.c2.id, r.c1.id]);
      const orders = await ledger.comparisons.list(
        { componentRefs: [ORDERS] },
        { limit: 10 },
      );
      expect(orders.items.map(c => c.promotionId)).toEqual([r.o1.id]);
    },
  );
});
