/*
 * The kubernetes executor on an Argo Rollouts `Rollout`, against the real
 * test API server with the real Rollout CRD. The Argo Rollouts controller
 * cannot run here, so the test plays it: it writes the Rollout's status
 * (steps, pauses, Degraded) and asserts what the portal reads and does, and
 * that Promote and Abort patch the object as `kubectl argo rollouts` does.
 * One engine: the database does not change what is patched in the cluster.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { KubernetesGateway } from '../../kubernetes/KubernetesGateway';
import {
  KubernetesWorkloads,
  PROMOTION_ANNOTATION,
} from '../../kubernetes/workloads';
import {
  admin,
  describeWithCluster,
  uniqueName,
} from '../../kubernetes/testing/testCluster';
import {
  createRollout,
  installRolloutCrd,
  readRollout,
  reportRolloutStatus,
  SIDECAR,
} from './__testUtils__/argoController';
import {
  CI,
  createHarness,
  digest,
  leastPrivilegeToken,
  REPOSITORY,
} from './__testUtils__/harness';
import { RolloutControl } from './RolloutControl';

jest.setTimeout(180_000);

const image = (n: number) => `${REPOSITORY}@${digest(n)}`;

describeWithCluster('the kubernetes executor on an Argo Rollout', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  const dev = uniqueName('rollout-dev');
  let token: string;

  const read = () => readRollout(dev);
  const controller = (status: object) => reportRolloutStatus(dev, status);

  beforeAll(async () => {
    await installRolloutCrd();
    token = await leastPrivilegeToken([dev]);
    await createRollout(dev, image(1), [
      { setWeight: 20 },
      { pause: {} },
      { setWeight: 50 },
      { pause: { duration: '10m' } },
    ]);
  });
  afterAll(async () => {
    await admin()
      .core.deleteNamespace({ name: dev })
      .catch(() => undefined);
  });

  it('sets the image on the Rollout, follows its steps, is promoted and aborted from the portal, and puts the previous release back', async () => {
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
        },
      ],
      token,
    });
    const control = new RolloutControl({
      ledger: h.services.ledger,
      config: h.config,
      workloads: new KubernetesWorkloads(
        new KubernetesGateway({ clusters: h.config.clusters, timeoutMs: 5000 }),
      ),
      clock: () => h.clock.now,
    });
    for (const n of [1, 2]) await h.record(n);
    await h.released(1, 'dev');
    await controller({
      phase: 'Healthy',
      currentPodHash: 'v1',
      stableRS: 'v1',
      currentStepIndex: 4,
    });
    const runner = h.execution('replica-a');
    const p = await h.promote(2, 'dev');
    const state = async () => (await h.promotion(p.id)).promotion.state;
    await h.drive([runner], async () => (await state()) === 'deploying');

    // The image by digest, on the app container only; the promotion noted.
    const set = await read();
    expect(
      set.spec.template.spec.containers.map((c: any) => [c.name, c.image]),
    ).toEqual([
      ['app', image(2)],
      ['istio-proxy', SIDECAR],
    ]);
    expect(set.metadata.annotations[PROMOTION_ANNOTATION]).toBe(p.id);

    // The controller pauses at step 2, 20% on the new version.
    await controller({
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
        ).deployment?.progress?.rollouts?.[0]?.paused,
      ),
    );
    const paused = (await h.promotion(p.id)).deployment!;
    expect(paused.progress).toMatchObject({
      waitingFor:
        'rollout/checkout: paused at step 2 of 4, 20% on the new version (CanaryPauseStep); promote it to go on',
      rollouts: [
        {
          name: 'checkout',
          strategy: 'canary',
          phase: 'Paused',
          step: 2,
          steps: 4,
          weight: 20,
          paused: true,
        },
      ],
    });

    // Promote step: the pause conditions are cleared, as the plugin does.
    const promoted = await control.act(p.id, 'promote', {
      type: 'user',
      ref: 'user:default/alice',
      ownershipRefs: [],
    });
    expect(promoted.rollouts[0]).toMatchObject({ paused: false });
    expect((await read()).status.pauseConditions).toBeUndefined();
    // Promote fully: the controller is asked to skip the remaining steps.
    await control.act(p.id, 'promote-full', CI);
    expect((await read()).status.promoteFull).toBe(true);

    // Abort: the controller aborts and marks it Degraded; the promotion
    // fails and the previous release is put back on the Rollout.
    await control.act(p.id, 'abort', CI);
    expect((await read()).status.abort).toBe(true);
    await controller({
      phase: 'Degraded',
      message: 'RolloutAborted: Rollout aborted update to revision 2',
      abort: true,
    });
    await h.drive(
      [runner],
      async () => (await h.promotion(p.id)).deployment?.phase === 'finished',
    );
    const view = await h.promotion(p.id);
    expect(view.promotion).toMatchObject({
      state: 'failed',
      outcome:
        'rollout/checkout was aborted: RolloutAborted: Rollout aborted update to revision 2',
    });
    expect(view.steps!.map(s => s.action)).toEqual([
      'acted',
      'rollout-promote',
      'rollout-promote-full',
      'rollout-abort',
      'failed',
      'reverted',
    ]);
    expect(view.steps![1].message).toBe(
      'user:default/alice promoted to the next step rollout/checkout',
    );
    expect((await read()).spec.template.spec.containers[0].image).toBe(
      image(1),
    );
  });

  it('refuses to act on a promotion that no Rollout carries out', async () => {
    const h = await createHarness({
      knex: await databases.init('SQLITE_3'),
      environments: [{ name: 'dev', cluster: 'test', namespace: dev }],
      token,
    });
    const control = new RolloutControl({
      ledger: h.services.ledger,
      config: h.config,
      workloads: new KubernetesWorkloads(
        new KubernetesGateway({ clusters: h.config.clusters, timeoutMs: 5000 }),
      ),
    });
    await h.record(1);
    const p = await h.promote(1, 'dev');
    await expect(control.act(p.id, 'promote', CI)).rejects.toThrow(
      `Promotion ${p.id} is approved; only one deploying or verifying through an Argo Rollout can be promoted or aborted`,
    );
  });
});
