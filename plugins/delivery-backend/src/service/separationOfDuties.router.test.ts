import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import deliveryPlugin from '..';
import { userInfoWithGroups } from './__testUtils__/userInfo';

jest.setTimeout(60_000);

const ci = mockCredentials.service.header();
const PLATFORM = 'group:default/platform';
const PAYMENTS = 'group:default/team-payments';

/** Direct groups, as the sign-in resolver puts them in ownership refs. */
const GROUPS: Record<string, string[]> = {
  'user:default/dave': [PLATFORM, PAYMENTS],
  'user:default/erin': [PLATFORM, PAYMENTS],
  'user:default/carol': [PLATFORM, PAYMENTS],
  'user:default/frank': [PLATFORM],
  'user:default/gina': [PLATFORM, PAYMENTS],
};

const user = (
  name: string,
  groups: string[],
  profile: { email?: string; login?: string },
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: {
    name,
    annotations: profile.login
      ? { 'github.com/user-login': profile.login }
      : {},
  },
  spec: { profile: { email: profile.email }, memberOf: groups },
  relations: groups.map(g => ({ type: 'memberOf', targetRef: g })),
});

const component = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    annotations: { 'backstage.io/kubernetes-id': name },
  },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
});

/** One component per test: each leaves a promotion awaiting approval. */
const COMPONENTS = ['payments-api', 'payments-worker', 'payments-ledger'];

const entities: Entity[] = [
  ...COMPONENTS.map(component),
  user('dave', [PAYMENTS], { email: 'dave@acme.example' }),
  user('carol', [PAYMENTS], { login: 'carol-gh' }),
  user('erin', [PAYMENTS], { email: 'erin@acme.example' }),
  user('frank', [PLATFORM], { email: 'frank@acme.example' }),
];

describe('separation of duties with the people behind CI', () => {
  let server: any;
  let n = 0;

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        deliveryPlugin,
        catalogServiceMock.factory({ entities }),
        mockServices.rootConfig.factory({
          data: {
            delivery: {
              ladders: {
                standard: {
                  environments: [
                    {
                      name: 'production',
                      approvals: {
                        count: 2,
                        groups: [PLATFORM],
                        outsideCommittingTeam: true,
                      },
                    },
                  ],
                },
              },
            },
          },
        }),
        userInfoWithGroups(GROUPS),
      ],
    }));
  });

  /** A build by dave, pushed by carol, that CI asks to put in production. */
  async function promotedByCi() {
    const COMPONENT = `component:default/${COMPONENTS[n % COMPONENTS.length]}`;
    const digest = `sha256:${(++n).toString(16).padStart(64, '0')}`;
    const recorded = await request(server)
      .post('/api/delivery/artifacts')
      .set('authorization', ci)
      .send({
        component: COMPONENT,
        digest,
        imageRepository: 'ghcr.io/acme/payments-api',
        commitSha: 'c0ffee1',
        commitAuthorEmail: 'Dave@Acme.example',
        triggeredBy: 'carol-gh',
      });
    expect(recorded.status).toBe(201);
    expect(recorded.body).toMatchObject({
      commitAuthorEmail: 'Dave@Acme.example',
      triggeredBy: 'carol-gh',
    });
    const promoted = await request(server)
      .post('/api/delivery/promotions')
      .set('authorization', ci)
      .send({
        component: COMPONENT,
        digest,
        environment: 'production',
        triggeredBy: 'carol-gh',
      });
    expect([promoted.status, promoted.body.error?.message]).toEqual([
      201,
      undefined,
    ]);
    return promoted.body;
  }

  const decide = (id: string, name: string, decision = 'approve') =>
    request(server)
      .post(`/api/delivery/promotions/${id}/${decision}`)
      .set('authorization', mockCredentials.user.header(`user:default/${name}`))
      .send({});

  it('records the people behind a CI-requested promotion, matched to catalog users', async () => {
    const promotion = await promotedByCi();
    expect(promotion).toMatchObject({
      requestedBy: 'external:test-service',
      triggeredBy: 'carol-gh',
      people: [
        {
          ref: 'user:default/carol',
          role: 'triggered-by',
          matchedBy: 'GitHub login carol-gh',
        },
        {
          ref: 'user:default/dave',
          role: 'commit-author',
          matchedBy: 'e-mail Dave@Acme.example',
        },
      ],
      committingTeams: [PAYMENTS],
    });
  });

  it('refuses the commit author and who pushed, with the reason; another team member may approve', async () => {
    const { id } = await promotedByCi();
    const author = await decide(id, 'dave');
    expect(author.status).toBe(403);
    expect(author.body.error.message).toBe(
      'user:default/dave wrote the commit this build came from (matched by e-mail Dave@Acme.example) and cannot approve or reject it; another member of the approver groups must',
    );
    const pusher = await decide(id, 'carol', 'reject');
    expect(pusher.status).toBe(403);
    expect(pusher.body.error.message).toMatch(
      /^user:default\/carol pushed or started the pipeline run behind this promotion/,
    );

    const teammate = await decide(id, 'erin');
    expect(teammate.status).toBe(200);
    expect(teammate.body.approvals).toMatchObject({
      received: 1,
      decisions: [{ by: 'user:default/erin', outsideCommittingTeam: false }],
    });
    expect(teammate.body.state).toBe('awaiting-approval');
  });

  it('keeps the last approval for someone outside the committing team', async () => {
    const { id } = await promotedByCi();
    expect((await decide(id, 'erin')).status).toBe(200);
    // Two approvals are needed; the second may not come from payments too.
    const sameTeam = await decide(id, 'gina');
    expect(sameTeam.status).toBe(403);
    expect(sameTeam.body.error.message).toBe(
      'The approvals for production must include someone outside the committing team (group:default/team-payments); user:default/gina is on it, so someone from another team must decide',
    );
    const outsider = await decide(id, 'frank');
    expect(outsider.status).toBe(200);
    expect(outsider.body.state).toBe('approved');
    expect(outsider.body.approvals.decisions).toContainEqual(
      expect.objectContaining({
        by: 'user:default/frank',
        outsideCommittingTeam: true,
      }),
    );
  });
});
