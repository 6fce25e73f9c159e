import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import deliveryPlugin from '..';
import { userInfoWithGroups } from './__testUtils__/userInfo';

jest.setTimeout(120_000);

const COMPONENT = 'component:default/payments-api';
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

const GROUPS: Record<string, string[]> = {
  'user:default/alice': ['group:default/team-payments'],
  'user:default/bob': ['group:default/team-storefront'],
  'user:default/carol': ['group:default/platform'],
  'user:default/dave': ['group:default/platform'],
};

/** A CI pipeline's service token (subject external:test-service). */
const ci = mockCredentials.service.header();
const user = (name: string) =>
  mockCredentials.user.header(`user:default/${name}`);

const entities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'payments-api',
      title: 'Payments API',
      annotations: { 'backstage.io/kubernetes-id': 'payments-api' },
    },
    spec: {
      type: 'service',
      owner: 'team-payments',
      lifecycle: 'production',
      system: 'commerce',
    },
    relations: [
      { type: 'ownedBy', targetRef: 'group:default/team-payments' },
      { type: 'partOf', targetRef: 'system:default/commerce' },
    ],
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'ledger-worker',
      annotations: { 'delivery.backstage.io/ladder': 'two-keys' },
    },
    spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
    relations: [{ type: 'ownedBy', targetRef: 'group:default/team-payments' }],
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'status-page' },
    spec: { type: 'website', owner: 'platform', lifecycle: 'production' },
    relations: [{ type: 'ownedBy', targetRef: 'group:default/platform' }],
  },
];

const deliveryConfig = {
  defaultLadder: 'standard',
  ladders: {
    standard: {
      environments: [
        { name: 'dev', requiredEvidence: ['unit-test'] },
        { name: 'staging' },
        {
          name: 'production',
          approvals: { count: 1, groups: ['group:default/platform'] },
          rollbackThresholds: { maxErrorRate: 0.05, maxRestarts: 3 },
        },
      ],
    },
    'two-keys': {
      environments: [
        {
          name: 'production',
          approvals: {
            count: 2,
            groups: ['group:default/platform', 'group:default/team-payments'],
          },
        },
      ],
    },
  },
  imagePolicy: { forbiddenTags: ['latest'] },
};

const userInfoFactory = userInfoWithGroups(GROUPS);

function auditorMock() {
  const events: Array<{
    options: any;
    outcome?: 'success' | 'fail';
    error?: Error;
  }> = [];
  const auditor = mockServices.auditor.mock({
    createEvent: async (options: any) => {
      const event: (typeof events)[number] = { options };
      events.push(event);
      return {
        success: async () => {
          event.outcome = 'success';
        },
        fail: async ({ error }: { error: Error }) => {
          event.outcome = 'fail';
          event.error = error;
        },
      };
    },
  });
  return { auditor, events };
}

async function startBackend(options: { knex?: any; permissions?: any } = {}) {
  const { auditor, events } = auditorMock();
  const { server } = await startTestBackend({
    features: [
      deliveryPlugin,
      catalogServiceMock.factory({ entities }),
      mockServices.rootConfig.factory({ data: { delivery: deliveryConfig } }),
      userInfoFactory,
      auditor.factory,
      ...(options.knex
        ? [mockServices.database.factory({ knex: options.knex })]
        : []),
      ...(options.permissions ? [options.permissions] : []),
    ],
  });
  return { server, auditEvents: events };
}

function artifactBody(n: number, overrides: object = {}) {
  return {
    component: COMPONENT,
    digest: digest(n),
    imageRepository: 'ghcr.io/acme/payments-api',
    tags: [`1.0.${n}`],
    commitSha: 'c0ffee'.padEnd(40, '0'),
    commitTime: '2026-11-20T10:00:00.000Z',
    branch: 'main',
    buildId: String(n),
    buildUrl: `https://ci.example.com/builds/${n}`,
    sizeBytes: 120_000_000,
    ...overrides,
  };
}

