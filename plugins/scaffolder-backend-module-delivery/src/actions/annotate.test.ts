import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { Schema, Validator } from 'jsonschema';
import yaml from 'yaml';
import { createAnnotateComponentAction } from './annotate';

describe('delivery:component:annotate', () => {
  const action = createAnnotateComponentAction();

  it('defaults the Kubernetes id to the name and the ladder to the default', async () => {
    const ctx = createMockActionContext({ input: { name: 'checkout' } });

    await action.handler(ctx);

    expect(ctx.output).toHaveBeenCalledWith('annotations', {
      'backstage.io/kubernetes-id': 'checkout',
      'delivery.backstage.io/ladder': '',
    });
  });

  it('passes a chosen ladder and Kubernetes id through', async () => {
    const ctx = createMockActionContext({
      input: {
        name: 'Payments API',
        kubernetesId: 'payments',
        ladder: 'regulated',
      },
    });

    await action.handler(ctx);

    expect(ctx.output).toHaveBeenCalledWith('annotations', {
      'backstage.io/kubernetes-id': 'payments',
      'delivery.backstage.io/ladder': 'regulated',
    });
  });

  it('refuses a name that cannot label workloads, saying what to pass', async () => {
    const ctx = createMockActionContext({ input: { name: 'Payments API' } });

    await expect(action.handler(ctx)).rejects.toThrow(
      'The component name "Payments API" cannot be used as its Kubernetes id; pass kubernetesId',
    );
    expect(ctx.output).not.toHaveBeenCalled();
  });

  // The scaffolder validates step input against the action's JSON schema with
  // `jsonschema` before the handler runs; do the same here.
  it('refuses bad ladder names and Kubernetes ids before running', () => {
    const validate = (input: object) =>
      new Validator()
        .validate(input, action.schema!.input as Schema)
        .errors.map(e => e.property);

    expect(validate({ name: 'a', ladder: 'Regulated Ladder' })).toEqual([
      'instance.ladder',
    ]);
    expect(validate({ name: 'a', kubernetesId: '-bad-' })).toEqual([
      'instance.kubernetesId',
    ]);
    expect(validate({ name: 'a', kubernetesId: 'x'.repeat(64) })).toEqual([
      'instance.kubernetesId',
    ]);
    expect(
      validate({ name: 'a', kubernetesId: 'ok.id', ladder: 'prod-2' }),
    ).toEqual([]);
  });

  it('has examples that use it', () => {
    expect(action.examples).toHaveLength(2);
    for (const { example } of action.examples!) {
      expect(yaml.parse(example).steps[0].action).toBe(
        'delivery:component:annotate',
      );
    }
  });
});
