import { resolve as resolvePath } from 'node:path';
import {
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { ClusterConfig } from '../../config/clusters';
import { PreviewSettings } from '../../config/types';
import { ArtifactStore } from '../../database/ArtifactStore';
import { applyDatabaseMigrations } from '../../database/migrations';
import { PreviewStore } from '../../database/PreviewStore';
import { Preview } from '../../domain/previews';
import { KubernetesGateway } from '../../kubernetes/KubernetesGateway';
import {
  COMPONENT_REF_ANNOTATION,
  EXPIRES_AT_ANNOTATION,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  PREVIEW_ID_LABEL,
  PreviewNamespaces,
  PULL_REQUEST_LABEL,
} from '../../kubernetes/previews/PreviewNamespaces';
import {
  FaultProxy,
  startFaultProxy,
} from '../../kubernetes/testing/faultProxy';
import {
  admin,
  applyManifest,
  can,
  clusterConfig,
  describeWithCluster,
  eventually,
  serviceAccountToken,
  testCluster,
} from '../../kubernetes/testing/testCluster';
import { ComponentResolver } from '../components';
import { PreviewReaper } from './PreviewReaper';
import { PreviewService } from './PreviewService';
import { NO_CHANGES } from '../notifications/LedgerChanges';

jest.setTimeout(180_000);

const RBAC_MANIFEST = resolvePath(
  __dirname,
  '../../../../../examples/kubernetes/delivery-rbac.yaml',
);
const HOUR = 3_600_000;
const ALICE = {
  type: 'user' as const,
  ref: 'user:default/alice',
  ownershipRefs: ['user:default/alice'],
};

/** The preview service with its reaper, as the routes and the scheduler use them. */
type PreviewManager = PreviewService & { reap: PreviewReaper['reap'] };

const catalog = {
  async getEntity(ref: string) {
    if (ref.startsWith('component:default/missing')) return undefined;
    return {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: ref.split('/')[1] },
      spec: {
        type: 'service',
        owner: 'group:default/payments',
        lifecycle: 'production',
      },
    };
  },
};

function settings(
  prefix: string,
  overrides: Partial<PreviewSettings> = {},
): PreviewSettings {
  return {
    cluster: 'test',
    namespacePrefix: prefix,
    defaultTtlMs: 24 * HOUR,
    maxTtlMs: 72 * HOUR,
    maxPerComponent: 3,
    reaperIntervalMs: 60_000,
    resourceQuota: {
      'requests.cpu': '2',
      'requests.memory': '4Gi',
      pods: '20',
    },
    limitRange: {
      defaultRequest: { cpu: '100m', memory: '128Mi' },
      default: { cpu: '500m', memory: '512Mi' },
    },
    pipelineClusterRole: 'delivery-preview-deployer',
    ...overrides,
  };
}

