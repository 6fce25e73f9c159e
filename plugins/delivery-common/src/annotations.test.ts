import { Entity } from '@backstage/catalog-model';
import {
  DELIVERY_LADDER_ANNOTATION,
  KUBERNETES_ID_ANNOTATION,
  getDeliverySettings,
  isDeliveryAvailable,
  parseComponentRef,
  resolveNamespace,
} from './annotations';

function entity(
  kind: string,
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind,
    metadata: { name: 'payments', annotations },
    spec: {},
  };
}

describe('isDeliveryAvailable', () => {
  it('applies to components that name a ladder, even an empty one', () => {
    expect(
      isDeliveryAvailable(
        entity('Component', { [DELIVERY_LADDER_ANNOTATION]: 'regulated' }),
      ),
    ).toBe(true);
    expect(
      isDeliveryAvailable(
        entity('Component', { [DELIVERY_LADDER_ANNOTATION]: '' }),
      ),
    ).toBe(true);
  });

  it('applies to components mapped to Kubernetes workloads', () => {
    expect(
      isDeliveryAvailable(
        entity('Component', { [KUBERNETES_ID_ANNOTATION]: 'payments' }),
      ),
    ).toBe(true);
  });

  it('does not apply to components without either annotation', () => {
    expect(isDeliveryAvailable(entity('Component'))).toBe(false);
    expect(
      isDeliveryAvailable(
        entity('Component', { [KUBERNETES_ID_ANNOTATION]: '  ' }),
      ),
    ).toBe(false);
  });

  it('does not apply to other kinds', () => {
    expect(
      isDeliveryAvailable(
        entity('API', { [DELIVERY_LADDER_ANNOTATION]: 'default' }),
      ),
    ).toBe(false);
  });
});

describe('getDeliverySettings', () => {
  it('reads the ladder and Kubernetes id, trimmed', () => {
    expect(
      getDeliverySettings(
        entity('Component', {
          [DELIVERY_LADDER_ANNOTATION]: ' regulated ',
          [KUBERNETES_ID_ANNOTATION]: 'payments-api',
        }),
      ),
    ).toEqual({ ladder: 'regulated', kubernetesId: 'payments-api' });
  });

  it('leaves out blank values so the default ladder applies', () => {
    expect(
      getDeliverySettings(
        entity('Component', { [DELIVERY_LADDER_ANNOTATION]: '' }),
      ),
    ).toEqual({ ladder: undefined, kubernetesId: undefined });
  });
});

describe('resolveNamespace', () => {
  it('fills the component, its catalog namespace and the environment', () => {
    expect(
      resolveNamespace(
        '{namespace}-{component}-{environment}',
        'component:payments/ledger',
        'staging',
      ),
    ).toBe('payments-ledger-staging');
    expect(resolveNamespace('{component}-{environment}', 'orders', 'dev')).toBe(
      'orders-dev',
    );
    expect(resolveNamespace('shared', 'component:default/orders', 'dev')).toBe(
      'shared',
    );
  });
});

describe('parseComponentRef', () => {
  it('normalises short and full component refs', () => {
    for (const input of [
      'payments-api',
      'default/payments-api',
      'component:default/payments-api',
      'Component:default/payments-api',
    ]) {
      expect(parseComponentRef(input)).toEqual({
        ok: true,
        ref: 'component:default/payments-api',
      });
    }
  });

  it('says what is wrong with anything else', () => {
    expect(parseComponentRef('group:default/platform')).toEqual({
      ok: false,
      problem:
        "'group:default/platform' is a group; delivery applies to components",
    });
    expect(parseComponentRef('component:default/')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('is not an entity ref'),
    });
  });
});
