import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { Preview } from '../domain/previews';
import { applyDatabaseMigrations } from './migrations';
import { PreviewStore } from './PreviewStore';

jest.setTimeout(120_000);

const COMPONENT = 'component:default/checkout';

function preview(id: string, target: Partial<Preview>): Preview {
  return {
    id,
    componentRef: COMPONENT,
    cluster: 'test',
    namespace: `pv-checkout-${id}`,
    state: 'provisioning',
    requestedBy: 'user:default/alice',
    createdAt: 1,
    updatedAt: 1,
    expiresAt: 10_000,
    ...target,
  };
}

describe('PreviewStore', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });

  describe.each(databases.eachSupportedId())(
    'on %p',
    (databaseId: TestDatabaseId) => {
      let knex: Knex;
      let store: PreviewStore;

      beforeAll(async () => {
        knex = await databases.init(databaseId);
        await applyDatabaseMigrations(knex);
        store = new PreviewStore(knex);
      });

      it('keeps one current preview per pull request, also when 20 requests race', async () => {
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.insert(preview(`race-${i}`, { pullRequest: 7 }), 10),
          ),
        );
        expect(outcomes.filter(o => o === 'inserted')).toHaveLength(1);
        expect(outcomes.filter(o => o === 'duplicate')).toHaveLength(19);
        const current = await store.findLive(COMPONENT, { pullRequest: 7 });
        expect(current?.id).toMatch(/^race-\d+$/);

        // Once it is on its way out, the pull request may have a new one.
        await store.transition(current!.id, ['provisioning'], 'deleting', {
          now: 2,
        });
        expect(
          await store.insert(preview('race-next', { pullRequest: 7 }), 10),
        ).toBe('inserted');
      });

      it('holds the rule in the schema, not only in the code', async () => {
        // A database of its own, untouched by the racing requests above.
        const fresh = await databases.init(databaseId);
        await applyDatabaseMigrations(fresh);
        const freshStore = new PreviewStore(fresh);
        expect(
          await freshStore.insert(preview('b1', { branch: 'feature/x' }), 10),
        ).toBe('inserted');
        const REFUSED = 'refused by a unique index';
        // SQLite (local development only): the unique index is in its schema
        // (the racing inserts above show it holding); the servers refuse a
        // second current row written past the store.
        const guarantee =
          databaseId === 'SQLITE_3'
            ? (
                await fresh('sqlite_master').where({
                  type: 'index',
                  name: 'delivery_previews_live_target_uq',
                })
              ).map(r =>
                /^CREATE UNIQUE INDEX .*\(`component_ref`, `live_target`\)$/.test(
                  r.sql,
                )
                  ? REFUSED
                  : r.sql,
              )[0]
            : await fresh('delivery_previews')
                .insert({
                  id: 'b2',
                  component_ref: COMPONENT,
                  cluster: 'test',
                  namespace: 'pv-checkout-b2',
                  branch: 'feature/x',
                  state: 'ready',
                  requested_by: 'user:default/mallory',
                  live_target: 'branch:feature/x',
                  created_at: 1,
                  updated_at: 1,
                  expires_at: 10_000,
                })
                .then(
                  () => 'inserted',
                  (e: Error) =>
                    /unique|duplicate/i.test(e.message) ? REFUSED : e.message,
                );
        expect(guarantee).toBe(REFUSED);
        // A branch and a pull request never collide; another branch is fine.
        expect(
          await freshStore.insert(preview('b3', { branch: 'feature/y' }), 10),
        ).toBe('inserted');
      });

      it('moves a preview only if it did not change since a given time', async () => {
        await store.insert(preview('t1', { pullRequest: 8 }), 10);
        await store.transition('t1', ['provisioning'], 'ready', { now: 50 });
        expect(
          await store.transition('t1', ['ready'], 'deleted', {
            now: 60,
            unchangedSince: 50,
          }),
        ).toBe(false);
        expect(
          await store.transition('t1', ['ready'], 'deleted', {
            now: 60,
            unchangedSince: 51,
          }),
        ).toBe(true);
        expect(await store.findLive(COMPONENT, { pullRequest: 8 })).toBe(
          undefined,
        );
      });
    },
  );
});
