/*
 * The shipped policy end to end: the real permission backend with this
 * module, the real catalog backend (which applies the ownership condition),
 * and the delivery backend's real router. Every delivery mutation is called
 * by an owner (through a parent group), a platform member, an unrelated user
 * and a CI token, and the answers must be the README's table. A denied call
 * writes no row and emits a failed audit event. One engine: the database
 * does not change a permission decision.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
// A test-only dependency: the policy is tested against the routes it guards.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import deliveryPlugin from '@backstage-delivery/plugin-delivery-backend';
import { Knex } from 'knex';
import request from 'supertest';
import { permissionModuleDeliveryPolicy } from './module';

jest.setTimeout(120_000);

const COMPONENT = 'component:default/payments-api';

/** What a sign-in resolver would put in each user's ownership refs. */
const GROUPS: Record<string, string[]> = {
  // A member of a sub-team: the parent team comes with it.
  'user:default/alice': [
    'group:default/payments-backend',
    'group:default/team-payments',
  ],
  'user:default/carol': ['group:default/platform'],
  'user:default/mallory': ['group:default/team-storefront'],
};

const CATALOG = `
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  annotations:
    backstage.io/kubernetes-id: payments-api
spec: { type: service, owner: team-payments, lifecycle: production }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-payments }
spec: { type: team, children: [payments-backend] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: payments-backend }
spec: { type: team, parent: team-payments, children: [], members: [alice] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: platform }
spec: { type: team, children: [], members: [carol] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-storefront }
spec: { type: team, children: [], members: [mallory] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: alice }
spec: { memberOf: [payments-backend] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: carol }
spec: { memberOf: [platform] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: mallory }
spec: { memberOf: [team-storefront] }
`;

const TABLES = [
  'delivery_artifacts',
  'delivery_artifact_tags',
  'delivery_evidence',
  'delivery_quarantines',
  'delivery_promotions',
  'delivery_approvals',
  'delivery_rollout_events',
  'delivery_releases',
  'delivery_previews',
];

const as = {
  owner: mockCredentials.user.header('user:default/alice'),
  platform: mockCredentials.user.header('user:default/carol'),
  other: mockCredentials.user.header('user:default/mallory'),
  ci: mockCredentials.service.header(),
};
type Role = keyof typeof as;

/**
 * Mock HTTP auth, except that a token one plugin obtained on a user's behalf
 * authenticates with the calling plugin as its actor, as Backstage's real
 * auth does: the catalog applies permission conditions only for such calls.
 */
const onBehalfOfAwareHttpAuth = createServiceFactory({
  service: coreServices.httpAuth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }) {
    const inner = mockServices.httpAuth({ pluginId: plugin.getId() });
    return {
      issueUserCookie: inner.issueUserCookie.bind(inner),
      async credentials(req: any, options?: any) {
        const credentials: any = await inner.credentials(req, options);
        const onBehalfOf =
          /^Bearer mock-service-token:/.test(req.headers.authorization ?? '') &&
          credentials.principal.type === 'user';
        return onBehalfOf
          ? {
              ...credentials,
              principal: {
                ...credentials.principal,
                actor: { type: 'service', subject: 'plugin:permission' },
              },
            }
          : credentials;
      },
    } as any;
  },
});

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

