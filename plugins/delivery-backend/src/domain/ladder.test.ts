import { Entity } from '@backstage/catalog-model';
import type { EnvironmentConfig, LadderConfig } from '../config/types';
import {
  environmentOfPromotion,
  environmentOrder,
  isProductionLike,
  ladderOf,
  productionEnvironments,
  stepOf,
} from './ladder';

const env = (name: string) => ({ name } as EnvironmentConfig);
const standard: LadderConfig = {
  name: 'standard',
  title: 'Standard',
  environments: [env('dev'), env('staging'), env('production')],
};
const regulated: LadderConfig = {
  name: 'regulated',
  title: 'Regulated',
  environments: [env('dev'), env('qa'), env('staging'), env('prod-eu')],
};
const ladders = new Map([
  ['standard', standard],
  ['regulated', regulated],
]);

function entity(annotations: Record<string, string> = {}): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments-api', annotations },
  };
}

describe('ladders', () => {
  it('takes production to be the last environment of each ladder', () => {
    expect(productionEnvironments(ladders)).toEqual([
      { ladder: 'standard', environment: 'production' },
      { ladder: 'regulated', environment: 'prod-eu' },
    ]);
    expect(isProductionLike(ladders, 'prod-eu')).toBe(true);
    expect(isProductionLike(ladders, 'staging')).toBe(false);
  });

  it('orders environments by the first ladder that names each', () => {
    expect(environmentOrder(ladders)).toEqual([
      'dev',
      'staging',
      'production',
      'qa',
      'prod-eu',
    ]);
  });

  it('finds the ladder a component names, or the default, or says why not', () => {
    const config = { defaultLadder: 'standard', ladders };
    const ref = 'component:default/payments-api';
    expect(ladderOf(config, entity(), ref)).toEqual({
      ok: true,
      ladder: standard,
    });
    expect(
      ladderOf(
        config,
        entity({ 'delivery.backstage.io/ladder': ' regulated ' }),
        ref,
      ),
    ).toEqual({ ok: true, ladder: regulated });
    expect(
      ladderOf(config, entity({ 'delivery.backstage.io/ladder': 'fast' }), ref),
    ).toEqual({
      ok: false,
      problem:
        "component:default/payments-api asks for the ladder 'fast' (annotation delivery.backstage.io/ladder), which is not configured; configured ladders: standard, regulated",
    });
  });

  it('gives an environment with the one before it, or says which exist', () => {
    expect(stepOf(regulated, 'staging', 'c')).toEqual({
      ok: true,
      step: { env: env('staging'), previous: env('qa'), index: 2 },
    });
    expect(stepOf(regulated, 'dev', 'c')).toMatchObject({
      ok: true,
      step: { previous: undefined, index: 0 },
    });
    expect(stepOf(standard, 'qa', 'component:default/x')).toEqual({
      ok: false,
      problem:
        "environment 'qa' is not on the standard ladder of component:default/x; use one of dev, staging, production",
    });
  });

  it('finds the environment of a promotion as configured now', () => {
    expect(
      environmentOfPromotion(ladders, {
        ladder: 'regulated',
        environment: 'qa',
      }),
    ).toEqual(env('qa'));
    expect(
      environmentOfPromotion(ladders, { ladder: 'gone', environment: 'qa' }),
    ).toBeUndefined();
  });
});
