import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import deliveryPlugin, {
  inTotoStatement,
  signWithKey,
} from '@backstage-delivery/plugin-delivery-backend';
import { ExitCode } from './exitCodes';

jest.setTimeout(180_000);

const BIN = resolve(__dirname, '../bin/delivery');
const COMPONENT = 'component:default/orders';
const BUILD_1 = `sha256:${'1'.repeat(64)}`;
const BUILD_2 = `sha256:${'2'.repeat(64)}`;

const CI_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** A Sigstore bundle signed with the pipeline's key, as `cosign attest --key` makes. */
const signature = (digest: string) =>
  JSON.stringify(
    signWithKey(
      inTotoStatement({
        name: 'ghcr.io/acme/orders',
        digest,
        predicateType: 'https://sigstore.dev/cosign/sign/v1',
        predicate: {},
      }),
      { id: 'ci-key', privateKey: CI_KEY.privateKey },
    ),
  );

const GROUPS: Record<string, string[]> = {
  'user:default/carol': ['group:default/platform'],
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `delivery` executable, as a pipeline step would. */
function delivery(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<Run> {
  return new Promise(done => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: { PATH: process.env.PATH, ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code =
          error && typeof (error as any).code === 'number'
            ? (error as any).code
            : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

const junit = (failed: number) => `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="3" failures="${failed}">
  <testsuite name="orders" tests="3" failures="${failed}">
    <testcase classname="orders" name="creates an order"/>
    <testcase classname="orders" name="refuses an empty cart">${
      failed ? '<failure message="expected 400">AssertionError</failure>' : ''
    }</testcase>
    <testcase classname="orders" name="pays"><skipped/></testcase>
  </testsuite>
</testsuites>`;

const trivy = (digest: string) =>
  JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: `ghcr.io/acme/orders@${digest}`,
    Metadata: { RepoDigests: [`ghcr.io/acme/orders@${digest}`] },
    Results: [
      {
        Target: 'ghcr.io/acme/orders (debian 12.8)',
        Vulnerabilities: [
          { VulnerabilityID: 'CVE-2026-0001', Severity: 'HIGH' },
          { VulnerabilityID: 'CVE-2026-0002', Severity: 'MEDIUM' },
          { VulnerabilityID: 'CVE-2026-0003', Severity: 'LOW' },
        ],
      },
    ],
  });

describe('the delivery CLI in a pipeline, against a running backend', () => {
  let url: string;
  let env: Record<string, string>;
  let work: string;

  async function approve(promotionId: string, as: string) {
    const res = await fetch(
      `${url}/api/delivery/promotions/${promotionId}/approve`,
      {
        method: 'POST',
        headers: {
          authorization: mockCredentials.user.header(as),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ comment: 'LGTM' }),
      },
    );
    expect(res.status).toBe(200);
  }

  function file(name: string, content: string) {
    const path = join(work, name);
    writeFileSync(path, content);
    return path;
  }

  const target = (digest: string) => [
    '--component',
    COMPONENT,
    '--digest',
    digest,
  ];

  beforeAll(async () => {
    const { server } = await startTestBackend({
      features: [
        deliveryPlugin,
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: {
                name: 'orders',
                annotations: { 'backstage.io/kubernetes-id': 'orders' },
              },
              spec: {
                type: 'service',
                owner: 'team-orders',
                lifecycle: 'production',
              },
            },
          ],
        }),
        mockServices.rootConfig.factory({
          data: {
            delivery: {
              supplyChain: {
                keys: [
                  {
                    id: 'ci-key',
                    publicKey: CI_KEY.publicKey
                      .export({ type: 'spki', format: 'pem' })
                      .toString(),
                  },
                ],
              },
              ladders: {
                standard: {
                  environments: [
                    { name: 'dev' },
                    {
                      name: 'staging',
                      requiredEvidence: ['unit-test', 'image-scan'],
                    },
                    {
                      name: 'production',
                      requiredEvidence: ['unit-test', 'image-scan'],
                      approvals: {
                        count: 1,
                        groups: ['group:default/platform'],
                      },
                      rollbackThresholds: { maxRestarts: 3 },
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
      ],
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    env = {
      DELIVERY_URL: url,
      DELIVERY_TOKEN: mockCredentials.service.token(),
    };
    work = mkdtempSync(join(tmpdir(), 'delivery-cli-'));
  });

  it('plays a whole pipeline: record, evidence, promote, refuse, approve, release', async () => {
    // Record the build; recording it again is harmless.
    const recordArgs = [
      'artifact',
      'record',
      '--component',
      COMPONENT,
      '--image',
      'ghcr.io/acme/orders',
      '--digest',
      BUILD_1,
      '--tag',
      '1.0.0',
      '--commit-time',
      '2026-11-27T09:00:00Z',
    ];
    const github = {
      GITHUB_SHA: 'a'.repeat(40),
      GITHUB_REF_NAME: 'main',
      GITHUB_RUN_ID: '4242',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/orders',
      GITHUB_ACTOR: 'octo-pusher',
      GITHUB_EVENT_PATH: file(
        'push-event.json',
        JSON.stringify({
          head_commit: {
            author: { email: 'dev@acme.example', username: 'octo-dev' },
          },
        }),
      ),
    };
    const recorded = await delivery([...recordArgs, '--json'], {
      ...env,
      ...github,
    });
    expect(recorded.code).toBe(ExitCode.OK);
    expect(JSON.parse(recorded.stdout)).toMatchObject({
      digest: BUILD_1,
      tags: ['1.0.0'],
      commitSha: 'a'.repeat(40),
      branch: 'main',
      buildId: '4242',
      buildUrl: 'https://github.com/acme/orders/actions/runs/4242',
      // The people behind it, for separation of duties.
      commitAuthorEmail: 'dev@acme.example',
      commitAuthorLogin: 'octo-dev',
      triggeredBy: 'octo-pusher',
    });
    const again = await delivery(recordArgs, { ...env, ...github });
    expect(again).toMatchObject({ code: ExitCode.OK });
    expect(again.stdout).toContain(`Already recorded 1.0.0 of ${COMPONENT}`);

    // Tests failed: the evidence is recorded, and the command still exits 0.
    const failing = await delivery(
      [
        'evidence',
        'junit',
        ...target(BUILD_1),
        file('junit-failed.xml', junit(1)),
      ],
      env,
    );
    expect(failing.code).toBe(ExitCode.OK);
    expect(failing.stdout).toContain(
      'Recorded unit-test failed for 1.0.0: 1 passed, 1 failed, 1 skipped',
    );

    // Dev has no gates beyond the ladder.
    const dev = await delivery(
      ['promote', ...target(BUILD_1), '--to', 'dev', '--json'],
      {
        ...env,
        GITHUB_ACTOR: 'octo-pusher',
        GITHUB_TRIGGERING_ACTOR: 'octo-rerun',
      },
    );
    expect(dev.code).toBe(ExitCode.OK);
    const devPromotion = JSON.parse(dev.stdout).promotion;
    expect(devPromotion.state).toBe('approved');
    expect(devPromotion.triggeredBy).toBe('octo-rerun');
    for (const event of ['deploying', 'succeeded']) {
      expect(
        (await delivery(['report', devPromotion.id, event], env)).code,
      ).toBe(ExitCode.OK);
    }

    // Staging needs passing tests and a scan: refused, with every gate in words.
    const refused = await delivery(
      ['promote', ...target(BUILD_1), '--to', 'staging'],
      env,
    );
    expect(refused.code).toBe(ExitCode.REFUSED);
    expect(refused.stdout).toContain('→ staging: refused');
    expect(refused.stdout).toMatch(/✗ evidence: .*unit-test/);
    expect(refused.stdout).toMatch(/✓ ladder: /);
    expect(refused.stderr).toMatch(/^delivery: Refused: /);

    // Fixed tests and a scan, then staging is allowed. The evidence links to
    // the CI run, unless the pipeline names the report.
    const passing = await delivery(
      [
        'evidence',
        'junit',
        ...target(BUILD_1),
        file('junit.xml', junit(0)),
        '--json',
      ],
      { ...env, ...github },
    );
    expect(passing.code).toBe(ExitCode.OK);
    expect(JSON.parse(passing.stdout)).toMatchObject({
      kind: 'unit-test',
      result: 'passed',
      url: 'https://github.com/acme/orders/actions/runs/4242',
    });
    const scan = await delivery(
      [
        'evidence',
        'trivy',
        ...target(BUILD_1),
        file('trivy.json', trivy(BUILD_1)),
        '--fail-on',
        'critical',
        '--report-url',
        'https://ci.example.com/scans/1',
      ],
      env,
    );
    expect(scan.code).toBe(ExitCode.OK);
    expect(scan.stdout).toContain(
      'Recorded image-scan passed for 1.0.0: 0 critical, 1 high, 1 medium, 1 low',
    );
    const staging = await delivery(
      ['promote', ...target(BUILD_1), '--to', 'staging', '--json'],
      env,
    );
    expect(staging.code).toBe(ExitCode.OK);
    const stagingId = JSON.parse(staging.stdout).promotion.id;
    await delivery(['report', stagingId, 'deploying'], env);
    expect((await delivery(['report', stagingId, 'succeeded'], env)).code).toBe(
      ExitCode.OK,
    );

    // Production needs an approval from platform: the pipeline waits for it.
    const production = await delivery(
      [
        'promote',
        ...target(BUILD_1),
        '--to',
        'production',
        '--reason',
        'release 1.0.0',
        '--json',
      ],
      env,
    );
    expect(production.code).toBe(ExitCode.OK);
    const productionId = JSON.parse(production.stdout).promotion.id;
    expect(JSON.parse(production.stdout).promotion.state).toBe(
      'awaiting-approval',
    );

    const waiting = delivery(
      [
        'wait',
        productionId,
        '--for',
        'approval',
        '--timeout',
        '60s',
        '--interval',
        '1s',
      ],
      env,
    );
    await new Promise(r => setTimeout(r, 2500));
    await approve(productionId, 'user:default/carol');
    const approved = await waiting;
    expect(approved.code).toBe(ExitCode.OK);
    expect(approved.stderr).toMatch(/awaiting-approval · 0 of 1 approvals/);
    expect(approved.stdout).toContain('→ production: approved');

    await delivery(['report', productionId, 'deploying'], env);
    const verifying = await delivery(
      [
        'report',
        productionId,
        'verifying',
        '--restarts',
        '1',
        '--error-rate',
        '0.001',
      ],
      env,
    );
    expect(verifying.code).toBe(ExitCode.OK);
    expect(
      (await delivery(['report', productionId, 'succeeded'], env)).code,
    ).toBe(ExitCode.OK);
    const released = await delivery(
      ['wait', productionId, '--for', 'release', '--interval', '1s'],
      env,
    );
    expect(released.code).toBe(ExitCode.OK);
    expect(released.stdout).toContain(
      '1.0.0 (sha256:111111111111…) → production: succeeded',
    );
  });

  it('fails a rollout over the thresholds, and rolls back', async () => {
    await delivery(
      [
        'artifact',
        'record',
        '--component',
        COMPONENT,
        '--image',
        'ghcr.io/acme/orders',
        '--digest',
        BUILD_2,
        '--tag',
        '1.1.0',
        '--commit',
        'b'.repeat(40),
      ],
      env,
    );
    await delivery(
      ['evidence', 'junit', ...target(BUILD_2), file('junit2.xml', junit(0))],
      env,
    );
    await delivery(
      [
        'evidence',
        'trivy',
        ...target(BUILD_2),
        file('trivy2.json', trivy(BUILD_2)),
      ],
      env,
    );
    for (const environment of ['dev', 'staging']) {
      const promoted = JSON.parse(
        (
          await delivery(
            ['promote', ...target(BUILD_2), '--to', environment, '--json'],
            env,
          )
        ).stdout,
      ).promotion;
      await delivery(['report', promoted.id, 'deploying'], env);
      expect(
        (await delivery(['report', promoted.id, 'succeeded'], env)).code,
      ).toBe(ExitCode.OK);
    }
    const production = JSON.parse(
      (
        await delivery(
          ['promote', ...target(BUILD_2), '--to', 'production', '--json'],
          env,
        )
      ).stdout,
    ).promotion;
    await approve(production.id, 'user:default/carol');
    await delivery(['report', production.id, 'deploying'], env);
    const breached = await delivery(
      ['report', production.id, 'verifying', '--restarts', '7'],
      env,
    );
    expect(breached.code).toBe(ExitCode.FAILED);
    expect(breached.stderr).toContain('delivery: The promotion failed: ');
    expect(breached.stderr).toContain('7 restarts exceed 3');

    // Staging runs 1.1.0; roll it back to 1.0.0 and wait for the release.
    const rollback = delivery(
      [
        'rollback',
        '--component',
        COMPONENT,
        '--env',
        'staging',
        '--reason',
        'bad build',
        '--wait',
        'release',
        '--timeout',
        '60s',
        '--interval',
        '1s',
        '--json',
      ],
      env,
    );
    // The pipeline's deploy job reports the rollout of the rollback.
    let rollbackId: string | undefined;
    for (let i = 0; i < 40 && !rollbackId; i++) {
      await new Promise(r => setTimeout(r, 500));
      const res = await fetch(
        `${url}/api/delivery/promotions?component=${COMPONENT}&environment=staging&kind=rollback`,
        { headers: { authorization: `Bearer ${env.DELIVERY_TOKEN}` } },
      );
      rollbackId = (await res.json()).items[0]?.id;
    }
    await delivery(['report', rollbackId!, 'deploying'], env);
    await delivery(['report', rollbackId!, 'succeeded'], env);
    const done = await rollback;
    expect(done.code).toBe(ExitCode.OK);
    expect(JSON.parse(done.stdout).promotion).toMatchObject({
      kind: 'rollback',
      state: 'succeeded',
      artifact: { digest: BUILD_1 },
    });
  });

  it('hands Sigstore bundles to the portal, which verifies them or says why not', async () => {
    // BUILD_1 was recorded by the pipeline above.
    const bundle = file('signature.sigstore.json', signature(BUILD_1));
    const attested = await delivery(
      ['evidence', 'attest', ...target(BUILD_1), bundle],
      env,
    );
    expect(attested.stderr).toBe('');
    expect(attested.code).toBe(0);
    expect(attested.stdout).toMatch(
      /Verified signature for .* from .*signature\.sigstore\.json: signed by ci-key/,
    );
    // The same bundle again (a retried step) records nothing new.
    const again = await delivery(
      ['evidence', 'attest', ...target(BUILD_1), bundle],
      env,
    );
    expect(again.stdout).toContain('Already verified signature');

    const wrong = await delivery(
      [
        'evidence',
        'attest',
        ...target(BUILD_1),
        file('other.sigstore.json', signature(BUILD_2)),
      ],
      env,
    );
    expect(wrong.code).toBe(ExitCode.BAD_INPUT);
    expect(wrong.stderr).toContain('The bundle was refused: subject: attests');

    const reported = await delivery(
      [
        'evidence',
        'add',
        ...target(BUILD_1),
        '--kind',
        'signature',
        '--result',
        'passed',
      ],
      env,
    );
    expect(reported.code).toBe(ExitCode.NOT_ALLOWED);
    expect(reported.stderr).toContain('delivery evidence attest --bundle');
  });

  it('exits with a code a pipeline can branch on', async () => {
    // Bad input, before any request.
    const badDigest = await delivery(
      [
        'promote',
        '--component',
        COMPONENT,
        '--digest',
        'latest',
        '--to',
        'dev',
      ],
      env,
    );
    expect(badDigest.code).toBe(ExitCode.BAD_INPUT);
    expect(badDigest.stderr).toContain(
      "--digest 'latest' is not an image digest",
    );
    expect(
      (await delivery(['promote', '--component', COMPONENT], env)).code,
    ).toBe(ExitCode.BAD_INPUT);
    const noUrl = await delivery(['wait', 'x', '--for', 'release'], {
      DELIVERY_TOKEN: 't',
    });
    expect(noUrl.code).toBe(ExitCode.BAD_INPUT);
    expect(noUrl.stderr).toContain('Set DELIVERY_URL');
    const notJunit = await delivery(
      ['evidence', 'junit', ...target(BUILD_1), file('x.xml', '<html/>')],
      env,
    );
    expect(notJunit.code).toBe(ExitCode.BAD_INPUT);
    expect(notJunit.stderr).toContain('is not a JUnit report');
    const otherImage = await delivery(
      ['evidence', 'trivy', ...target(BUILD_2), file('t.json', trivy(BUILD_1))],
      env,
    );
    expect(otherImage.code).toBe(ExitCode.BAD_INPUT);

    // The portal refuses: unknown build (400-range) and a wrong token.
    const unknown = await delivery(
      [
        'evidence',
        'add',
        ...target(`sha256:${'9'.repeat(64)}`),
        '--kind',
        'smoke-test',
        '--result',
        'passed',
      ],
      env,
    );
    expect(unknown.code).toBe(ExitCode.BAD_INPUT);
    expect(unknown.stderr).toContain('run "delivery artifact record" first');
    const denied = await delivery(['wait', 'x', '--for', 'release'], {
      ...env,
      DELIVERY_TOKEN: mockCredentials.service.invalidToken(),
    });
    expect(denied.code).toBe(ExitCode.NOT_ALLOWED);

    // Waiting too long.
    await delivery(
      [
        'artifact',
        'record',
        '--component',
        COMPONENT,
        '--image',
        'ghcr.io/acme/orders',
        '--digest',
        `sha256:${'3'.repeat(64)}`,
        '--commit',
        'c'.repeat(40),
      ],
      env,
    );
    const stuck = JSON.parse(
      (
        await delivery(
          [
            'promote',
            '--component',
            COMPONENT,
            '--digest',
            `sha256:${'3'.repeat(64)}`,
            '--to',
            'dev',
            '--json',
          ],
          env,
        )
      ).stdout,
    ).promotion;
    const timedOut = await delivery(
      [
        'wait',
        stuck.id,
        '--for',
        'release',
        '--timeout',
        '2s',
        '--interval',
        '1s',
        '--json',
      ],
      env,
    );
    expect(timedOut.code).toBe(ExitCode.TIMED_OUT);
    expect(JSON.parse(timedOut.stdout)).toMatchObject({
      exitCode: ExitCode.TIMED_OUT,
      error: expect.stringContaining(
        `Timed out after 2 s waiting for the release; the promotion ${stuck.id} is approved`,
      ),
    });

    // Nobody answers: retried, then unreachable.
    const closed = createServer();
    await new Promise<void>(r => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise(r => closed.close(r));
    const unreachable = await delivery(
      ['wait', 'x', '--for', 'release', '--retries', '2'],
      { ...env, DELIVERY_URL: `http://127.0.0.1:${closedPort}` },
    );
    expect(unreachable.code).toBe(ExitCode.UNREACHABLE);
    expect(unreachable.stderr).toMatch(
      /ECONNREFUSED; retrying in [0-9.]+ s \(1\/2\)/,
    );
    expect(unreachable.stderr).toContain('after 3 attempts');

    expect((await delivery(['--help'])).code).toBe(ExitCode.OK);
    expect((await delivery(['preview', 'create', '--help'])).stdout).toContain(
      '--pull-request <number>',
    );
  });

  it('takes over a promotion the portal dispatched to a deploy workflow', async () => {
    const BUILD_3 = `sha256:${'3'.repeat(64)}`;
    await delivery(
      [
        'artifact',
        'record',
        ...target(BUILD_3),
        '--image',
        'ghcr.io/acme/orders',
        '--commit',
        'c'.repeat(40),
      ],
      env,
    );
    // Earlier steps may have left a promotion to dev under way: abort it.
    const active = await fetch(
      `${url}/api/delivery/promotions?component=${COMPONENT}&environment=dev&state=approved&state=awaiting-approval&state=deploying&state=verifying`,
      { headers: { authorization: `Bearer ${env.DELIVERY_TOKEN}` } },
    ).then(r => r.json());
    for (const p of active.items) {
      await fetch(`${url}/api/delivery/promotions/${p.id}/abort`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${env.DELIVERY_TOKEN}`,
          'content-type': 'application/json',
        },
        body: '{}',
      });
    }
    const { promotion } = JSON.parse(
      (
        await delivery(
          ['promote', ...target(BUILD_3), '--to', 'dev', '--json'],
          env,
        )
      ).stdout,
    );
    expect(promotion.state).toBe('approved');
    const run = {
      ...env,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/orders',
      GITHUB_RUN_ID: '4242',
    };

    const other = await delivery(
      [
        'execute',
        promotion.id,
        '--environment',
        'staging',
        '--digest',
        BUILD_1,
      ],
      run,
    );
    expect(other.code).toBe(ExitCode.BAD_INPUT);
    expect(other.stderr).toContain(
      `Promotion ${promotion.id} is not the one this run was dispatched for: it is for dev, not staging; it promotes ${BUILD_3}, not ${BUILD_1}`,
    );

    const taken = await delivery(
      [
        'execute',
        promotion.id,
        '--environment',
        'dev',
        '--digest',
        BUILD_3,
        '--json',
      ],
      run,
    );
    expect(taken.code).toBe(0);
    expect(JSON.parse(taken.stdout)).toMatchObject({
      component: COMPONENT,
      environment: 'dev',
      digest: BUILD_3,
      image: `ghcr.io/acme/orders@${BUILD_3}`,
      promotion: {
        state: 'deploying',
        events: [
          {
            type: 'deploying',
            message:
              'deploying in https://github.com/acme/orders/actions/runs/4242',
          },
        ],
      },
    });

    const again = await delivery(['execute', promotion.id], run);
    expect(again.code).toBe(ExitCode.FAILED);
    expect(again.stderr).toContain(
      `Promotion ${promotion.id} is deploying; only an approved promotion is deployed`,
    );
  });
});