describe('the shipped policy, end to end through the permission backend', () => {
  let server: any;
  let knex: Knex;
  const audits: Array<{ meta: any; outcome?: 'success' | 'fail' }> = [];
  let n = 0;
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'delivery-policy-'));
    const catalogFile = join(dir, 'catalog.yaml');
    writeFileSync(catalogFile, CATALOG);
    knex = await databases.init('SQLITE_3');
    ({ server } = await startTestBackend({
      features: [
        deliveryPlugin,
        catalogPlugin,
        permissionPlugin,
        permissionModuleDeliveryPolicy,
        onBehalfOfAwareHttpAuth,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            permission: { enabled: true },
            catalog: {
              rules: [{ allow: ['Component', 'Group', 'User'] }],
              locations: [{ type: 'file', target: catalogFile }],
            },
            delivery: {
              permissionPolicy: { environments: { production: 'platform' } },
              ladders: {
                standard: {
                  environments: [
                    { name: 'dev' },
                    {
                      name: 'production',
                      approvals: {
                        count: 1,
                        groups: ['group:default/platform'],
                      },
                    },
                  ],
                },
              },
            },
          },
        }),
        createServiceFactory({
          service: coreServices.userInfo,
          deps: {},
          factory: () => ({
            async getUserInfo(credentials: any) {
              const ref = credentials.principal.userEntityRef;
              return {
                userEntityRef: ref,
                ownershipEntityRefs: [ref, ...(GROUPS[ref] ?? [])],
              };
            },
          }),
        }),
        mockServices.auditor.mock({
          createEvent: async (options: any) => {
            const event: (typeof audits)[number] = { meta: options.meta };
            audits.push(event);
            return {
              success: async () => {
                event.outcome = 'success';
              },
              fail: async () => {
                event.outcome = 'fail';
              },
            };
          },
        }).factory,
      ],
    }));
    // Wait for the catalog to ingest and stitch the component.
    for (let i = 0; i < 120; i++) {
      const res = await request(server)
        .get('/api/catalog/entities/by-name/component/default/payments-api')
        .set('authorization', as.ci);
      // Stitched, with its ownership relation: what IS_ENTITY_OWNER reads.
      if (
        res.status === 200 &&
        res.body.relations?.some((r: any) => r.type === 'ownedBy')
      ) {
        return;
      }
      await new Promise(r => setTimeout(r, 500));
    }
    throw new Error('the catalog never ingested the test entities');
  });

  async function rowCounts() {
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const [{ c }] = await knex(table).count({ c: '*' });
      counts[table] = Number(c);
    }
    return counts;
  }

  const post = (path: string, role: Role, body: object = {}) =>
    request(server)
      .post(`/api/delivery${path}`)
      .set('authorization', as[role])
      .send(body);

  /** A new build of the component, recorded by CI. */
  async function build() {
    const res = await post('/artifacts', 'ci', {
      component: COMPONENT,
      digest: digest(++n),
      imageRepository: 'ghcr.io/acme/payments-api',
      commitSha: 'c0ffee'.padEnd(40, String(n % 10)),
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; digest: string };
  }

  /** Aborts whatever is under way to dev, so that a new promotion may start. */
  async function settle() {
    const active = await request(server)
      .get(
        `/api/delivery/promotions?component=${COMPONENT}&state=approved&state=awaiting-approval&state=deploying&state=verifying`,
      )
      .set('authorization', as.platform);
    for (const p of active.body.items) {
      const res = await post(`/promotions/${p.id}/abort`, 'platform', {
        reason: 'next case',
      });
      expect(res.status).toBe(200);
    }
  }

  /** A new build, with nothing under way to dev. */
  async function promotable() {
    await settle();
    return build();
  }

  /** A promotion to dev of a new build, requested by the owner. */
  async function promotion() {
    const { digest: d } = await promotable();
    const res = await post('/promotions', 'owner', {
      component: COMPONENT,
      digest: d,
      environment: 'dev',
    });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, digest: d };
  }

  /** Each mutation: how to prepare a fresh target, and the call under test. */
  const CALLS: Record<
    string,
    {
      prepare: () => Promise<{ id: string; digest: string }>;
      call: (
        role: Role,
        target: { id: string; digest: string },
      ) => request.Test;
    }
  > = {
    'delivery.artifact.record': {
      prepare: async () => ({ id: '', digest: digest(++n) }),
      call: (role, t) =>
        post('/artifacts', role, {
          component: COMPONENT,
          digest: t.digest,
          imageRepository: 'ghcr.io/acme/payments-api',
          commitSha: 'abc1234',
        }),
    },
    'delivery.promotion.request': {
      prepare: promotable,
      call: (role, t) =>
        post('/promotions', role, {
          component: COMPONENT,
          digest: t.digest,
          environment: 'dev',
        }),
    },
    'delivery.promotion.override': {
      prepare: promotable,
      call: (role, t) =>
        post('/promotions', role, {
          component: COMPONENT,
          digest: t.digest,
          environment: 'dev',
          kind: 'hotfix',
        }),
    },
    'delivery.promotion.report': {
      prepare: promotion,
      call: (role, t) =>
        post(`/promotions/${t.id}/events`, role, { type: 'deploying' }),
    },
    'delivery.promotion.abort': {
      prepare: promotion,
      call: (role, t) =>
        post(`/promotions/${t.id}/abort`, role, { reason: 'stop' }),
    },
    'delivery.promotion.rollback': {
      // Two releases in dev, so there is an earlier good one to go back to.
      prepare: async () => {
        for (let i = 0; i < 2; i++) {
          const { id } = await promotion();
          for (const type of ['deploying', 'verifying', 'succeeded']) {
            const res = await post(`/promotions/${id}/events`, 'ci', { type });
            expect(res.status).toBeLessThan(300);
          }
        }
        return { id: '', digest: '' };
      },
      call: role =>
        post('/rollbacks', role, {
          component: COMPONENT,
          environment: 'dev',
          reason: 'errors since the release',
        }),
    },
    'delivery.artifact.quarantine': {
      prepare: build,
      call: (role, t) =>
        post(`/artifacts/${t.id}/quarantine`, role, {
          reason: 'CVE-2026-0001',
        }),
    },
    'delivery.artifact.lift': {
      prepare: async () => {
        const target = await build();
        const res = await post(`/artifacts/${target.id}/quarantine`, 'owner', {
          reason: 'CVE-2026-0002',
        });
        expect(res.status).toBe(200);
        return target;
      },
      call: (role, t) =>
        post(`/artifacts/${t.id}/quarantine/lift`, role, { reason: 'fixed' }),
    },
  };

  it('keeps production for the platform group when delivery.permissionPolicy.environments says so', async () => {
    const answers: string[] = [];
    for (const role of ['owner', 'platform', 'other', 'ci'] as Role[]) {
      const { digest: d } = await promotable();
      const rows = await rowCounts();
      const res = await post('/promotions', role, {
        component: COMPONENT,
        digest: d,
        environment: 'production',
      });
      const unchanged =
        JSON.stringify(await rowCounts()) === JSON.stringify(rows);
      answers.push(
        `${role}: ${res.status === 403 ? res.body.error.message : 'allowed'}${
          res.status === 403 && unchanged ? ', rows unchanged' : ''
        }`,
      );
    }
    expect(answers).toEqual([
      'owner: Missing permission delivery.environment.deploy for production, rows unchanged',
      'platform: allowed',
      'other: Missing permission delivery.promotion.request for component:default/payments-api, rows unchanged',
      'ci: allowed',
    ]);
  });

  // The README's table: who may, by role (CI within its access restrictions;
  // quarantines are for people only).
  it.each([
    ['delivery.artifact.record', 'allow', 'allow', 'deny', 'allow'],
    ['delivery.promotion.request', 'allow', 'allow', 'deny', 'allow'],
    ['delivery.promotion.override', 'deny', 'allow', 'deny', 'allow'],
    ['delivery.promotion.report', 'allow', 'allow', 'deny', 'allow'],
    ['delivery.promotion.abort', 'allow', 'allow', 'deny', 'deny'],
    ['delivery.promotion.rollback', 'allow', 'allow', 'deny', 'allow'],
    ['delivery.artifact.quarantine', 'allow', 'allow', 'deny', 'deny'],
    ['delivery.artifact.lift', 'deny', 'allow', 'deny', 'deny'],
  ])(
    '%s: owner %s, platform %s, unrelated user %s, CI %s',
    async (permission, owner, platform, other, ci) => {
      const expected: Record<Role, string> = { owner, platform, other, ci };
      const answers: string[] = [];
      for (const role of Object.keys(expected) as Role[]) {
        const { prepare, call } = CALLS[permission];
        const target = await prepare();
        const rows = await rowCounts();
        const audited = audits.length;
        const res = await call(role, target);
        const allowed = res.status < 300;
        // What a reader of the audit log and the ledger sees of the call.
        const unchanged =
          JSON.stringify(await rowCounts()) === JSON.stringify(rows);
        const events = audits
          .slice(audited)
          .filter(e => e.meta?.actionType) // the catalog audits its reads too
          .map(e => e.outcome)
          .join(',');
        answers.push(
          allowed
            ? `${role}: allow, audit ${events}`
            : `${role}: ${res.status}, rows ${
                unchanged ? 'unchanged' : 'changed'
              }, audit ${events}`,
        );
      }
      expect(answers).toEqual(
        (Object.keys(expected) as Role[]).map(role =>
          expected[role] === 'allow'
            ? `${role}: allow, audit success`
            : `${role}: 403, rows unchanged, audit fail`,
        ),
      );
    },
  );
});