async function namespaceOf(name: string) {
  try {
    return await admin().core.readNamespace({ name });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

/** Waits for the namespace controller to finish deleting a namespace. */
async function gone(name: string) {
  await eventually(
    async () => ((await namespaceOf(name)) ? undefined : true),
    `${name} to be gone`,
    90_000,
  );
}

describeWithCluster('preview namespaces in a real cluster', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });
  let proxy: FaultProxy;

  beforeAll(async () => {
    await applyManifest(RBAC_MANIFEST);
    proxy = await startFaultProxy(testCluster!.url);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  describe.each(databases.eachSupportedId())(
    'with the ledger on %p',
    (databaseId: TestDatabaseId) => {
      const prefix = `pv${databaseId
        .replace(/[^A-Z0-9]/g, '')
        .toLowerCase()
        .slice(0, 4)}${Date.now().toString(36).slice(-4)}`;
      let knex: Knex;
      let now: number;
      let manager: PreviewManager;
      let previews: PreviewStore;
      /** What the reapers told (notifications, signals). */
      const told: Array<{ id: string; event: string }> = [];

      function createManager(
        options: {
          settings?: Partial<PreviewSettings>;
          cluster?: Partial<ClusterConfig>;
          timeoutMs?: number;
        } = {},
      ) {
        const store = new PreviewStore(knex);
        const previewSettings = settings(prefix, options.settings);
        const cluster = new PreviewNamespaces(
          new KubernetesGateway({
            clusters: new Map([
              ['test', clusterConfig('test', options.cluster)],
            ]),
            timeoutMs: options.timeoutMs ?? 5000,
          }),
          previewSettings,
        );
        const logger = mockServices.logger.mock();
        const clock = () => now;
        const reaper = new PreviewReaper({
          store,
          cluster,
          settings: previewSettings,
          logger,
          clock,
          warningMs: HOUR,
          changes: {
            ...NO_CHANGES,
            previewChanged: async (p, event) => {
              told.push({ id: p.id, event });
            },
          },
        });
        const service = new PreviewService({
          store,
          artifacts: new ArtifactStore(knex),
          cluster,
          settings: previewSettings,
          components: new ComponentResolver(catalog, {
            defaultLadder: 'default',
            ladders: new Map(),
          }),
          logger,
          clock,
        });
        return Object.assign(service, { reap: () => reaper.reap() });
      }

      beforeAll(async () => {
        knex = await databases.init(databaseId);
        await applyDatabaseMigrations(knex);
        previews = new PreviewStore(knex);
        now = Date.parse('2026-11-27T10:00:00Z');
        manager = createManager();
      });

      afterAll(async () => {
        // Leave nothing behind in the cluster.
        const { core } = admin();
        const list = await core.listNamespace({
          labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}`,
        });
        await Promise.all(
          list.items
            .filter(n => n.metadata!.name!.startsWith(prefix))
            .map(n =>
              core
                .deleteNamespace({ name: n.metadata!.name! })
                .catch(() => undefined),
            ),
        );
      });

      it('creates a namespace with labels, annotations, quota, limits, network policy and a scoped deployer', async () => {
        const { preview, created } = await manager.create(
          { componentRef: 'checkout', pullRequest: 42 },
          ALICE,
        );
        expect(created).toBe(true);
        expect(preview).toMatchObject({
          componentRef: 'component:default/checkout',
          cluster: 'test',
          pullRequest: 42,
          state: 'ready',
          requestedBy: 'user:default/alice',
          expiresAt: now + 24 * HOUR,
        });
        expect(preview.namespace).toMatch(
          new RegExp(`^${prefix}-checkout-pr42-[0-9a-f]{6}$`),
        );

        const { core, networking, rbac } = admin();
        const ns = (await namespaceOf(preview.namespace))!;
        expect(ns.metadata!.labels).toMatchObject({
          [MANAGED_BY_LABEL]: MANAGED_BY,
          [PREVIEW_ID_LABEL]: preview.id,
          'delivery.backstage.io/component': 'checkout',
          'delivery.backstage.io/owner': 'group-default-payments',
          [PULL_REQUEST_LABEL]: '42',
        });
        expect(ns.metadata!.annotations).toMatchObject({
          [COMPONENT_REF_ANNOTATION]: 'component:default/checkout',
          [EXPIRES_AT_ANNOTATION]: '2026-11-28T10:00:00.000Z',
          'delivery.backstage.io/requested-by': 'user:default/alice',
        });

        const quota = await core.readNamespacedResourceQuota({
          name: 'preview-quota',
          namespace: preview.namespace,
        });
        expect(quota.spec!.hard).toEqual({
          'requests.cpu': '2',
          'requests.memory': '4Gi',
          pods: '20',
        });
        const limits = await core.readNamespacedLimitRange({
          name: 'preview-limits',
          namespace: preview.namespace,
        });
        expect(limits.spec!.limits[0]).toMatchObject({
          type: 'Container',
          defaultRequest: { cpu: '100m', memory: '128Mi' },
          _default: { cpu: '500m', memory: '512Mi' },
        });
        const policy = await networking.readNamespacedNetworkPolicy({
          name: 'deny-from-other-namespaces',
          namespace: preview.namespace,
        });
        expect(policy.spec).toMatchObject({
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [{ _from: [{ podSelector: {} }] }],
        });
        const binding = await rbac.readNamespacedRoleBinding({
          name: 'preview-deployer',
          namespace: preview.namespace,
        });
        expect(binding.roleRef).toMatchObject({
          kind: 'ClusterRole',
          name: 'delivery-preview-deployer',
        });

        // The pipeline's account may deploy here, and only here.
        const deployer = `system:serviceaccount:${preview.namespace}:preview-deployer`;
        expect(
          await can(deployer, {
            verb: 'create',
            group: 'apps',
            resource: 'deployments',
            namespace: preview.namespace,
          }),
        ).toBe(true);
        expect(
          await can(deployer, {
            verb: 'create',
            group: 'apps',
            resource: 'deployments',
            namespace: 'default',
          }),
        ).toBe(false);
        expect(
          await can(deployer, {
            verb: 'delete',
            resource: 'namespaces',
            name: preview.namespace,
          }),
        ).toBe(false);
      });

      it('returns the live preview again for the same pull request instead of creating another', async () => {
        const first = await manager.create(
          { componentRef: 'component:default/checkout', pullRequest: 42 },
          ALICE,
        );
        expect(first.created).toBe(false);
        const branch = await manager.create(
          { componentRef: 'checkout', branch: 'feature/Fast-Checkout' },
          ALICE,
        );
        expect(branch.created).toBe(true);
        expect(branch.preview.namespace).toMatch(
          new RegExp(`^${prefix}-checkout-feature-fast-checkout-[0-9a-f]{6}$`),
        );
        const again = await manager.create(
          { componentRef: 'checkout', branch: 'feature/Fast-Checkout' },
          ALICE,
        );
        expect(again).toEqual({ preview: branch.preview, created: false });
      });

      it('refuses bad requests before touching the cluster', async () => {
        await expect(
          manager.create({ componentRef: 'checkout' }, ALICE),
        ).rejects.toThrow(
          'Give either pullRequest or branch (exactly one) for a preview',
        );
        await expect(
          manager.create({ componentRef: 'missing', pullRequest: 1 }, ALICE),
        ).rejects.toMatchObject({
          statusCode: 422,
          message:
            'component:default/missing is not in the catalog; register the component before creating previews of it',
        });
        await expect(
          manager.create(
            { componentRef: 'checkout', pullRequest: 1, ttlMs: 100 * HOUR },
            ALICE,
          ),
        ).rejects.toThrow(
          'ttl 4 d 4 h is longer than the maximum of 3 d (delivery.previews.maxTtl)',
        );
        await expect(
          manager.create(
            {
              componentRef: 'checkout',
              pullRequest: 1,
              digest: `sha256:${'9'.repeat(64)}`,
            },
            ALICE,
          ),
        ).rejects.toMatchObject({ name: 'NotFoundError' });
      });

      it('keeps each component under its limit, also when requests race', async () => {
        await manager.create(
          { componentRef: 'checkout', pullRequest: 43 },
          ALICE,
        );
        // checkout now has 3 live previews (pr42, branch, pr43).
        const refused = manager.create(
          { componentRef: 'checkout', pullRequest: 44 },
          ALICE,
        );
        await expect(refused).rejects.toMatchObject({ statusCode: 429 });
        await expect(refused).rejects.toThrow(
          /^component:default\/checkout already has 3 live previews, the most allowed \(delivery\.previews\.maxPerComponent\): .*; destroy one first$/,
        );

        const results = await Promise.allSettled(
          [1, 2, 3, 4, 5].map(pr =>
            createManager().create(
              { componentRef: 'cart', pullRequest: pr },
              ALICE,
            ),
          ),
        );
        const fulfilled = results.filter(r => r.status === 'fulfilled');
        const rejected = results.filter(
          r => r.status === 'rejected',
        ) as PromiseRejectedResult[];
        expect(fulfilled).toHaveLength(3);
        expect(rejected.map(r => r.reason.statusCode)).toEqual([429, 429]);
        const live = await manager.list(
          'cart',
          { includeDeleted: false },
          { limit: 10 },
        );
        expect(live.items).toHaveLength(3);
      });

      it('extends up to the maximum lifetime and updates the namespace annotation', async () => {
        const [pr42] = (
          await manager.list(
            'checkout',
            { includeDeleted: false },
            { limit: 10 },
          )
        ).items.filter(p => p.pullRequest === 42);
        now += 2 * HOUR;
        const extended = await manager.extend(pr42.id, 48 * HOUR, ALICE);
        expect(extended.capped).toBe(false);
        expect(extended.preview.expiresAt).toBe(now + 48 * HOUR);
        const capped = await manager.extend(pr42.id, 72 * HOUR, ALICE);
        expect(capped.capped).toBe(true);
        expect(capped.preview.expiresAt).toBe(pr42.createdAt + 72 * HOUR);
        const ns = (await namespaceOf(pr42.namespace))!;
        expect(ns.metadata!.annotations![EXPIRES_AT_ANNOTATION]).toBe(
          new Date(pr42.createdAt + 72 * HOUR).toISOString(),
        );
      });

      it('destroys on request; the reaper records the namespace gone once Kubernetes has finished', async () => {
        const { preview } = await manager.create(
          { componentRef: 'search', pullRequest: 7 },
          ALICE,
        );
        const destroyed = await manager.destroy(preview.id);
        expect(destroyed.state).toBe('deleting');
        expect(
          (await namespaceOf(preview.namespace))?.metadata?.deletionTimestamp,
        ).toBeDefined();
        // Destroying again is harmless.
        expect((await manager.destroy(preview.id)).state).toBe('deleting');

        await gone(preview.namespace);
        const report = await manager.reap();
        expect(report.deleted).toContain(preview.namespace);
        expect(await manager.get(preview.id)).toMatchObject({
          state: 'deleted',
          deletedAt: now,
        });
        // Its slot is free again.
        expect(
          (
            await manager.create(
              { componentRef: 'search', pullRequest: 8 },
              ALICE,
            )
          ).created,
        ).toBe(true);
      });

      it('expires previews exactly once with two reapers running at the same time', async () => {
        const { preview } = await manager.create(
          { componentRef: 'search', pullRequest: 9, ttlMs: HOUR },
          ALICE,
        );
        now += HOUR + 1;
        const second = createManager();
        const reports = await Promise.all([manager.reap(), second.reap()]);
        const expired = reports
          .flatMap(r => r.expired)
          .filter(n => n === preview.namespace);
        expect(expired).toEqual([preview.namespace]);
        expect((await manager.get(preview.id)).state).toBe('deleting');

        await gone(preview.namespace);
        const after = await Promise.all([manager.reap(), second.reap()]);
        expect(
          after.flatMap(r => r.deleted).filter(n => n === preview.namespace),
        ).toEqual([preview.namespace]);
        expect((await manager.get(preview.id)).state).toBe('deleted');
      });

      it('warns the requester once before expiry, again after an extension, and tells of the removal once, with two reapers', async () => {
        const { preview } = await manager.create(
          { componentRef: 'search', pullRequest: 31, ttlMs: 2 * HOUR },
          ALICE,
        );
        const second = createManager();
        const events = () =>
          told.filter(t => t.id === preview.id).map(t => t.event);
        const reapBoth = () => Promise.all([manager.reap(), second.reap()]);

        now += 30 * 60_000; // expires in 1 h 30 min: not yet
        await reapBoth();
        expect(events()).toEqual([]);
        now += 45 * 60_000; // 45 min left: warned, once
        await reapBoth();
        await reapBoth();
        expect(events()).toEqual(['expiring']);

        // Extended: a new expiry, warned about again when it comes near.
        await manager.extend(preview.id, 2 * HOUR, ALICE);
        await reapBoth();
        expect(events()).toEqual(['expiring']);
        now += 90 * 60_000;
        await reapBoth();
        expect(events()).toEqual(['expiring', 'expiring']);

        now += 31 * 60_000; // expired: reaped, told once
        await reapBoth();
        await reapBoth();
        expect(events()).toEqual(['expiring', 'expiring', 'reaped']);
      });

      it('never deletes a namespace that lost the managed-by label, and says so', async () => {
        const { preview } = await manager.create(
          { componentRef: 'ledger', pullRequest: 1, ttlMs: HOUR },
          ALICE,
        );
        const { core } = admin();
        await core.patchNamespace({
          name: preview.namespace,
          body: [
            {
              op: 'remove',
              path: `/metadata/labels/${MANAGED_BY_LABEL.replace('/', '~1')}`,
            },
          ],
        });
        now += HOUR + 1;
        const report = await manager.reap();
        expect(report.refused).toContain(
          `${preview.namespace}: not managed by delivery`,
        );
        expect(await manager.get(preview.id)).toMatchObject({
          state: 'failed',
          reason: `namespace ${preview.namespace} does not carry ${MANAGED_BY_LABEL}=${MANAGED_BY} and ${PREVIEW_ID_LABEL}=${preview.id}; it was left in place`,
        });
        const ns = await namespaceOf(preview.namespace);
        expect(ns?.metadata?.deletionTimestamp).toBeUndefined();
        await core.deleteNamespace({ name: preview.namespace });
      });

      it('records a namespace deleted outside the portal, and reports labelled namespaces it does not know', async () => {
        const { preview } = await manager.create(
          { componentRef: 'ledger', pullRequest: 2 },
          ALICE,
        );
        const { core } = admin();
        await core.deleteNamespace({ name: preview.namespace });
        const orphan = `${prefix}-orphan`;
        await core.createNamespace({
          body: {
            metadata: {
              name: orphan,
              labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
            },
          },
        });
        await gone(preview.namespace);

        now += 1000;
        const report = await manager.reap();
        expect(report.vanished).toContain(preview.namespace);
        expect(report.orphans).toContain(orphan);
        expect(await manager.get(preview.id)).toMatchObject({
          state: 'deleted',
          reason: `namespace ${preview.namespace} disappeared outside the portal`,
        });
        // An orphan is reported, never deleted.
        expect(
          (await namespaceOf(orphan))?.metadata?.deletionTimestamp,
        ).toBeUndefined();
        await core.deleteNamespace({ name: orphan });
      });

      it('never deletes a namespace that carries another preview’s id', async () => {
        const { preview } = await manager.create(
          { componentRef: 'ledger', pullRequest: 4 },
          ALICE,
        );
        const { core } = admin();
        await core.patchNamespace({
          name: preview.namespace,
          body: [
            {
              op: 'replace',
              path: `/metadata/labels/${PREVIEW_ID_LABEL.replace('/', '~1')}`,
              value: 'someone-else',
            },
          ],
        });
        expect((await manager.destroy(preview.id)).state).toBe('failed');
        expect(
          (await namespaceOf(preview.namespace))?.metadata?.deletionTimestamp,
        ).toBeUndefined();
        await core.deleteNamespace({ name: preview.namespace });
      });

      it('never takes a preview that became ready while the reaper listed namespaces for vanished', async () => {
        const previewSettings = settings(prefix);
        const store = new PreviewStore(knex);
        const real = new PreviewNamespaces(
          new KubernetesGateway({
            clusters: new Map([['test', clusterConfig('test')]]),
            timeoutMs: 5000,
          }),
          previewSettings,
        );
        const racing: Preview = {
          id: `race-${prefix}`,
          componentRef: 'component:default/ledger',
          cluster: 'test',
          namespace: `${prefix}-ledger-race`,
          pullRequest: 99,
          state: 'provisioning',
          requestedBy: ALICE.ref,
          createdAt: now,
          updatedAt: now,
          expiresAt: now + HOUR,
        };
        expect(await store.insert(racing, 10)).toBe('inserted');
        // The create finishes right after the reaper's list of namespaces.
        const cluster = {
          ...real,
          provision: real.provision.bind(real),
          deleteNamespace: real.deleteNamespace.bind(real),
          annotateExpiry: real.annotateExpiry.bind(real),
          async listManaged(name: string) {
            const listed = await real.listManaged(name);
            await real.provision(racing, { component: 'ledger', owner: '' });
            now += 1;
            await store.transition(racing.id, ['provisioning'], 'ready', {
              now,
            });
            return listed;
          },
        };
        const reaper = new PreviewReaper({
          store,
          cluster,
          settings: previewSettings,
          logger: mockServices.logger.mock(),
          clock: () => now,
        });
        const report = await reaper.reap();
        expect(report.vanished).not.toContain(racing.namespace);
        expect((await store.get(racing.id))?.state).toBe('ready');
        // On the next pass it is seen in the cluster, and stays ready.
        now += 1;
        await reaper.reap();
        expect((await store.get(racing.id))?.state).toBe('ready');
        await manager.destroy(racing.id);
      });

      it('treats a namespace that is already gone as deleted', async () => {
        const { preview } = await manager.create(
          { componentRef: 'ledger', pullRequest: 3 },
          ALICE,
        );
        await admin().core.deleteNamespace({ name: preview.namespace });
        await gone(preview.namespace);
        expect((await manager.destroy(preview.id)).state).toBe('deleted');
      });

      describe('when the cluster fails', () => {
        let flaky: PreviewManager;
        beforeAll(() => {
          flaky = createManager({
            cluster: { url: proxy.url },
            timeoutMs: 1500,
          });
        });
        afterEach(() => proxy.setFault({ kind: 'none' }));

        it('answers 503, records the failure with its reason, frees the slot and cleans up', async () => {
          proxy.setFault(
            { kind: 'error500' },
            { method: 'POST', path: /\/limitranges$/ },
          );
          const attempt = flaky.create(
            { componentRef: 'billing', pullRequest: 5 },
            ALICE,
          );
          await expect(attempt).rejects.toMatchObject({
            name: 'ServiceUnavailableError',
          });
          await expect(attempt).rejects.toThrow(
            /^Could not create preview namespace .*-billing-pr5-[0-9a-f]{6} in cluster test: test: injected internal error$/,
          );
          const [failed] = (
            await flaky.list('billing', { includeDeleted: true }, { limit: 5 })
          ).items;
          expect(failed).toMatchObject({
            state: 'failed',
            reason: 'test: injected internal error',
          });
          // The half-made namespace is being deleted, not left behind.
          expect(
            (await namespaceOf(failed.namespace))?.metadata
              ?.deletionTimestamp ?? 'gone',
          ).toBeTruthy();
          const live = await previews.list(
            {
              componentRef: 'component:default/billing',
              states: ['provisioning', 'ready'],
            },
            { limit: 5 },
          );
          expect(live.items).toEqual([]);
        });

        it('leaves a failed create whose cleanup failed too for the reaper, which deletes its namespace', async () => {
          proxy.setFaults([
            {
              fault: { kind: 'error500' },
              match: { method: 'POST', path: /\/networkpolicies$/ },
            },
            { fault: { kind: 'error500' }, match: { method: 'DELETE' } },
          ]);
          await expect(
            flaky.create({ componentRef: 'billing', pullRequest: 8 }, ALICE),
          ).rejects.toMatchObject({ name: 'ServiceUnavailableError' });
          const failed = (
            await flaky.list('billing', { includeDeleted: true }, { limit: 20 })
          ).items.find(p => p.pullRequest === 8)!;
          expect(failed).toMatchObject({
            state: 'failed',
            reason:
              'test: injected internal error; cleanup failed too (test: injected internal error), the reaper retries it',
          });
          // Still there, half made, with its labels.
          expect(
            (await namespaceOf(failed.namespace))?.metadata?.deletionTimestamp,
          ).toBeUndefined();

          // The reaper retries while the cluster still refuses deletes...
          const refused = await flaky.reap();
          expect(refused.cleaned).not.toContain(failed.namespace);
          // ...and cleans up once it accepts them.
          proxy.setFault({ kind: 'none' });
          const report = await flaky.reap();
          expect(report.cleaned).toEqual([failed.namespace]);
          await gone(failed.namespace);
          expect((await flaky.get(failed.id)).state).toBe('failed');
          expect((await flaky.reap()).cleaned).toEqual([]);
        });

        it('gives up within the request timeout when the cluster does not answer', async () => {
          proxy.setFault({ kind: 'hang' });
          const started = Date.now();
          await expect(
            flaky.create({ componentRef: 'billing', pullRequest: 6 }, ALICE),
          ).rejects.toThrow(/in cluster test: test: no answer within 1500 ms$/);
          expect(Date.now() - started).toBeLessThan(15_000);
        });

        it('keeps an expired preview expiring while deletes fail, and finishes once the cluster is back', async () => {
          const { preview } = await flaky.create(
            { componentRef: 'billing', pullRequest: 7, ttlMs: HOUR },
            ALICE,
          );
          now += HOUR + 1;
          proxy.setFault({ kind: 'error500' }, { method: 'DELETE' });
          await expect(flaky.reap()).resolves.toMatchObject({
            expired: expect.arrayContaining([preview.namespace]),
          });
          expect((await flaky.get(preview.id)).state).toBe('expiring');

          proxy.setFault({ kind: 'none' });
          now += 61_000;
          await flaky.reap();
          expect((await flaky.get(preview.id)).state).toBe('deleting');
          await gone(preview.namespace);
          await flaky.reap();
          expect((await flaky.get(preview.id)).state).toBe('deleted');
        });
      });

      it('works with only the least-privilege service account of examples/kubernetes/delivery-rbac.yaml', async () => {
        const token = await serviceAccountToken(
          'backstage',
          'backstage-delivery-token',
        );
        const limited = createManager({
          cluster: { serviceAccountToken: token },
        });
        const { preview } = await limited.create(
          { componentRef: 'catalogue', pullRequest: 1 },
          ALICE,
        );
        expect(preview.state).toBe('ready');
        await limited.extend(preview.id, 2 * HOUR, ALICE);
        expect(
          (await namespaceOf(preview.namespace))!.metadata!.annotations![
            EXPIRES_AT_ANNOTATION
          ],
        ).toBe(new Date(now + 2 * HOUR).toISOString());
        expect((await limited.destroy(preview.id)).state).toBe('deleting');
        await gone(preview.namespace);
        await expect(limited.reap()).resolves.toMatchObject({
          deleted: expect.arrayContaining([preview.namespace]),
        });

        // And nothing beyond: it cannot read secrets or change workloads.
        const account = 'system:serviceaccount:backstage:backstage-delivery';
        expect(
          await can(account, {
            verb: 'get',
            resource: 'secrets',
            namespace: 'default',
          }),
        ).toBe(false);
        expect(
          await can(account, {
            verb: 'update',
            group: 'apps',
            resource: 'deployments',
            namespace: 'default',
          }),
        ).toBe(false);
        expect(
          await can(account, {
            verb: 'bind',
            group: 'rbac.authorization.k8s.io',
            resource: 'clusterroles',
            name: 'cluster-admin',
          }),
        ).toBe(false);
      });
    },
  );
});