describe('delivery API', () => {
  let server: any;
  let auditEvents: ReturnType<typeof auditorMock>['events'];
  beforeAll(async () => {
    ({ server, auditEvents } = await startBackend());
  });

  async function record(n: number, overrides: object = {}) {
    const res = await request(server)
      .post('/api/delivery/artifacts')
      .set('authorization', ci)
      .send(artifactBody(n, overrides));
    return res;
  }

  async function evidence(artifactId: string, kind: string, result = 'passed') {
    return request(server)
      .post(`/api/delivery/artifacts/${artifactId}/evidence`)
      .set('authorization', ci)
      .send({ kind, result });
  }

  async function promote(
    n: number,
    environment: string,
    as = ci,
    extra: object = {},
  ) {
    return request(server)
      .post('/api/delivery/promotions')
      .set('authorization', as)
      .send({ component: COMPONENT, digest: digest(n), environment, ...extra });
  }

  async function report(promotionId: string, type: string, extra: object = {}) {
    return request(server)
      .post(`/api/delivery/promotions/${promotionId}/events`)
      .set('authorization', ci)
      .send({ type, ...extra });
  }

  /** Promotes build n through dev and staging to a release in each. */
  async function releaseThroughStaging(n: number) {
    const { body: artifact } = await record(n);
    await evidence(artifact.id, 'unit-test');
    for (const env of ['dev', 'staging']) {
      const p = await promote(n, env);
      expect(p.status).toBe(201);
      await report(p.body.id, 'deploying');
      const done = await report(p.body.id, 'succeeded');
      expect(done.body.state).toBe('succeeded');
    }
    return artifact;
  }

  describe('authentication', () => {
    it('refuses requests without a token', async () => {
      const none = mockCredentials.none.header();
      expect(
        (
          await request(server)
            .post('/api/delivery/artifacts')
            .set('authorization', none)
            .send(artifactBody(1))
        ).status,
      ).toBe(401);
      expect(
        (
          await request(server)
            .get(`/api/delivery/overview?component=${COMPONENT}`)
            .set('authorization', none)
        ).status,
      ).toBe(401);
    });
  });

  describe('recording artifacts', () => {
    it('records once, answers the same artifact again, and refuses a conflicting payload', async () => {
      const created = await record(1);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        component: COMPONENT,
        digest: digest(1),
        tags: ['1.0.1'],
        createdBy: 'external:test-service',
        evidence: [],
        releases: [],
      });

      const again = await record(1);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(created.body.id);

      const conflict = await record(1, { branch: 'feature/x' });
      expect(conflict.status).toBe(409);
      expect(conflict.body.error.message).toContain(
        'with branch "main", not "feature/x"',
      );

      const movedTag = await record(2, { tags: ['1.0.1'] });
      expect(movedTag.status).toBe(409);
      expect(movedTag.body.error.message).toContain(
        'Tag 1.0.1 of component:default/payments-api already points to',
      );

      const list = await request(server)
        .get(`/api/delivery/artifacts?component=${COMPONENT}`)
        .set('authorization', ci);
      expect(list.body.items.map((a: any) => a.digest)).toEqual([digest(1)]);

      // Pipelines look an artifact up by its digest.
      const byDigest = await request(server)
        .get(
          `/api/delivery/artifacts?component=${COMPONENT}&digest=${digest(1)}`,
        )
        .set('authorization', ci);
      expect(byDigest.body.items.map((a: any) => a.tags)).toEqual([['1.0.1']]);
      const none = await request(server)
        .get(
          `/api/delivery/artifacts?component=${COMPONENT}&digest=${digest(9)}`,
        )
        .set('authorization', ci);
      expect(none.body).toEqual({ items: [] });
    });

    it('refuses a component that is not in the catalog with 422', async () => {
      const res = await record(3, { component: 'component:default/ghost' });
      expect(res.status).toBe(422);
      expect(res.body.error.message).toBe(
        'component:default/ghost is not in the catalog; register the component before recording its builds',
      );
    });

    it.each([
      [{ state: 'released' }, 'state'],
      [{ id: '00000000-0000-4000-8000-000000000000' }, 'id'],
      [{ createdAt: '2026-01-01T00:00:00Z' }, 'createdAt'],
      [{ colour: 'blue' }, 'colour'],
    ])(
      'refuses the unknown or server-owned field in %j',
      async (extra, field) => {
        const res = await record(4, extra);
        expect(res.status).toBe(400);
        expect(res.body.error.message).toContain(field);
      },
    );

    it.each([
      [{ digest: 'sha256:xyz' }, 'digest'],
      [{ digest: `sha1:${'a'.repeat(40)}` }, 'digest'],
      [{ component: 'not a ref!' }, 'component'],
      [{ commitSha: 'not-hex' }, 'commitSha'],
      [{ commitTime: 'yesterday' }, 'commitTime'],
      [{ tags: ['has space'] }, 'tags'],
      [{ imageRepository: 'ghcr.io/acme/app:latest' }, 'imageRepository'],
    ])(
      'refuses the malformed value in %j, naming the field',
      async (extra, field) => {
        const res = await record(4, extra);
        expect(res.status).toBe(400);
        expect(res.body.error.message).toContain(field);
      },
    );

    it('refuses oversized bodies with 413 and writes nothing', async () => {
      const res = await record(5, { baseImage: 'x'.repeat(300_000) });
      expect(res.status).toBe(413);
      expect(res.body.error.message).toContain(
        'larger than the limit of 256kb',
      );
      const list = await request(server)
        .get(`/api/delivery/artifacts?component=${COMPONENT}`)
        .set('authorization', ci);
      expect(list.body.items.map((a: any) => a.buildId)).not.toContain('5');
    });

    it('bounds page sizes and checks cursors', async () => {
      const big = await request(server)
        .get(`/api/delivery/artifacts?component=${COMPONENT}&limit=1000`)
        .set('authorization', ci);
      expect(big.status).toBe(400);
      expect(big.body.error.message).toContain('limit');
      const cursor = await request(server)
        .get(`/api/delivery/artifacts?component=${COMPONENT}&cursor=garbage`)
        .set('authorization', ci);
      expect(cursor.status).toBe(400);
      expect(cursor.body.error.message).toContain('Invalid cursor');
    });
  });

  describe('promotions', () => {
    it('releases a build through the ladder and refuses skipping, with reasons', async () => {
      const { body: artifact } = await record(10);
      const noEvidence = await promote(10, 'dev');
      expect(noEvidence.status).toBe(409);
      expect(noEvidence.body.error.message).toContain(
        '[evidence] dev requires unit-test: no unit-test reported',
      );
      expect(noEvidence.body.promotion).toMatchObject({
        state: 'refused',
        environment: 'dev',
      });

      expect((await evidence(artifact.id, 'unit-test')).status).toBe(201);
      const dev = await promote(10, 'dev');
      expect(dev.status).toBe(201);
      expect(dev.body).toMatchObject({
        state: 'approved',
        kind: 'normal',
        requestedBy: 'external:test-service',
        approvals: { required: 0, received: 0, decisions: [] },
      });
      expect(
        dev.body.gates.map((g: any) => [g.gate, g.verdict]),
      ).toContainEqual(['ladder', 'passed']);

      const skip = await promote(10, 'production');
      expect(skip.status).toBe(409);
      expect(skip.body.error.name).toBe('PromotionRefusedError');
      expect(skip.body.error.message).toMatch(
        /\[ladder\] staging has not released sha256:000000000000…; it was built .* ago and is not released anywhere yet/,
      );

      expect((await report(dev.body.id, 'deploying')).body.state).toBe(
        'deploying',
      );
      expect(
        (
          await report(dev.body.id, 'verifying', {
            metrics: { errorRate: 0.01 },
          })
        ).body.state,
      ).toBe('verifying');
      const done = await report(dev.body.id, 'succeeded');
      expect(done.body).toMatchObject({
        state: 'succeeded',
        outcome: 'released in dev',
      });
      expect(done.body.events.map((e: any) => e.type)).toEqual([
        'deploying',
        'verifying',
        'succeeded',
      ]);

      const refused = await request(server)
        .get(`/api/delivery/promotions?component=${COMPONENT}&state=refused`)
        .set('authorization', ci);
      expect(refused.body.items.map((p: any) => p.environment).sort()).toEqual([
        'dev',
        'production',
      ]);
    });

    it('refuses a second active promotion to the same environment', async () => {
      const { body: artifact } = await record(11);
      await evidence(artifact.id, 'unit-test');
      const first = await promote(11, 'dev');
      expect(first.status).toBe(201);
      const second = await promote(11, 'dev');
      expect(second.status).toBe(409);
      expect(second.body.error.message).toContain(
        `${COMPONENT} already has an active promotion to dev (${first.body.id}, approved`,
      );
      const aborted = await request(server)
        .post(`/api/delivery/promotions/${first.body.id}/abort`)
        .set('authorization', ci)
        .send({ reason: 'superseded' });
      expect(aborted.body).toMatchObject({
        state: 'aborted',
        outcome: 'aborted by external:test-service: superseded',
      });
      expect(
        (
          await request(server)
            .post(`/api/delivery/promotions/${first.body.id}/abort`)
            .set('authorization', ci)
            .send({})
        ).status,
      ).toBe(409);
    });

    it('enforces separation of duties on approvals, whatever the policy', async () => {
      await releaseThroughStaging(20);
      const prod = await promote(20, 'production', user('alice'));
      expect(prod.status).toBe(201);
      expect(prod.body.state).toBe('awaiting-approval');
      const approve = (as: string, comment?: string) =>
        request(server)
          .post(`/api/delivery/promotions/${prod.body.id}/approve`)
          .set('authorization', as)
          .send(comment ? { comment } : {});

      const byCi = await approve(ci);
      expect(byCi.status).toBe(403);
      const byRequester = await approve(user('alice'));
      expect(byRequester.status).toBe(403);
      expect(byRequester.body.error.message).toContain(
        'user:default/alice requested this promotion',
      );
      const byOutsider = await approve(user('bob'));
      expect(byOutsider.status).toBe(403);
      expect(byOutsider.body.error.message).toBe(
        'Only members of group:default/platform may approve promotions to production; user:default/bob is not one',
      );

      const byCarol = await approve(user('carol'), 'looks good');
      expect(byCarol.status).toBe(200);
      expect(byCarol.body).toMatchObject({
        state: 'approved',
        approvals: {
          required: 1,
          received: 1,
          decisions: [
            {
              by: 'user:default/carol',
              decision: 'approve',
              comment: 'looks good',
            },
          ],
        },
      });
      const late = await approve(user('dave'));
      expect(late.status).toBe(409);
      expect(late.body.error.message).toBe(
        'Cannot approve it: the promotion is approved; it must be awaiting-approval',
      );
    });

    it('fails verification beyond the rollback thresholds, with the reason', async () => {
      const { body: p } = await request(server)
        .get(
          `/api/delivery/promotions?component=${COMPONENT}&environment=production&state=approved`,
        )
        .set('authorization', ci);
      const id = p.items[0].id;
      await report(id, 'deploying');
      const res = await report(id, 'verifying', {
        metrics: { errorRate: 0.12, restarts: 1 },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        state: 'failed',
        outcome: 'verification failed: error rate 12% exceeds 5%',
      });
      expect((await report(id, 'succeeded')).status).toBe(409);
    });

    it('rolls production back to the last known good build', async () => {
      for (const n of [30, 31]) {
        await releaseThroughStaging(n);
        const p = await promote(n, 'production');
        await request(server)
          .post(`/api/delivery/promotions/${p.body.id}/approve`)
          .set('authorization', user('carol'))
          .send({});
        await report(p.body.id, 'deploying');
        expect((await report(p.body.id, 'succeeded')).body.state).toBe(
          'succeeded',
        );
      }
      const rollback = await request(server)
        .post('/api/delivery/rollbacks')
        .set('authorization', ci)
        .send({
          component: COMPONENT,
          environment: 'production',
          reason: 'error spike',
        });
      expect(rollback.status).toBe(201);
      expect(rollback.body).toMatchObject({
        kind: 'rollback',
        state: 'approved',
        artifact: { digest: digest(30) },
        reason: 'error spike',
      });
      await report(rollback.body.id, 'deploying');
      await report(rollback.body.id, 'succeeded');

      const replaced = await request(server)
        .get(`/api/delivery/promotions/${rollback.body.replacesPromotionId}`)
        .set('authorization', ci);
      expect(replaced.body).toMatchObject({
        state: 'rolled-back',
        artifact: { digest: digest(31) },
      });

      const overview = await request(server)
        .get(`/api/delivery/overview?component=${COMPONENT}`)
        .set('authorization', user('alice'));
      const production = overview.body.environments.find(
        (e: any) => e.environment.name === 'production',
      );
      expect(production.release).toMatchObject({
        kind: 'rollback',
        artifact: { digest: digest(30) },
      });
      // Build 31 was rolled back in production; staging still runs it.
      expect(
        overview.body.environments.map((e: any) => e.environment.name),
      ).toEqual(['dev', 'staging', 'production']);
    });

    it('keeps quarantined builds out of every environment', async () => {
      const artifact = await releaseThroughStaging(40);
      const byCi = await request(server)
        .post(`/api/delivery/artifacts/${artifact.id}/quarantine`)
        .set('authorization', ci)
        .send({ reason: 'CVE' });
      expect(byCi.status).toBe(403);
      const q = await request(server)
        .post(`/api/delivery/artifacts/${artifact.id}/quarantine`)
        .set('authorization', user('carol'))
        .send({ reason: 'CVE-2026-1234 in libfoo' });
      expect(q.status).toBe(200);
      expect(q.body.quarantine).toMatchObject({
        reason: 'CVE-2026-1234 in libfoo',
        quarantinedBy: 'user:default/carol',
      });

      const prod = await promote(40, 'production');
      expect(prod.status).toBe(409);
      expect(prod.body.error.message).toContain(
        '[quarantine] sha256:000000000000… was quarantined by user:default/carol',
      );

      const lifted = await request(server)
        .post(`/api/delivery/artifacts/${artifact.id}/quarantine/lift`)
        .set('authorization', user('carol'))
        .send({ reason: 'false positive' });
      expect(lifted.body.quarantine).toBeUndefined();
      expect((await promote(40, 'production')).status).toBe(201);
    });

    it('refuses forbidden tags', async () => {
      await record(50, { tags: ['latest'] });
      const res = await promote(50, 'dev');
      expect(res.status).toBe(409);
      expect(res.body.error.message).toContain(
        '[image-policy] carries the forbidden tag latest',
      );
    });

    it('audits every mutation at a severity that reflects the environment', async () => {
      const prodRequests = auditEvents.filter(
        e =>
          e.options.meta.actionType === 'request' &&
          e.options.meta.environment === 'production',
      );
      expect(prodRequests.length).toBeGreaterThan(0);
      expect(prodRequests.every(e => e.options.severityLevel === 'high')).toBe(
        true,
      );
      const devRequest = auditEvents.find(
        e =>
          e.options.meta.actionType === 'request' &&
          e.options.meta.environment === 'dev',
      );
      expect(devRequest!.options).toMatchObject({
        eventId: 'promotion-mutate',
        severityLevel: 'medium',
      });
      const refusal = auditEvents.find(
        e => e.error?.name === 'PromotionRefusedError',
      );
      expect(refusal!.outcome).toBe('fail');
      const rollback = auditEvents.find(
        e => e.options.meta.actionType === 'rollback',
      );
      expect(rollback).toMatchObject({
        outcome: 'success',
        options: { severityLevel: 'high' },
      });
      expect(auditEvents.every(e => e.outcome)).toBe(true);
      expect(
        auditEvents.find(e => e.options.meta.actionType === 'record')!.options
          .eventId,
      ).toBe('artifact-mutate');
    });
  });

  describe('views', () => {
    it('gives the overview with rollback targets and what the viewer may do', async () => {
      const overview = (as: string) =>
        request(server)
          .get(`/api/delivery/overview?component=${COMPONENT}`)
          .set('authorization', as)
          .then(r => r.body.environments);

      const [, staging, production] = await overview(user('carol'));
      // Build 40 (CI asked for production after its quarantine was lifted).
      expect(production.activePromotion).toMatchObject({
        state: 'awaiting-approval',
        artifact: { digest: digest(40) },
        viewer: { canApprove: true },
      });
      // Staging runs 40; the last known good before it is 31.
      expect(staging.release.artifact.digest).toBe(digest(40));
      expect(staging.rollbackTarget).toMatchObject({
        artifact: { digest: digest(31) },
      });
      // Production was rolled back to 30; 31 was rolled back, 20 failed: nothing earlier is good.
      expect(production.release).toMatchObject({
        kind: 'rollback',
        artifact: { digest: digest(30) },
      });
      expect(production.rollbackTarget).toBeUndefined();

      expect((await overview(user('alice')))[2].activePromotion.viewer).toEqual(
        {
          canApprove: false,
          reason:
            'Only members of group:default/platform may approve promotions to production; user:default/alice is not one',
        },
      );
      expect((await overview(ci))[2].activePromotion.viewer).toEqual({
        canApprove: false,
        reason: 'Only users can approve or reject promotions',
      });
    });

    it('lists components for the organisation page, with filters and "waiting for me"', async () => {
      const all = await request(server)
        .get('/api/delivery/components?limit=5')
        .set('authorization', user('carol'));
      expect(all.status).toBe(200);
      expect(all.body.items.map((c: any) => c.component)).toEqual([
        'component:default/ledger-worker',
        'component:default/payments-api',
      ]);
      const payments = all.body.items[1];
      expect(payments).toMatchObject({
        name: 'payments-api',
        title: 'Payments API',
        owner: 'group:default/team-payments',
        system: 'system:default/commerce',
        ladder: 'standard',
      });
      expect(payments.environments.map((e: any) => e.name)).toEqual([
        'dev',
        'staging',
        'production',
      ]);
      expect(payments.environments[2].activePromotion).toMatchObject({
        state: 'awaiting-approval',
        viewer: { canApprove: true },
      });
      expect(payments.recentFailures.map((p: any) => p.state).sort()).toEqual([
        'failed',
        'rolled-back',
      ]);

      const bySystem = await request(server)
        .get('/api/delivery/components?system=system:default/commerce')
        .set('authorization', user('carol'));
      expect(bySystem.body.items.map((c: any) => c.name)).toEqual([
        'payments-api',
      ]);

      const paged = await request(server)
        .get('/api/delivery/components?limit=1')
        .set('authorization', user('carol'));
      expect(paged.body.items).toHaveLength(1);
      const next = await request(server)
        .get(
          `/api/delivery/components?limit=1&cursor=${encodeURIComponent(
            paged.body.nextCursor,
          )}`,
        )
        .set('authorization', user('carol'));
      expect(next.body.items[0].name).toBe('payments-api');

      const waitingForCarol = await request(server)
        .get('/api/delivery/components?waitingForMe=true')
        .set('authorization', user('carol'));
      expect(waitingForCarol.body.items.map((c: any) => c.name)).toEqual([
        'payments-api',
      ]);
      const waitingForAlice = await request(server)
        .get('/api/delivery/components?waitingForMe=true')
        .set('authorization', user('alice'));
      expect(waitingForAlice.body.items).toEqual([]);
    });
  });

  describe('permissions', () => {
    it('calls the permission framework for CI callers too, and writes nothing when denied', async () => {
      const denied = await startBackend({
        permissions: mockServices.permissions.factory({
          result: AuthorizeResult.DENY,
        }),
      });
      const res = await request(denied.server)
        .post('/api/delivery/artifacts')
        .set('authorization', ci)
        .send(artifactBody(60));
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        `Missing permission delivery.artifact.record for ${COMPONENT}`,
      );
      expect(denied.auditEvents[0].outcome).toBe('fail');
      const read = await request(denied.server)
        .get(`/api/delivery/artifacts?component=${COMPONENT}`)
        .set('authorization', ci);
      expect(read.status).toBe(403);
    });

    it('lets CI abort only what it requested, and people abort their own requests', async () => {
      const { body: artifact } = await record(61);
      await evidence(artifact.id, 'unit-test');
      // Alice asks for dev; CI may not abort her request, she may.
      const byAlice = await promote(61, 'dev', user('alice'));
      expect(byAlice.status).toBe(201);
      const ciAbort = await request(server)
        .post(`/api/delivery/promotions/${byAlice.body.id}/abort`)
        .set('authorization', ci)
        .send({ reason: 'cleanup' });
      expect(ciAbort.status).toBe(403);
      expect(ciAbort.body.error.message).toBe(
        'external:test-service may abort only promotions it requested; this one was requested by user:default/alice',
      );
      const still = await request(server)
        .get(`/api/delivery/promotions/${byAlice.body.id}`)
        .set('authorization', ci);
      expect(still.body.state).not.toBe('aborted');
      const own = await request(server)
        .post(`/api/delivery/promotions/${byAlice.body.id}/abort`)
        .set('authorization', user('alice'))
        .send({ reason: 'wrong build' });
      expect(own.status).toBe(200);
      expect(own.body.state).toBe('aborted');
    });
  });
});

