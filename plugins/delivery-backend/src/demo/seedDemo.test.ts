import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigReader } from '@backstage/config';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { matchPeople } from '../catalog/people';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import yaml from 'yaml';
import { readDeliveryConfig } from '../config/readDeliveryConfig';
import { applyDatabaseMigrations } from '../database/migrations';
import { createLedgerServices } from '../service/createServices';
import { demoDigest, resolveTime, seedDemo } from './seedDemo';

const root = resolve(__dirname, '../../../..');

/** Substitutes `$file` as the config loader does, relative to the config file. */
function withFiles(value: any): any {
  if (Array.isArray(value)) return value.map(withFiles);
  if (value && typeof value === 'object') {
    if (typeof value.$file === 'string') {
      return readFileSync(resolve(root, value.$file), 'utf8');
    }
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, withFiles(v)]),
    );
  }
  return value;
}
const appConfig = withFiles(
  yaml.parse(readFileSync(resolve(root, 'app-config.yaml'), 'utf8')),
);
const load = (file: string): Entity[] =>
  yaml
    .parseAllDocuments(readFileSync(resolve(root, file), 'utf8'))
    .map(d => d.toJSON());
/** The demo's components, and its users with the relations stitching adds. */
const entities: Entity[] = [
  ...load('examples/entities.yaml'),
  ...load('examples/org.yaml')
    .filter(e => e.kind === 'User')
    .map(user => ({
      ...user,
      relations: ((user.spec?.memberOf as string[]) ?? []).map(group => ({
        type: 'memberOf',
        targetRef: `group:default/${group}`,
      })),
    })),
];
const catalog = {
  getEntity: async (ref: string) =>
    entities.find(e => stringifyEntityRef(e) === ref),
};

describe('resolveTime', () => {
  const now = Date.parse('2026-11-27T15:30:00Z');
  it.each([
    ['-3h', '2026-11-27T12:30:00.000Z'],
    ['-2h50m', '2026-11-27T12:40:00.000Z'],
    ['-6d@08:00', '2026-11-21T08:00:00.000Z'],
    ['-0d@20:00', '2026-11-27T15:30:00.000Z'], // never in the future
  ])('%s', (at, expected) => {
    expect(new Date(resolveTime(at, now)).toISOString()).toBe(expected);
  });
  it('refuses nonsense', () => {
    expect(() => resolveTime('yesterday', now)).toThrow(
      "Invalid demo time 'yesterday'",
    );
  });
});

