/*
 * A canary through an Argo Rollout judged by Prometheus: the real API server
 * with the Rollout CRD (the test plays the Argo Rollouts controller), a real
 * Prometheus scraping an instrumented service whose error rate the test
 * sets per release. At step 2 the canary's error rate passes; then it rises
 * above the threshold, and the executor aborts the Rollout, fails the
 * promotion with the query, the value and the threshold, and puts the
 * previous release back. One engine.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import {
  describeWithCluster,
  uniqueName,
} from '../../kubernetes/testing/testCluster';
import {
  describeWithPrometheus,
  startPrometheus,
  TestPrometheus,
} from '../../prometheus/testing/prometheus';
import {
  InstrumentedService,
  startInstrumentedService,
} from '../../prometheus/testing/instrumentedService';
import {
  createRollout,
  installRolloutCrd,
  readRollout,
  reportRolloutStatus,
} from './__testUtils__/argoController';
import {
  createHarness,
  digest,
  leastPrivilegeToken,
  REPOSITORY,
} from './__testUtils__/harness';

jest.setTimeout(240_000);

const image = (n: number) => `${REPOSITORY}@${digest(n)}`;
const selector = 'namespace="{namespace}",digest="{digest}"';

const describeWithBoth: jest.Describe =
  describeWithPrometheus === describe ? describeWithCluster : describe.skip;

describeWithBoth('a canary judged by Prometheus', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  const dev = uniqueName('canary-dev');
  let token: string;
  let service: InstrumentedService;
  let prometheus: TestPrometheus;
  const traffic = (n: number, errorRatio: number) =>
    service.serve(
      { namespace: dev, component: 'checkout', digest: digest(n) },
      { rps: 40, errorRatio, latencySeconds: 0.05 },
    );

  beforeAll(async () => {
    await installRolloutCrd();
    token = await leastPrivilegeToken([dev]);
    await createRollout(dev, image(1), [
      { setWeight: 20 },
      { pause: {} },
      { setWeight: 50 },
      { pause: {} },
    ]);
    service = await startInstrumentedService();
    prometheus = await startPrometheus([service.target]);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await service?.close();
  });

  it('passes step 2 while the canary is healthy, then aborts and rolls back when its error rate crosses the threshold', async () => {
    const h = await createHarness({
      knex: await databases.init('SQLITE_3'),
      environments: [
        {
          name: 'dev',
          cluster: 'test',
          namespace: dev,
          executor: {
            type: 'kubernetes',
            rolloutTimeout: '1h',
            verificationWindow: '1m',
          },
          analysis: {
            onUnknown: 'fail',
            queries: [
              {
                name: 'error-rate',
                query: `sum(rate(http_requests_total{${selector},code="500"}[3s])) / sum(rate(http_requests_total{${selector}}[3s]))`,
                threshold: 0.05,
                unit: 'ratio',
              },
            ],
          },
        },
      ],
      token,
      metrics: {
        prometheus: { baseUrl: prometheus.url, timeout: { seconds: 2 } },
      },
    });
    for (const n of [1, 2]) await h.record(n);
    await h.released(1, 'dev');
    await reportRolloutStatus(dev, {
      phase: 'Healthy',
      currentPodHash: 'v1',
      stableRS: 'v1',
      currentStepIndex: 4,
    });
    const runner = h.execution('replica-a');
    const p = await h.promote(2, 'dev');
    await h.drive(
      [runner],
      async () => (await h.promotion(p.id)).promotion.state === 'deploying',
    );

    // The controller moves 20% of the pods to the new version and pauses at
    // step 2; the canary serves traffic at a 1% error rate.
    traffic(1, 0.01);
    traffic(2, 0.01);
    await prometheus.scraped(4);
    await reportRolloutStatus(dev, {
      phase: 'Paused',
      currentPodHash: 'v2',
      stableRS: 'v1',
      currentStepIndex: 1,
      pauseConditions: [
        { reason: 'CanaryPauseStep', startTime: new Date().toISOString() },
      ],
      canary: { weights: { canary: { weight: 20 }, stable: { weight: 80 } } },
    });
    await h.drive([runner], async () =>
      Boolean(
        (
          await h.promotion(p.id)
        ).deployment?.progress?.message?.startsWith(
          'analysis at canary step 2 passed',
        ),
      ),
    );
    expect((await h.promotion(p.id)).deployment!.progress).toMatchObject({
      message: expect.stringContaining(
        'analysis at canary step 2 passed: error-rate = 1% (at most 5%)',
      ),
      waitingFor: expect.stringContaining('paused at step 2 of 4'),
    });

    // The canary starts failing a third of its requests.
    traffic(2, 0.35);
    await prometheus.scraped(3);
    await h.drive(
      [runner],
      async () => (await h.promotion(p.id)).deployment?.phase === 'finished',
    );
    const view = await h.promotion(p.id);
    expect(view.promotion.state).toBe('failed');
    expect(view.promotion.outcome).toMatch(
      /^analysis at canary step 2 failed: error-rate = [\d.]+% is above the threshold 5%; query: sum\(rate\(http_requests_total\{namespace="canary-dev-[a-z0-9-]+",digest="sha256:c+2",code="500"\}\[3s\]\)\)/,
    );
    expect(view.steps!.map(s => s.action)).toEqual([
      'acted',
      'failed',
      'reverted',
    ]);
    expect(view.steps![2].message).toBe(
      `aborted rollout/checkout; put the previous release back: set ${image(
        1,
      )} on rollout/checkout (container app)`,
    );
    const rollout = await readRollout(dev);
    expect(rollout.status.abort).toBe(true);
    expect(rollout.spec.template.spec.containers[0].image).toBe(image(1));
  });
});
