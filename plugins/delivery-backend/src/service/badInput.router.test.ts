import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import request from 'supertest';
import deliveryPlugin from '..';

/** A `javascript:` URL, spelled so that the lint does not take it for code. */
const SCRIPT_URL = ['javascript', 'alert(1)'].join(':');

jest.setTimeout(120_000);

const COMPONENT = 'component:default/orders';
const DIGEST = `sha256:${'1'.repeat(64)}`;
const ci = mockCredentials.service.header();
const alice = mockCredentials.user.header('user:default/alice');
const NUL = 'a\u0000b';
const ESC = 'red \u001b[31m';
const TOO_BIG = 2 ** 31;

const artifact = {
  component: COMPONENT,
  digest: `sha256:${'2'.repeat(64)}`,
  imageRepository: 'ghcr.io/acme/orders',
  tags: ['1.0.1'],
  commitSha: 'c0ffee'.padEnd(40, '0'),
  branch: 'main',
};
const tests = (t: object) => ({
  kind: 'unit-test',
  result: 'passed',
  summary: { tests: { passed: 1, failed: 0, ...t } },
});

/**
 * [what is wrong, method, path (`:a` artifact, `:p` promotion), body, the
 * field the message must name]
 */
type Case = [string, string, string, unknown, string];
const CASES: Case[] = [
  [
    'component with NUL',
    'post',
    '/artifacts',
    { ...artifact, component: NUL },
    'component',
  ],
  [
    'component with a space',
    'post',
    '/artifacts',
    { ...artifact, component: 'a b' },
    'component',
  ],
  [
    'uppercase digest',
    'post',
    '/artifacts',
    { ...artifact, digest: DIGEST.toUpperCase() },
    'digest',
  ],
  [
    'no digest',
    'post',
    '/artifacts',
    { ...artifact, digest: undefined },
    'digest',
  ],
  [
    'repository with NUL',
    'post',
    '/artifacts',
    { ...artifact, imageRepository: NUL },
    'imageRepository',
  ],
  [
    'tag with a newline',
    'post',
    '/artifacts',
    { ...artifact, tags: ['1.0\n'] },
    'tags',
  ],
  [
    'tags not a list',
    'post',
    '/artifacts',
    { ...artifact, tags: '1.0' },
    'tags',
  ],
  [
    'commit not hex',
    'post',
    '/artifacts',
    { ...artifact, commitSha: 'xyz' },
    'commitSha',
  ],
  [
    'commit time in words',
    'post',
    '/artifacts',
    { ...artifact, commitTime: 'yesterday' },
    'commitTime',
  ],
  [
    'branch with NUL',
    'post',
    '/artifacts',
    { ...artifact, branch: NUL },
    'branch',
  ],
  [
    'branch with a newline',
    'post',
    '/artifacts',
    { ...artifact, branch: 'main\nx' },
    'branch',
  ],
  [
    'build id of 256 characters',
    'post',
    '/artifacts',
    { ...artifact, buildId: 'x'.repeat(256) },
    'buildId',
  ],
  [
    SCRIPT_URL,
    'post',
    '/artifacts',
    { ...artifact, buildUrl: SCRIPT_URL },
    'buildUrl',
  ],
  [
    'data: build link',
    'post',
    '/artifacts',
    { ...artifact, buildUrl: 'data:text/html,x' },
    'buildUrl',
  ],
  [
    'build link with a space',
    'post',
    '/artifacts',
    { ...artifact, buildUrl: 'https://a/b c' },
    'buildUrl',
  ],
  [
    'negative size',
    'post',
    '/artifacts',
    { ...artifact, sizeBytes: -1 },
    'sizeBytes',
  ],
  [
    'size past 2^53',
    'post',
    '/artifacts',
    { ...artifact, sizeBytes: 2 ** 63 },
    'sizeBytes',
  ],
  [
    'fractional size',
    'post',
    '/artifacts',
    { ...artifact, sizeBytes: 1.5 },
    'sizeBytes',
  ],
  [
    'base image with a space',
    'post',
    '/artifacts',
    { ...artifact, baseImage: 'node 22' },
    'baseImage',
  ],
  [
    'unknown field',
    'post',
    '/artifacts',
    { ...artifact, colour: 'blue' },
    'colour',
  ],
  [
    'unknown evidence kind',
    'post',
    '/artifacts/:a/evidence',
    { kind: 'unit', result: 'passed' },
    'kind',
  ],
  [
    'unknown result',
    'post',
    '/artifacts/:a/evidence',
    { kind: 'unit-test', result: 'ok' },
    'result',
  ],
  [
    'negative test count',
    'post',
    '/artifacts/:a/evidence',
    tests({ passed: -1 }),
    'passed',
  ],
  [
    'test count past 2^31',
    'post',
    '/artifacts/:a/evidence',
    tests({ passed: TOO_BIG }),
    'passed',
  ],
  [
    'test count as text',
    'post',
    '/artifacts/:a/evidence',
    tests({ failed: '3' }),
    'failed',
  ],
  [
    'no failed count',
    'post',
    '/artifacts/:a/evidence',
    { kind: 'unit-test', result: 'passed', summary: { tests: { passed: 1 } } },
    'failed',
  ],
  [
    'vulnerabilities past 2^31',
    'post',
    '/artifacts/:a/evidence',
    {
      kind: 'image-scan',
      result: 'passed',
      summary: { vulnerabilities: { critical: 1e12, high: 0 } },
    },
    'critical',
  ],
  [
    SCRIPT_URL,
    'post',
    '/artifacts/:a/evidence',
    { kind: 'unit-test', result: 'passed', url: SCRIPT_URL },
    'url',
  ],
  [
    'ftp: evidence link',
    'post',
    '/artifacts/:a/evidence',
    { kind: 'unit-test', result: 'passed', url: 'ftp://x/y' },
    'url',
  ],
  [
    'unknown evidence field',
    'post',
    '/artifacts/:a/evidence',
    { kind: 'unit-test', result: 'passed', by: 'me' },
    'by',
  ],
  ['no bundle', 'post', '/artifacts/:a/attestations', {}, 'bundle'],
  [
    'bundle as text',
    'post',
    '/artifacts/:a/attestations',
    { bundle: 'x' },
    'bundle',
  ],
  [
    'payload not base64',
    'post',
    '/artifacts/:a/attestations',
    { bundle: {}, payload: '***' },
    'payload',
  ],
  [
    'unknown attestation kind',
    'post',
    '/artifacts/:a/attestations',
    { bundle: {}, kind: 'x' },
    'kind',
  ],
  [
    SCRIPT_URL,
    'post',
    '/artifacts/:a/attestations',
    { bundle: {}, url: SCRIPT_URL },
    'url',
  ],
  ['no quarantine reason', 'post', '/artifacts/:a/quarantine', {}, 'reason'],
  [
    'empty quarantine reason',
    'post',
    '/artifacts/:a/quarantine',
    { reason: '' },
    'reason',
  ],
  [
    'quarantine reason with NUL',
    'post',
    '/artifacts/:a/quarantine',
    { reason: NUL },
    'reason',
  ],
  [
    'quarantine reason of 2001 characters',
    'post',
    '/artifacts/:a/quarantine',
    { reason: 'x'.repeat(2001) },
    'reason',
  ],
  [
    'lift reason with an escape',
    'post',
    '/artifacts/:a/quarantine/lift',
    { reason: ESC },
    'reason',
  ],
  [
    'no environment',
    'post',
    '/promotions',
    { component: COMPONENT, digest: DIGEST },
    'environment',
  ],
  [
    'environment with NUL',
    'post',
    '/promotions',
    { component: COMPONENT, digest: DIGEST, environment: NUL },
    'environment',
  ],
  [
    'promotion digest not sha256',
    'post',
    '/promotions',
    { component: COMPONENT, digest: 'latest', environment: 'dev' },
    'digest',
  ],
  [
    'unknown promotion kind',
    'post',
    '/promotions',
    { component: COMPONENT, digest: DIGEST, environment: 'dev', kind: 'yolo' },
    'kind',
  ],
  [
    'promotion reason with NUL',
    'post',
    '/promotions',
    { component: COMPONENT, digest: DIGEST, environment: 'dev', reason: NUL },
    'reason',
  ],
  [
    'approval comment with NUL',
    'post',
    '/promotions/:p/approve',
    { comment: NUL },
    'comment',
  ],
  [
    'approval comment of 2001 characters',
    'post',
    '/promotions/:p/approve',
    { comment: 'x'.repeat(2001) },
    'comment',
  ],
  [
    'rejection comment with an escape',
    'post',
    '/promotions/:p/reject',
    { comment: ESC },
    'comment',
  ],
  [
    'abort reason with NUL',
    'post',
    '/promotions/:p/abort',
    { reason: NUL },
    'reason',
  ],
  [
    'unknown rollout event',
    'post',
    '/promotions/:p/events',
    { type: 'done' },
    'type',
  ],
  [
    'error rate above 1',
    'post',
    '/promotions/:p/events',
    { type: 'verifying', metrics: { errorRate: 2 } },
    'errorRate',
  ],
  [
    'restarts past 2^31',
    'post',
    '/promotions/:p/events',
    { type: 'verifying', metrics: { restarts: TOO_BIG } },
    'restarts',
  ],
  [
    'latency past a day',
    'post',
    '/promotions/:p/events',
    { type: 'verifying', metrics: { p95LatencyMs: 1e12 } },
    'p95LatencyMs',
  ],
  [
    'event message with NUL',
    'post',
    '/promotions/:p/events',
    { type: 'deploying', message: NUL },
    'message',
  ],
  [
    'no rollback reason',
    'post',
    '/rollbacks',
    { component: COMPONENT, environment: 'dev' },
    'reason',
  ],
  [
    'rollback reason with NUL',
    'post',
    '/rollbacks',
    { component: COMPONENT, environment: 'dev', reason: NUL },
    'reason',
  ],
  [
    'pull request 0',
    'post',
    '/previews',
    { component: COMPONENT, pullRequest: 0 },
    'pullRequest',
  ],
  [
    'pull request past 2^31',
    'post',
    '/previews',
    { component: COMPONENT, pullRequest: TOO_BIG },
    'pullRequest',
  ],
  [
    'preview branch with NUL',
    'post',
    '/previews',
    { component: COMPONENT, branch: NUL },
    'branch',
  ],
  [
    'cursor with NUL',
    'get',
    '/artifacts?component=orders&cursor=a%00b',
    undefined,
    'cursor',
  ],
];

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
  'delivery_deployments',
  'delivery_deployment_steps',
];