describe('concurrency', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });

  it.each(databases.eachSupportedId())(
    'lets exactly one of many parallel requests start a promotion, and counts parallel approvals, on %p',
    async (databaseId: TestDatabaseId) => {
      const knex = await databases.init(databaseId);
      const { server } = await startBackend({ knex });
      const ref = 'component:default/ledger-worker';
      const created = await request(server)
        .post('/api/delivery/artifacts')
        .set('authorization', ci)
        .send({ ...artifactBody(1), component: ref });
      expect(created.status).toBe(201);

      const responses = await Promise.all(
        Array.from({ length: 8 }, () =>
          request(server)
            .post('/api/delivery/promotions')
            .set('authorization', ci)
            .send({
              component: ref,
              digest: digest(1),
              environment: 'production',
            }),
        ),
      );
      expect(responses.map(r => r.status).sort()).toEqual([
        201, 409, 409, 409, 409, 409, 409, 409,
      ]);
      const promotion = responses.find(r => r.status === 201)!.body;
      expect(promotion.state).toBe('awaiting-approval');

      // Two approvals needed; two approvers at once, each twice.
      const approvals = await Promise.all(
        ['carol', 'alice', 'carol', 'alice'].map(name =>
          request(server)
            .post(`/api/delivery/promotions/${promotion.id}/approve`)
            .set('authorization', user(name))
            .send({}),
        ),
      );
      expect(approvals.every(r => [200, 409].includes(r.status))).toBe(true);
      const after = await request(server)
        .get(`/api/delivery/promotions/${promotion.id}`)
        .set('authorization', ci);
      expect(after.body).toMatchObject({
        state: 'approved',
        approvals: { received: 2 },
      });
      expect(
        after.body.approvals.decisions.map((d: any) => d.by).sort(),
      ).toEqual(['user:default/alice', 'user:default/carol']);

      const all = await request(server)
        .get(`/api/delivery/promotions?component=${ref}`)
        .set('authorization', ci);
      expect(all.body.items).toHaveLength(1);
    },
  );
});

