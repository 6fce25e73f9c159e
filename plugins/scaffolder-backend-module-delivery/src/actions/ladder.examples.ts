import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: "Resolve the portal's default ladder for a new service",
    example: yaml.stringify({
      steps: [
        {
          id: 'ladder',
          action: 'delivery:ladder:resolve',
          name: 'Environment ladder',
          input: { component: '${{ parameters.name }}' },
        },
      ],
    }),
  },
  {
    description:
      'Resolve the ladder chosen in the form; later steps read steps.ladder.output.environments',
    example: yaml.stringify({
      steps: [
        {
          id: 'ladder',
          action: 'delivery:ladder:resolve',
          name: 'Environment ladder',
          input: {
            component: '${{ parameters.name }}',
            ladder: '${{ parameters.ladder }}',
          },
        },
        {
          id: 'log',
          action: 'debug:log',
          input: {
            message:
              'Namespaces: ${{ steps.ladder.output.environments | dump }}',
          },
        },
      ],
    }),
  },
];
