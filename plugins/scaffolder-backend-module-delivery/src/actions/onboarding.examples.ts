import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Inspect an existing repository fetched into the workspace, detecting its stack',
    example: yaml.stringify({
      steps: [
        {
          id: 'repository',
          action: 'fetch:plain',
          input: {
            url: 'https://github.com/acme/orders/tree/main',
            targetPath: 'repository',
          },
        },
        {
          id: 'inspect',
          action: 'delivery:repository:inspect',
          input: { path: 'repository' },
        },
      ],
    }),
  },
  {
    description:
      'Plan the onboarding pull request: keep only what the repository lacks, annotate its catalog-info.yaml',
    example: yaml.stringify({
      steps: [
        {
          id: 'plan',
          action: 'delivery:repository:plan',
          input: {
            repositoryPath: 'repository',
            changesPath: 'changes',
            componentRef: 'component:default/orders',
            annotations: '${{ steps.annotate.output.annotations }}',
            ladder: '${{ steps.ladder.output.ladder }}',
            environments: '${{ steps.ladder.output.environments }}',
          },
        },
        {
          id: 'pull-request',
          action: 'publish:github:pull-request',
          input: {
            repoUrl: '${{ parameters.repoUrl }}',
            branchName: 'delivery/golden-path',
            title: 'Put orders on the delivery golden path',
            description: '${{ steps.plan.output.description }}',
            sourcePath: 'changes',
          },
        },
      ],
    }),
  },
];
