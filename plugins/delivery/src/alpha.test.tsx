import { Entity } from '@backstage/catalog-model';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import deliveryPlugin from './alpha';

const component = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'payments-api', annotations },
});

describe('the delivery plugin on the new frontend system', () => {
  it('adds a Delivery tab beside the Kubernetes tab, on components that opt in', () => {
    const tester = createExtensionTester(
      deliveryPlugin.getExtension('entity-content:delivery/delivery'),
    );
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Delivery');
    expect(tester.get(EntityContentBlueprint.dataRefs.group)).toBe(
      'deployment',
    );
    const applies = tester.get(EntityContentBlueprint.dataRefs.filterFunction)!;
    expect(applies(component({ 'delivery.backstage.io/ladder': '' }))).toBe(
      true,
    );
    expect(applies(component({}))).toBe(false);
  });

  it('names its card and organisation page', () => {
    expect(
      deliveryPlugin.getExtension('entity-card:delivery/delivery'),
    ).toBeDefined();
    expect(deliveryPlugin.getExtension('page:delivery')).toBeDefined();
  });
});