describe('the make start demo (examples/delivery-demo.yaml with app-config.yaml)', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it.each([
    ['a Wednesday afternoon', '2026-11-25T15:30:00Z'],
    ['just after midnight on a Monday', '2026-11-30T00:20:00Z'],
  ])(
    'replays cleanly on %s, with the situations the UI needs',
    async (_when, nowIso) => {
      const knex = await databases.init('SQLITE_3');
      await applyDatabaseMigrations(knex);
      const config = readDeliveryConfig(new ConfigReader(appConfig));
      const now = Date.parse(nowIso);

      const result = await seedDemo({
        file: resolve(root, 'examples/delivery-demo.yaml'),
        knex,
        config,
        catalog,
        people: {
          match: async identities => matchPeople(identities, entities),
        },
        logger: mockServices.logger.mock(),
        now,
      });
      expect(result.refused).toBe(3);

      const { ledger, overview, promotions } = createLedgerServices({
        knex,
        config,
        catalog,
        clock: () => now,
      });
      const store = ledger.artifacts;
      const payments = await overview.overview('payments-api');
      const [dev, staging, production] = payments.environments;
      expect(dev.release!.artifact.digest).toBe(
        demoDigest('payments-api', 143),
      );
      expect(staging.release!.artifact.digest).toBe(
        demoDigest('payments-api', 143),
      );
      // 1.42.0 was rolled back to 1.41.0 and quarantined.
      expect(production.release!.artifact.tags).toEqual(['1.41.0']);
      expect(production.release!.promotion!.kind).toBe('rollback');
      // 1.43.0 waits for its second approval.
      expect(production.activePromotion!.promotion.state).toBe(
        'awaiting-approval',
      );
      expect(production.activePromotion!.approvals).toEqual([
        expect.objectContaining({
          approverRef: 'user:default/alice',
          comment: 'Pool leak fixed, load test attached',
          outsideCommittingTeam: true,
        }),
      ]);
      // Bob wrote and pushed the fix: he may not approve it.
      expect(production.activePromotion!.promotion).toMatchObject({
        triggeredBy: 'bob-b',
        people: [
          {
            ref: 'user:default/bob',
            role: 'triggered-by',
            matchedBy: 'GitHub login bob-b',
          },
          {
            ref: 'user:default/bob',
            role: 'commit-author',
            matchedBy: 'e-mail bob@example.com',
          },
        ],
        committingTeams: ['group:default/team-storefront'],
      });

      const quarantined = await store.getArtifactByDigest(
        'component:default/payments-api',
        demoDigest('payments-api', 142),
      );
      expect((await store.activeQuarantines([quarantined!.id])).size).toBe(1);

      const refused = await promotions.listPromotions(
        { states: ['refused'] },
        { limit: 10 },
      );
      expect(
        refused.items
          .map(p => `${p.promotion.componentRef} ${p.promotion.environment}`)
          .sort(),
      ).toEqual([
        'component:default/checkout-web production',
        'component:default/payments-api dev',
        'component:default/product-catalog staging',
      ]);

      const checkout = await overview.overview('checkout-web');
      expect(
        checkout.environments.map(e => e.release?.artifact.tags[0]),
      ).toEqual(['2.11.0', '2.10.0', '2.9.0']);
      // The next candidate for production is 2.10.0 from staging, awaiting approval.
      expect(checkout.environments[2].candidate).toMatchObject({
        artifact: { tags: ['2.10.0'] },
        decision: 'awaiting-approval',
      });

      // Signatures and provenance were signed with the demo key and verified.
      const built = await store.getArtifactByDigest(
        'component:default/payments-api',
        demoDigest('payments-api', 143),
      );
      const evidence = await ledger.evidence.listEvidence(built!.id);
      expect(
        evidence
          .filter(e => e.verification)
          .map(e => `${e.kind} ${e.verification!.signer.type}`)
          .sort(),
      ).toEqual(['provenance key', 'signature key']);
      // ledger-worker's signature predates verification: production says so.
      const worker = await overview.overview('ledger-worker');
      expect(worker.environments[2].candidate?.gates).toContainEqual(
        expect.objectContaining({
          gate: 'evidence',
          verdict: 'failed',
          message: expect.stringContaining(
            'signature was only reported by github-actions, not verified',
          ),
        }),
      );

      // Replaying again changes nothing: the ledger is no longer empty.
      expect(
        await seedDemo({
          file: resolve(root, 'examples/delivery-demo.yaml'),
          knex,
          config,
          catalog,
          logger: mockServices.logger.mock(),
          now,
        }),
      ).toEqual({ steps: 0, refused: 0 });
    },
  );

  it('replays the same history when the portal deploys with executors (make start-kubernetes)', async () => {
    const knex = await databases.init('SQLITE_3');
    await applyDatabaseMigrations(knex);
    const config = readDeliveryConfig(
      new ConfigReader({
        ...appConfig,
        kubernetes: {
          clusterLocatorMethods: [
            {
              type: 'config',
              clusters: [{ name: 'local', url: 'https://127.0.0.1:6443' }],
            },
          ],
        },
        delivery: {
          ...appConfig.delivery,
          ladders: {
            ...appConfig.delivery.ladders,
            standard: {
              ...appConfig.delivery.ladders.standard,
              executor: { type: 'kubernetes' },
            },
          },
        },
      }),
    );
    expect(config.ladders.get('standard')!.environments[0].executor.type).toBe(
      'kubernetes',
    );
    const result = await seedDemo({
      file: resolve(root, 'examples/delivery-demo.yaml'),
      knex,
      config,
      catalog,
      logger: mockServices.logger.mock(),
      now: Date.parse('2026-11-25T15:30:00Z'),
    });
    expect(result.refused).toBe(3);
    const { overview } = createLedgerServices({ knex, config, catalog });
    const product = await overview.overview('product-catalog');
    expect(product.environments[0].release!.artifact.tags).toEqual(['0.7.0']);
  });
});
