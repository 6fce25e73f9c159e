import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import deliveryPlugin from '..';
import { keyBundle, testKey } from '../supplyChain/__testUtils__/supplyChain';

jest.setTimeout(60_000);

const COMPONENT = 'component:default/payments-api';
const DIGEST = `sha256:${'e'.repeat(64)}`;
const SIGN = 'https://sigstore.dev/cosign/sign/v1';
const ci = mockCredentials.service.header();
const ciKey = testKey('ci-key');

const entities = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'payments-api',
      annotations: { 'github.com/project-slug': 'acme/payments-api' },
    },
    spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
  },
];

/** The API of bundles: verified and recorded once, refused with the reason, audited. */
describe('POST /artifacts/{id}/attestations', () => {
  let server: any;
  const audits: any[] = [];
  let artifactId: string;

  beforeAll(async () => {
    const auditor = mockServices.auditor.mock({
      createEvent: async (options: any) => {
        const event: any = { options };
        audits.push(event);
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
    ({ server } = await startTestBackend({
      features: [
        deliveryPlugin,
        catalogServiceMock.factory({ entities }),
        auditor.factory,
        mockServices.rootConfig.factory({
          data: {
            delivery: {
              supplyChain: {
                keys: [{ id: 'ci-key', publicKey: ciKey.publicKey }],
                maxBundleKb: 4,
              },
              ladders: {
                standard: {
                  environments: [
                    {
                      name: 'production',
                      requiredEvidence: [{ signature: 'verified' }],
                    },
                  ],
                },
              },
            },
          },
        }),
      ],
    }));
    const recorded = await request(server)
      .post('/api/delivery/artifacts')
      .set('authorization', ci)
      .send({
        component: COMPONENT,
        digest: DIGEST,
        imageRepository: 'ghcr.io/acme/payments-api',
        tags: ['1.0.0'],
        commitSha: 'c0ffee'.padEnd(40, '0'),
        branch: 'main',
      });
    if (recorded.status !== 201) {
      throw new Error(`Could not record the artifact: ${recorded.text}`);
    }
    artifactId = recorded.body.id;
  });

  const attest = (body: object) =>
    request(server)
      .post(`/api/delivery/artifacts/${artifactId}/attestations`)
      .set('authorization', ci)
      .send(body);

  it('records a verified signature once, and says what was verified', async () => {
    const bundle = keyBundle(ciKey, DIGEST, SIGN);
    const first = await attest({ bundle, url: 'https://ci.example.com/1' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      kind: 'signature',
      result: 'passed',
      status: 'verified',
      url: 'https://ci.example.com/1',
      verification: {
        content: 'dsse',
        predicateType: SIGN,
        signer: { type: 'key', keyId: 'ci-key' },
      },
    });
    const again = await attest({ bundle });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);

    const detail = await request(server)
      .get(`/api/delivery/artifacts/${artifactId}`)
      .set('authorization', ci);
    expect(detail.body.evidenceHistory).toHaveLength(1);
    expect(
      audits.find(
        a => a.options.meta?.actionType === 'attest' && a.outcome === 'success',
      ),
    ).toBeDefined();
  });

  it('refuses a bundle that fails a check with 422 and the reason, audited as a failure', async () => {
    const res = await attest({
      bundle: keyBundle(ciKey, `sha256:${'f'.repeat(64)}`, SIGN),
    });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(
      /^The bundle was refused: subject: attests ghcr\.io\/acme\/shop \(sha256:ffffffffffff…\)/,
    );
    const garbage = await attest({ bundle: { mediaType: 'nonsense' } });
    expect(garbage.status).toBe(422);
    expect(garbage.body.error.message).toMatch(
      /^The bundle was refused: bundle: /,
    );
    expect(audits.filter(a => a.outcome === 'fail').length).toBeGreaterThan(0);
  });

  it('refuses reported signatures (403), oversized bundles (413) and bad bodies (400)', async () => {
    const reported = await request(server)
      .post(`/api/delivery/artifacts/${artifactId}/evidence`)
      .set('authorization', ci)
      .send({ kind: 'signature', result: 'passed' });
    expect(reported.status).toBe(403);
    expect(reported.body.error.message).toContain(
      'signature evidence is accepted only as a Sigstore bundle that the portal verifies',
    );

    const big = keyBundle(ciKey, DIGEST, SIGN, { padding: 'x'.repeat(8_000) });
    const tooLarge = await attest({ bundle: big });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.message).toContain(
      'delivery.supplyChain.maxBundleKb',
    );

    expect((await attest({})).status).toBe(400);
    expect(
      (await attest({ bundle: keyBundle(ciKey, DIGEST, SIGN), kind: 'x' }))
        .status,
    ).toBe(400);

    const detail = await request(server)
      .get(`/api/delivery/artifacts/${artifactId}`)
      .set('authorization', ci);
    expect(detail.body.evidenceHistory).toHaveLength(1);
  });
});
