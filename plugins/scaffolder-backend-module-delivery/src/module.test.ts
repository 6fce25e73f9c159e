import { startTestBackend } from '@backstage/backend-test-utils';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { scaffolderModuleDelivery } from './module';

describe('scaffolderModuleDelivery', () => {
  it('adds the delivery actions to the scaffolder', async () => {
    const addActions = jest.fn();

    await startTestBackend({
      extensionPoints: [[scaffolderActionsExtensionPoint, { addActions }]],
      features: [scaffolderModuleDelivery],
    });

    const ids = addActions.mock.calls.flat().map(action => action.id);
    expect(ids).toEqual([
      'delivery:component:annotate',
      'delivery:ladder:resolve',
      'delivery:kubernetes:overlays',
      'delivery:repository:inspect',
      'delivery:repository:plan',
    ]);
  });
});
