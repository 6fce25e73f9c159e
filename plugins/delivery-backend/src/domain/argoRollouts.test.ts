import {
  argoRolloutProgress,
  ArgoRolloutObject,
  rolloutActionPatches,
  rolloutStepState,
} from './argoRollouts';

const canary = (status: ArgoRolloutObject['status'], paused = false) => ({
  metadata: { name: 'payments-api', generation: 3 },
  spec: {
    paused,
    strategy: {
      canary: {
        steps: [
          { setWeight: 20 },
          { pause: {} },
          { setWeight: 50 },
          { pause: { duration: '5m' } },
        ],
      },
    },
  },
  status: { observedGeneration: '3', ...status },
});

describe('rolloutStepState', () => {
  it('reads the step, the weight and the pause of a canary', () => {
    expect(
      rolloutStepState(
        canary({
          phase: 'Paused',
          currentStepIndex: 1,
          currentPodHash: 'new',
          stableRS: 'old',
          pauseConditions: [{ reason: 'CanaryPauseStep' }],
          canary: { weights: { canary: { weight: 20 } } },
        }),
      ),
    ).toMatchObject({
      strategy: 'canary',
      phase: 'Paused',
      step: 2,
      steps: 4,
      weight: 20,
      paused: true,
      pauseReasons: ['CanaryPauseStep'],
      aborted: false,
      stable: false,
    });
  });

  it('takes the weight from the steps when the status has none, and 100% once stable', () => {
    expect(
      rolloutStepState(
        canary({ currentStepIndex: 2, currentPodHash: 'n', stableRS: 'o' }),
      ).weight,
    ).toBe(50);
    expect(
      rolloutStepState(
        canary({ currentStepIndex: 4, currentPodHash: 'n', stableRS: 'n' }),
      ),
    ).toMatchObject({ weight: 100, step: 4, stable: true });
  });

  it('reads the services of a blue-green', () => {
    expect(
      rolloutStepState({
        spec: { strategy: { blueGreen: { activeService: 'a' } } },
        status: {
          phase: 'Paused',
          pauseConditions: [{ reason: 'BlueGreenPause' }],
          blueGreen: { activeSelector: 'old', previewSelector: 'new' },
        },
      }),
    ).toMatchObject({
      strategy: 'blue-green',
      activeSelector: 'old',
      previewSelector: 'new',
      paused: true,
    });
  });
});

describe('argoRolloutProgress', () => {
  it('waits for the controller, then for each step, and is done when stable and healthy', () => {
    expect(
      argoRolloutProgress('payments-api', {
        ...canary({}),
        status: { observedGeneration: '2' },
      }),
    ).toEqual({
      done: false,
      waitingFor:
        'rollout/payments-api: the Argo Rollouts controller to see the new spec',
    });
    expect(
      argoRolloutProgress(
        'payments-api',
        canary({
          phase: 'Paused',
          currentStepIndex: 1,
          pauseConditions: [{ reason: 'CanaryPauseStep' }],
          canary: { weights: { canary: { weight: 20 } } },
        }),
      ),
    ).toEqual({
      done: false,
      waitingFor:
        'rollout/payments-api: paused at step 2 of 4, 20% on the new version (CanaryPauseStep); promote it to go on',
    });
    expect(
      argoRolloutProgress(
        'payments-api',
        canary({ phase: 'Progressing', currentStepIndex: 2 }),
      ),
    ).toEqual({
      done: false,
      waitingFor: 'rollout/payments-api: step 3 of 4, 50% on the new version',
    });
    expect(
      argoRolloutProgress(
        'payments-api',
        canary({
          phase: 'Healthy',
          currentStepIndex: 4,
          currentPodHash: 'n',
          stableRS: 'n',
        }),
      ),
    ).toEqual({ done: true });
  });

  it('fails a Degraded or aborted Rollout, with the controller’s message', () => {
    expect(
      argoRolloutProgress(
        'payments-api',
        canary({ phase: 'Degraded', message: 'ProgressDeadlineExceeded' }),
      ),
    ).toMatchObject({
      failed: 'rollout/payments-api is Degraded: ProgressDeadlineExceeded',
    });
    expect(
      argoRolloutProgress(
        'payments-api',
        canary({
          abort: true,
          message: 'Rollout aborted update to revision 4',
        }),
      ),
    ).toMatchObject({
      failed:
        'rollout/payments-api was aborted: Rollout aborted update to revision 4',
    });
  });
});

describe('rolloutActionPatches', () => {
  it('makes the patches of kubectl argo rollouts', () => {
    const paused = canary(
      {
        currentStepIndex: 1,
        pauseConditions: [{ reason: 'CanaryPauseStep' }],
        currentPodHash: 'n',
        stableRS: 'o',
      },
      true,
    );
    expect(rolloutActionPatches(paused, 'promote')).toEqual({
      spec: { paused: false },
      status: { pauseConditions: null },
    });
    // Not paused (e.g. in a timed pause or an analysis): the next step.
    expect(
      rolloutActionPatches(canary({ currentStepIndex: 3 }), 'promote'),
    ).toEqual({ status: { pauseConditions: null, currentStepIndex: 4 } });
    expect(rolloutActionPatches(paused, 'promote-full')).toEqual({
      status: { promoteFull: true },
    });
    expect(
      rolloutActionPatches(
        canary({ currentPodHash: 'n', stableRS: 'n' }),
        'promote-full',
      ),
    ).toEqual({});
    expect(rolloutActionPatches(paused, 'abort')).toEqual({
      status: { abort: true },
    });
  });
});