describe('delivery metrics API', () => {
  let server: any;
  /** Records build n and releases it through dev, staging and production. */
  async function releaseToProduction(n: number, overrides: object = {}) {
    const { body: artifact } = await request(server)
      .post('/api/delivery/artifacts')
      .set('authorization', ci)
      .send(artifactBody(n, overrides));
    await request(server)
      .post(`/api/delivery/artifacts/${artifact.id}/evidence`)
      .set('authorization', ci)
      .send({ kind: 'unit-test', result: 'passed' });
    for (const environment of ['dev', 'staging', 'production']) {
      const { body: promotion } = await request(server)
        .post('/api/delivery/promotions')
        .set('authorization', ci)
        .send({ component: COMPONENT, digest: digest(n), environment });
      if (environment === 'production') {
        await request(server)
          .post(`/api/delivery/promotions/${promotion.id}/approve`)
          .set('authorization', user('carol'))
          .send({});
      }
      for (const type of ['deploying', 'succeeded']) {
        await request(server)
          .post(`/api/delivery/promotions/${promotion.id}/events`)
          .set('authorization', ci)
          .send({ type });
      }
    }
  }

  beforeAll(async () => {
    ({ server } = await startBackend());
    // One build, committed two hours ago, released through the ladder.
    await releaseToProduction(1, {
      commitTime: new Date(Date.now() - 2 * 3600_000).toISOString(),
    });
  });

  const dora = (query: string, as = ci) =>
    request(server)
      .get(`/api/delivery/metrics/dora?${query}`)
      .set('authorization', as);

  it('answers the four keys of a component, with a daily series and the definitions', async () => {
    const res = await dora(`component=${COMPONENT}&days=7`);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      window: { days: 7, bucket: 'day' },
      scope: { kind: 'component', ref: COMPONENT },
      deploymentFrequency: { deployments: 1, band: 'daily' },
      leadTime: { samples: 1 },
      changeFailureRate: { changes: 1, failures: 0, rate: 0 },
      timeToRestore: { incidents: 0, restored: 0, open: 0 },
    });
    // Commit two hours ago to the release now.
    expect(res.body.leadTime.medianSeconds).toBeGreaterThanOrEqual(7200);
    expect(res.body.leadTime.medianSeconds).toBeLessThan(7200 + 120);
    expect(res.body.leadTime.p90Seconds).toBe(res.body.leadTime.medianSeconds);
    expect(res.body.series).toHaveLength(7);
    expect(res.body.series[6]).toMatchObject({ deployments: 1, changes: 1 });
    expect(res.body.definitions.leadTime).toMatch(/^From the commit time/);
  });

  it('answers for an owner, a system and the organisation through the catalog', async () => {
    const owner = await dora('owner=group:default/team-payments');
    expect(owner.body).toMatchObject({
      scope: { kind: 'owner', components: 2 },
      deploymentFrequency: { deployments: 1 },
      window: { days: 30, bucket: 'day' },
    });
    const system = await dora('system=system:default/commerce&days=90');
    expect(system.body).toMatchObject({
      scope: { kind: 'system', components: 1 },
      window: { bucket: 'week' },
    });
    expect(system.body.series).toHaveLength(13);
    const platform = await dora('owner=group:default/platform');
    expect(platform.body).toMatchObject({
      scope: { components: 0 },
      deploymentFrequency: { deployments: 0, band: 'none' },
      leadTime: { samples: 0 },
    });
    const organisation = await dora('');
    expect(organisation.body).toMatchObject({
      scope: { kind: 'organisation' },
      deploymentFrequency: { deployments: 1 },
    });
  });

  it('breaks the pipeline down, counting refusals under the gate that failed', async () => {
    // Build 2 goes straight to production: the ladder gate refuses it.
    await request(server)
      .post('/api/delivery/artifacts')
      .set('authorization', ci)
      .send(artifactBody(2));
    const refused = await request(server)
      .post('/api/delivery/promotions')
      .set('authorization', ci)
      .send({
        component: COMPONENT,
        digest: digest(2),
        environment: 'production',
      });
    expect(refused.status).toBe(409);

    const res = await request(server)
      .get(`/api/delivery/metrics/pipeline?component=${COMPONENT}&days=7`)
      .set('authorization', ci);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      window: { days: 7 },
      scope: { kind: 'component', ref: COMPONENT },
      refusals: {
        requests: 4,
        refused: 1,
        rate: 0.25,
        byGate: expect.arrayContaining([{ gate: 'ladder', refused: 1 }]),
      },
      approvalWait: { promotions: 1 },
      evidence: [{ kind: 'unit-test', reported: 1, failed: 0, failureRate: 0 }],
    });
    expect(
      res.body.timeToEnvironment.map((e: any) => [e.environment, e.releases]),
    ).toEqual([
      ['dev', 1],
      ['staging', 1],
      ['production', 1],
    ]);
  });

  it('scores a component on the golden path, and summarises an owner', async () => {
    const card = await request(server)
      .get(`/api/delivery/scorecards?component=${COMPONENT}`)
      .set('authorization', ci);
    expect(card.status).toBe(200);
    const byId = Object.fromEntries(
      card.body.checks.map((c: any) => [c.id, c]),
    );
    expect(Object.keys(byId)).toEqual([
      'ladder-order',
      'signed-releases',
      'required-evidence',
      'image-policy',
      'previews-ttl',
      'restore-target',
      'catalog-annotations',
    ]);
    expect(byId['signed-releases']).toMatchObject({
      status: 'fail',
      reason: 'the production release has no verified signature or provenance',
      fixUrl: expect.stringMatching(/^https:/),
    });
    expect(byId['required-evidence']).toMatchObject({
      status: 'fail',
      reason:
        'production of the standard ladder requires no evidence; configure requiredEvidence',
    });
    expect(byId['restore-target'].status).toBe('not-applicable');
    expect(card.body).toMatchObject({ component: COMPONENT, applicable: 6 });

    const summary = await request(server)
      .get('/api/delivery/scorecards/summary?owner=group:default/team-payments')
      .set('authorization', ci);
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({
      scope: { kind: 'owner', ref: 'group:default/team-payments' },
      components: 2,
      owners: [
        {
          owner: 'group:default/team-payments',
          components: 2,
          passingAll: 0,
          share: 0,
        },
      ],
    });
    expect(
      summary.body.checks.find((c: any) => c.id === 'previews-ttl'),
    ).toMatchObject({ passing: 2, applicable: 2, share: 1 });

    const missing = await request(server)
      .get('/api/delivery/scorecards?component=component:default/nope')
      .set('authorization', ci);
    expect(missing.status).toBe(404);
  });

  it('answers organisation and component figures fresh (no organisationCacheTtl)', async () => {
    expect((await dora('')).body.deploymentFrequency.deployments).toBe(1);
    // Build 3 reaches production.
    await releaseToProduction(3);

    const component = await dora(`component=${COMPONENT}`);
    expect(component.body.deploymentFrequency.deployments).toBe(2);
    const organisation = await dora('');
    expect(organisation.body.deploymentFrequency.deployments).toBe(2);
  });

  it('refuses unclear scopes, bad windows and callers without a token', async () => {
    const both = await dora(
      `component=${COMPONENT}&owner=group:default/platform`,
    );
    expect(both.status).toBe(400);
    expect(both.body.error.message).toBe(
      'Give one of component, owner or system, not component and owner',
    );
    expect((await dora('days=0')).status).toBe(400);
    expect((await dora('days=366')).status).toBe(400);
    expect((await dora('', mockCredentials.none.header())).status).toBe(401);
  });
});
