/*
 * Who hears about what, through the routes: the notifications and signals
 * services are recorded (they belong to other plugins), everything else is
 * the real plugin over SQLite with catalog fixtures.
 */
import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  NotificationSendOptions,
  notificationService,
} from '@backstage/plugin-notifications-node';
import {
  SignalPayload,
  signalsServiceRef,
} from '@backstage/plugin-signals-node';
import request from 'supertest';
import deliveryPlugin from '..';
import { userInfoWithGroups } from './__testUtils__/userInfo';

jest.setTimeout(60_000);

const ci = mockCredentials.service.header();
const PLATFORM = 'group:default/platform';
const PAYMENTS = 'group:default/team-payments';
const COMPONENT = 'component:default/payments-api';

const entities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments-api' },
    spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'dave' },
    spec: { profile: { email: 'dave@acme.example' }, memberOf: [PLATFORM] },
    relations: [{ type: 'memberOf', targetRef: PLATFORM }],
  },
];

describe('notifications and signals of ledger changes', () => {
  let server: any;
  const sent: NotificationSendOptions[] = [];
  const signals: SignalPayload[] = [];

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        deliveryPlugin,
        catalogServiceMock.factory({ entities }),
        createServiceFactory({
          service: notificationService,
          deps: {},
          factory: () => ({
            send: async (options: NotificationSendOptions) => {
              sent.push(options);
            },
          }),
        }),
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({
            publish: async (signal: SignalPayload) => {
              signals.push(signal as SignalPayload);
            },
          }),
        }),
        mockServices.rootConfig.factory({
          data: {
            delivery: {
              notifications: {
                kinds: { 'production-release': { enabled: true } },
              },
              ladders: {
                standard: {
                  environments: [
                    { name: 'dev' },
                    {
                      name: 'production',
                      title: 'Production',
                      approvals: { count: 1, groups: [PLATFORM] },
                    },
                  ],
                },
              },
            },
          },
        }),
        userInfoWithGroups({ 'user:default/frank': [PLATFORM] }),
      ],
    }));
  });

  beforeEach(() => {
    sent.length = 0;
    signals.length = 0;
  });

  let n = 0;
  async function record(extra: object = {}) {
    const digest = `sha256:${(++n).toString(16).padStart(64, '0')}`;
    const res = await request(server)
      .post('/api/delivery/artifacts')
      .set('authorization', ci)
      .send({
        component: COMPONENT,
        digest,
        imageRepository: 'ghcr.io/acme/payments-api',
        tags: [`1.0.${n}`],
        commitSha: 'c0ffee1',
        ...extra,
      });
    expect(res.status).toBe(201);
    return { digest, id: res.body.id as string, tag: `1.0.${n}` };
  }
  const promote = (digest: string, environment: string, as = ci) =>
    request(server)
      .post('/api/delivery/promotions')
      .set('authorization', as)
      .send({ component: COMPONENT, digest, environment });
  const report = (id: string, type: string) =>
    request(server)
      .post(`/api/delivery/promotions/${id}/events`)
      .set('authorization', ci)
      .send({ type });

  /** Build `build` released in dev, as CI reports it. */
  async function releasedInDev(build: { digest: string }) {
    const toDev = await promote(build.digest, 'dev');
    expect(toDev.status).toBe(201);
    for (const type of ['deploying', 'verifying', 'succeeded']) {
      expect((await report(toDev.body.id, type)).status).toBe(200);
    }
  }

  it('asks the approver groups, without the people behind the change, then tells them when nothing is needed any more', async () => {
    const build = await record({ commitAuthorEmail: 'dave@acme.example' });
    await releasedInDev(build);
    sent.length = 0;
    signals.length = 0;
    const requested = await promote(build.digest, 'production');
    expect(requested.status).toBe(201);
    const id = requested.body.id;

    expect(sent).toEqual([
      {
        recipients: {
          type: 'entity',
          entityRef: [PLATFORM],
          excludeEntityRef: ['user:default/dave'],
        },
        payload: {
          title: `Approval needed: payments-api ${build.tag} → Production`,
          description: expect.stringContaining(
            'Open the Delivery tab to review its gates and evidence, then approve or reject it.',
          ),
          link: `/catalog/default/component/payments-api/delivery?promotion=${id}`,
          severity: 'high',
          topic: 'Delivery approvals',
          scope: `delivery:approval:${id}`,
        },
      },
    ]);
    expect(signals).toEqual([
      {
        recipients: { type: 'broadcast' },
        channel: `delivery:${COMPONENT}`,
        message: {
          componentRef: COMPONENT,
          type: 'promotion',
          promotionId: id,
          state: 'awaiting-approval',
        },
      },
    ]);

    sent.length = 0;
    const approved = await request(server)
      .post(`/api/delivery/promotions/${id}/approve`)
      .set('authorization', mockCredentials.user.header('user:default/frank'))
      .send({});
    expect(approved.status).toBe(200);
    expect(sent).toEqual([
      expect.objectContaining({
        recipients: expect.objectContaining({ entityRef: [PLATFORM] }),
        payload: expect.objectContaining({
          title: `No approval needed any more: payments-api ${build.tag} → Production`,
          severity: 'low',
          scope: `delivery:approval:${id}`,
        }),
      }),
    ]);
    // Aborting an approved promotion tells nobody, and refreshes open tabs.
    sent.length = 0;
    signals.length = 0;
    const aborted = await request(server)
      .post(`/api/delivery/promotions/${id}/abort`)
      .set('authorization', ci)
      .send({ reason: 'not today' });
    expect(aborted.status).toBe(200);
    expect(sent).toEqual([]);
    expect(signals.map(s => (s.message as any).state)).toEqual(['aborted']);
  });

  it('tells the owner of a refusal, a failure and a production release, and nobody of a plain success', async () => {
    const early = await record();
    // Not in dev yet: the ladder gate refuses it.
    const refused = await promote(early.digest, 'production');
    expect(refused.status).toBe(409);
    expect(sent).toEqual([
      {
        recipients: { type: 'entity', entityRef: [PAYMENTS] },
        payload: expect.objectContaining({
          title: `Promotion refused: payments-api ${early.tag} → Production`,
          description: expect.stringContaining('Its gates refused it: '),
          topic: 'Delivery failures',
        }),
      },
    ]);
    sent.length = 0;
    signals.length = 0;

    const build = await record();
    const toDev = await promote(build.digest, 'dev');
    expect(toDev.status).toBe(201);
    for (const type of ['deploying', 'verifying']) {
      expect((await report(toDev.body.id, type)).status).toBe(200);
    }
    expect((await report(toDev.body.id, 'failed')).status).toBe(200);
    const owner = sent.filter(s => s.payload.topic === 'Delivery failures');
    expect(owner).toEqual([
      {
        recipients: { type: 'entity', entityRef: [PAYMENTS] },
        payload: expect.objectContaining({
          title: `Promotion failed: payments-api ${build.tag} → dev`,
          severity: 'high',
        }),
      },
    ]);
    // Every change signalled the component's open tabs.
    expect(signals.map(s => (s.message as any).state)).toEqual([
      'approved',
      'deploying',
      'verifying',
      'failed',
    ]);

    // A success in dev tells nobody; in production, the owner (configured on).
    sent.length = 0;
    await releasedInDev(build);
    expect(sent).toEqual([]);
    const toProduction = await promote(build.digest, 'production');
    expect([toProduction.status, toProduction.body.error?.message]).toEqual([
      201,
      undefined,
    ]);
    await request(server)
      .post(`/api/delivery/promotions/${toProduction.body.id}/approve`)
      .set('authorization', mockCredentials.user.header('user:default/frank'))
      .send({});
    sent.length = 0;
    for (const type of ['deploying', 'verifying', 'succeeded']) {
      expect((await report(toProduction.body.id, type)).status).toBe(200);
    }
    expect(sent).toEqual([
      {
        recipients: { type: 'entity', entityRef: [PAYMENTS] },
        payload: expect.objectContaining({
          title: `Released: payments-api ${build.tag} → Production`,
          severity: 'low',
          topic: 'Delivery releases',
        }),
      },
    ]);
  });

  it('tells the owner when a released build is quarantined', async () => {
    const build = await record();
    await releasedInDev(build);
    sent.length = 0;
    const quarantined = await request(server)
      .post(`/api/delivery/artifacts/${build.id}/quarantine`)
      .set('authorization', mockCredentials.user.header('user:default/frank'))
      .send({ reason: 'CVE-2026-1234' });
    expect(quarantined.status).toBe(200);
    expect(sent).toEqual([
      {
        recipients: { type: 'entity', entityRef: [PAYMENTS] },
        payload: expect.objectContaining({
          title: `Quarantined while released: payments-api ${build.tag}`,
          description: expect.stringContaining(
            'user:default/frank quarantined 1.0.',
          ),
          topic: 'Delivery quarantines',
        }),
      },
    ]);
  });
});