async function rowCounts(knex: Knex) {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    if (await knex.schema.hasTable(table)) {
      const [{ n }] = await knex(table).count({ n: '*' });
      counts[table] = Number(n);
    }
  }
  return counts;
}

describe('bad input', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });

  it('has a corpus of at least 50 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
  });

  it.each(databases.eachSupportedId())(
    'answers 4xx naming the field, and writes nothing, on %p',
    async (databaseId: TestDatabaseId) => {
      const knex = await databases.init(databaseId);
      const { server } = await startTestBackend({
        features: [
          deliveryPlugin,
          mockServices.database.factory({ knex }),
          catalogServiceMock.factory({
            entities: [
              {
                apiVersion: 'backstage.io/v1alpha1',
                kind: 'Component',
                metadata: { name: 'orders' },
                spec: {
                  type: 'service',
                  owner: 'team',
                  lifecycle: 'production',
                },
              },
            ],
          }),
          mockServices.rootConfig.factory({
            data: {
              delivery: {
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
        ],
      });
      const recorded = await request(server)
        .post('/api/delivery/artifacts')
        .set('authorization', ci)
        .send({ ...artifact, digest: DIGEST, tags: ['1.0.0'] });
      const promoted = await request(server)
        .post('/api/delivery/promotions')
        .set('authorization', ci)
        .send({ component: COMPONENT, digest: DIGEST, environment: 'dev' });
      if (recorded.status !== 201 || promoted.status !== 201) {
        throw new Error(`setup failed: ${recorded.text} ${promoted.text}`);
      }
      const before = await rowCounts(knex);

      const answers: string[] = [];
      for (const [what, method, path, body, field] of CASES) {
        const url = `/api/delivery${path
          .replace(':a', recorded.body.id)
          .replace(':p', promoted.body.id)}`;
        const as =
          path.includes('approve') || path.includes('reject') ? alice : ci;
        const call = (request(server) as any)
          [method](url)
          .set('authorization', as);
        const res = body === undefined ? await call : await call.send(body);
        const message = String(res.body?.error?.message ?? res.text);
        if (res.status < 400 || res.status >= 500 || !message.includes(field)) {
          answers.push(`${what}: ${res.status} ${message}`);
        }
      }
      expect(answers).toEqual([]);
      expect(await rowCounts(knex)).toEqual(before);
    },
  );
});
