import {
  canaryReplicas,
  canaryShare,
  nextCanaryMove,
  selects,
} from './nativeStrategies';

describe('native strategies', () => {
  it('gives a canary at least one pod, and the share it asks for beside the stable pods', () => {
    expect(canaryReplicas(3, 25)).toBe(1);
    expect(canaryReplicas(3, 50)).toBe(3);
    expect(canaryReplicas(9, 10)).toBe(1);
    expect(canaryReplicas(1, 10)).toBe(1);
    expect(canaryShare(3, 1)).toBe(25);
    expect(canaryShare(3, 3)).toBe(50);
  });

  it('holds a step for its duration, then moves to the next, then promotes', () => {
    expect(nextCanaryMove([25, 50], 0, 1000, 60_000, 31_000)).toEqual({
      kind: 'hold',
      remainingMs: 30_000,
    });
    expect(nextCanaryMove([25, 50], 0, 1000, 60_000, 61_000)).toEqual({
      kind: 'next',
      step: 1,
      percent: 50,
    });
    expect(nextCanaryMove([25, 50], 1, 1000, 60_000, 61_000)).toEqual({
      kind: 'promote',
    });
  });

  it('finds the Services in front of a pod template', () => {
    expect(selects({ app: 'web' }, { app: 'web', tier: 'x' })).toBe(true);
    expect(selects({ app: 'web', tier: 'y' }, { app: 'web', tier: 'x' })).toBe(
      false,
    );
    expect(selects({}, { app: 'web' })).toBe(false);
    expect(selects(undefined, { app: 'web' })).toBe(false);
  });
});
